public import Foundation

/// What the engine's loop has in flight and what it may start: request slots (kickoffs, polls,
/// upload steps), download slots, delivery-hook slots, work already running, and work whose
/// completion a pass's database read may not have seen yet. A value with no I/O and no clock; the engine holds one
/// and executes what it answers.
///
/// A pass goes: ``beginPass()`` before reading candidates (at most ``runReadLimit(for:)`` and
/// ``pollReadLimit`` of them), ``start(_:in:pass:)`` for each, ``endPass(_:)`` after. Child tasks
/// report ``finished(_:)`` (and a download that received its last byte
/// ``transferFinished(run:)``, which frees its slot while the file is made durable).
public struct DispatchState: Sendable {
    /// A unit of dispatched work: a run's step, or one poll of an operation (for all its runs).
    public enum Work: Hashable, Sendable {
        case run(Int64)
        case operation(Int64)
        /// One attempt of a delivered file's hook (`file_hooks.id`).
        case hook(Int64)
    }

    /// The slot a unit of work occupies.
    public enum Slot: Hashable, Sendable {
        /// A kickoff, poll or upload request.
        case request
        /// A download, until its last byte arrived.
        case download
        /// A delivery hook's program, until it exits.
        case hook
    }

    /// Slots, all sources together.
    public struct Limits: Hashable, Sendable {
        public var requests: Int
        public var downloads: Int
        /// Hook programs running at once.
        public var hooks: Int

        public init(requests: Int, downloads: Int, hooks: Int = 4) {
            self.requests = requests
            self.downloads = downloads
            self.hooks = hooks
        }
    }

    /// A pass of the loop: how many completions had been counted when it read the database.
    public struct Pass: Hashable, Sendable {
        fileprivate let readSequence: Int
    }

    /// What ``start(_:in:pass:)`` decided.
    public enum StartDecision: Hashable, Sendable {
        /// Started: the slot is taken until ``finished(_:)``.
        case started
        /// Already in flight.
        case alreadyRunning
        /// It finished after this pass read the database: the read is stale for it.
        case completedSinceRead
        /// No free slot of its kind.
        case noRoom
    }

    public let limits: Limits
    private var inFlight: [Work: Slot] = [:]
    private var runsInFlight = 0
    private var requestsInFlight = 0
    private var downloadsInFlight = 0
    private var hooksInFlight = 0
    /// Downloads whose slot was freed early (``transferFinished(run:)``).
    private var transfersFinished: Set<Int64> = []
    private var completionSequence = 0
    private var completedAt: [Work: Int] = [:]

    public init(limits: Limits) {
        self.limits = limits
    }

    // MARK: Passes

    /// Marks the point a pass reads the database from.
    public func beginPass() -> Pass {
        Pass(readSequence: completionSequence)
    }

    /// How many runs of a phase served by `slot` a pass should read: as many as could start
    /// (none when no slot is free); the read leaves out ``runIDsInFlight``.
    public func runReadLimit(for slot: Slot) -> Int {
        room(for: slot)
    }

    /// How many due operations a pass should read (polls take request slots): as many as
    /// could start; the read leaves out ``operationIDsInFlight``.
    public var pollReadLimit: Int {
        room(for: .request)
    }

    /// Runs with a step in flight, which a pass's read leaves out (``runReadLimit(for:)``).
    public var runIDsInFlight: [Int64] {
        inFlight.keys.compactMap { work in
            if case .run(let id) = work { id } else { nil }
        }
    }

    /// Operations being polled, which a pass's read leaves out (``pollReadLimit``).
    public var operationIDsInFlight: [Int64] {
        inFlight.keys.compactMap { work in
            if case .operation(let id) = work { id } else { nil }
        }
    }

    /// How many due hooks a pass should read.
    public var hookReadLimit: Int {
        let room = self.room(for: .hook)
        return room > 0 ? room + hooksInFlight : 0
    }

    /// Starts `work` in `slot` unless it is running, finished after `pass` read the database,
    /// or no slot of its kind is free.
    public mutating func start(_ work: Work, in slot: Slot, pass: Pass) -> StartDecision {
        if inFlight[work] != nil { return .alreadyRunning }
        if let completed = completedAt[work], completed > pass.readSequence { return .completedSinceRead }
        guard room(for: slot) > 0 else { return .noRoom }
        inFlight[work] = slot
        if case .run = work { runsInFlight += 1 }
        switch slot {
        case .request: requestsInFlight += 1
        case .download: downloadsInFlight += 1
        case .hook: hooksInFlight += 1
        }
        return .started
    }

    /// Forgets the completions every later pass's read has seen.
    public mutating func endPass(_ pass: Pass) {
        completedAt = completedAt.filter { $0.value > pass.readSequence }
    }

    // MARK: Completions

    /// `work` ended (in any way); its slot is free unless ``transferFinished(run:)`` freed it.
    public mutating func finished(_ work: Work) {
        guard let slot = inFlight.removeValue(forKey: work) else { return }
        completionSequence += 1
        completedAt[work] = completionSequence
        if case .run(let id) = work {
            runsInFlight -= 1
            if slot == .download, transfersFinished.remove(id) != nil { return }
        }
        switch slot {
        case .request: requestsInFlight -= 1
        case .download: downloadsInFlight -= 1
        case .hook: hooksInFlight -= 1
        }
    }

    /// A download received its last byte: its slot goes to the next download while the file is
    /// made durable, so the download limit bounds transfers, not the disk's latency. `false` if
    /// the run is not downloading or its slot was freed already.
    public mutating func transferFinished(run id: Int64) -> Bool {
        guard inFlight[.run(id)] == .download, transfersFinished.insert(id).inserted else { return false }
        downloadsInFlight -= 1
        return true
    }

    // MARK: Reading

    /// Free slots of a kind.
    public func room(for slot: Slot) -> Int {
        switch slot {
        case .request: max(0, limits.requests - requestsInFlight)
        case .download: max(0, limits.downloads - downloadsInFlight)
        case .hook: max(0, limits.hooks - hooksInFlight)
        }
    }

    /// Whether `work` is in flight.
    public func isRunning(_ work: Work) -> Bool { inFlight[work] != nil }

    /// Nothing in flight.
    public var isIdle: Bool { inFlight.isEmpty }

    /// Runs in flight (every slot).
    public var runCount: Int { runsInFlight }

    /// Operations being polled.
    public var pollCount: Int { inFlight.count - runsInFlight - hooksInFlight }

    /// Hook programs running.
    public var hookCount: Int { hooksInFlight }

    /// Kickoffs and upload steps in flight (request slots not taken by polls).
    public var startingCount: Int { max(0, requestsInFlight - pollCount) }

    /// Downloads still receiving bytes.
    public var downloadingCount: Int { downloadsInFlight }

    // MARK: Waking

    /// When the loop should pass again: the earliest of the next job due time, the next
    /// scheduled poll or attempt after `dispatchedAt`, and the end of a pause for failed state
    /// writes, but no later than `maximumSleep` after `dispatchedAt`.
    ///
    /// Measured from `dispatchedAt`, the instant the pass dispatched with: work that fell due
    /// while the pass ran is then seen as due, not overslept until the maximum.
    public static func wakeTime(
        dispatchedAt: Date, maximumSleep: TimeInterval, earliestDue: Date?, earliestScheduledWork: Date?, pausedUntil: Date?
    ) -> Date {
        var wakeAt = dispatchedAt.addingTimeInterval(maximumSleep)
        for candidate in [earliestDue, earliestScheduledWork, pausedUntil].compactMap({ $0 }) where candidate < wakeAt {
            wakeAt = candidate
        }
        return wakeAt
    }
}
