import ExportSyncCore
import Foundation
import Testing

/// The loop's dispatch bookkeeping, driven by hand: scripts of starts, completions and passes,
/// each step with the answer it must get. No engine, no sockets, no clock.
@Suite("DispatchState")
struct DispatchStateTests {
    /// One step of a script and what it must answer.
    enum Step: CustomStringConvertible {
        /// Starts `work` in `slot` within the pass numbered `pass`; expects `decision`.
        case start(DispatchState.Work, DispatchState.Slot, pass: Int, DispatchState.StartDecision)
        /// Opens pass number `n` (reads the database).
        case begin(Int)
        /// Closes pass number `n`.
        case end(Int)
        case finish(DispatchState.Work)
        /// A download's last byte; expects whether that freed its slot.
        case transferFinished(Int64, Bool)
        /// Expects the counts: runs, polls, starting (requests not polls), downloading, and the
        /// read limits for request phases, the download phase and polls.
        case counts(runs: Int, polls: Int, starting: Int, downloading: Int, readRequests: Int, readDownloads: Int, readPolls: Int)

        var description: String {
            switch self {
            case .start(let work, let slot, let pass, let decision): "start \(work) in \(slot) (pass \(pass)) → \(decision)"
            case .begin(let n): "begin pass \(n)"
            case .end(let n): "end pass \(n)"
            case .finish(let work): "finish \(work)"
            case .transferFinished(let id, let freed): "transfer of run \(id) finished → \(freed)"
            case .counts(let runs, let polls, let starting, let downloading, let readRequests, let readDownloads, let readPolls):
                "counts runs \(runs) polls \(polls) starting \(starting) downloading \(downloading) read \(readRequests)/\(readDownloads)/\(readPolls)"
            }
        }
    }

    struct Script: CustomTestStringConvertible, Sendable {
        let name: String
        let limits: DispatchState.Limits
        let steps: [Step]
        var testDescription: String { name }
    }

    static let scripts: [Script] = [
        Script(name: "request slots fill, a completion frees one, a running item is not started twice",
               limits: .init(requests: 2, downloads: 1), steps: [
                   .begin(1),
                   .counts(runs: 0, polls: 0, starting: 0, downloading: 0, readRequests: 2, readDownloads: 1, readPolls: 2),
                   .start(.run(1), .request, pass: 1, .started),
                   .start(.run(1), .request, pass: 1, .alreadyRunning),
                   .start(.operation(10), .request, pass: 1, .started),
                   .start(.run(2), .request, pass: 1, .noRoom),
                   .start(.operation(11), .request, pass: 1, .noRoom),
                   .counts(runs: 1, polls: 1, starting: 1, downloading: 0, readRequests: 0, readDownloads: 1, readPolls: 0),
                   .end(1),
                   .finish(.run(1)),
                   .begin(2),
                   .start(.run(2), .request, pass: 2, .started),
                   .counts(runs: 1, polls: 1, starting: 1, downloading: 0, readRequests: 0, readDownloads: 1, readPolls: 0),
               ]),
        Script(name: "work that finished after a pass's read is not started again from that stale read",
               limits: .init(requests: 4, downloads: 1), steps: [
                   .begin(1),
                   .start(.run(5), .request, pass: 1, .started),
                   .end(1),
                   .begin(2),
                   // Run 5 completes while pass 2 awaits its read; the read still shows it due.
                   .finish(.run(5)),
                   .start(.run(5), .request, pass: 2, .completedSinceRead),
                   .end(2),
                   .begin(3),
                   // Pass 3 read after the completion: whatever it shows is current.
                   .start(.run(5), .request, pass: 3, .started),
                   .end(3),
               ]),
        Script(name: "a poll that finished during a pass is not repeated by it either",
               limits: .init(requests: 4, downloads: 1), steps: [
                   .begin(1),
                   .start(.operation(7), .request, pass: 1, .started),
                   .finish(.operation(7)),
                   .start(.operation(7), .request, pass: 1, .completedSinceRead),
                   .end(1),
                   .begin(2),
                   .start(.operation(7), .request, pass: 2, .started),
               ]),
        Script(name: "a download's slot goes to the next download when its last byte arrived, not when its file is durable",
               limits: .init(requests: 4, downloads: 1), steps: [
                   .begin(1),
                   .start(.run(7), .download, pass: 1, .started),
                   .start(.run(8), .download, pass: 1, .noRoom),
                   .counts(runs: 1, polls: 0, starting: 0, downloading: 1, readRequests: 4, readDownloads: 0, readPolls: 4),
                   .transferFinished(7, true),
                   .transferFinished(7, false),
                   .start(.run(8), .download, pass: 1, .started),
                   .counts(runs: 2, polls: 0, starting: 0, downloading: 1, readRequests: 4, readDownloads: 0, readPolls: 4),
                   // Run 7's fsync/rename ends: its slot was already given away, nothing is freed twice.
                   .finish(.run(7)),
                   .counts(runs: 1, polls: 0, starting: 0, downloading: 1, readRequests: 4, readDownloads: 0, readPolls: 4),
                   .finish(.run(8)),
                   .counts(runs: 0, polls: 0, starting: 0, downloading: 0, readRequests: 4, readDownloads: 1, readPolls: 4),
               ]),
        Script(name: "a transfer end for a run that is not downloading frees nothing",
               limits: .init(requests: 1, downloads: 1), steps: [
                   .begin(1),
                   .transferFinished(3, false),
                   .start(.run(3), .request, pass: 1, .started),
                   .transferFinished(3, false),
                   .finish(.run(3)),
                   .finish(.run(3)),
                   .counts(runs: 0, polls: 0, starting: 0, downloading: 0, readRequests: 1, readDownloads: 1, readPolls: 1),
               ]),
        Script(name: "downloads and requests have separate slots",
               limits: .init(requests: 1, downloads: 1), steps: [
                   .begin(1),
                   .start(.run(1), .download, pass: 1, .started),
                   .start(.run(2), .request, pass: 1, .started),
                   .start(.operation(3), .request, pass: 1, .noRoom),
                   .start(.run(4), .download, pass: 1, .noRoom),
                   .counts(runs: 2, polls: 0, starting: 1, downloading: 1, readRequests: 0, readDownloads: 0, readPolls: 0),
               ]),
    ]

    @Test("a pass reads only what could start: the runs and operations in flight are named for the read to leave out")
    func inFlightWorkIsLeftOutOfTheRead() {
        var state = DispatchState(limits: .init(requests: 3, downloads: 1))
        let pass = state.beginPass()
        #expect(state.start(.run(1), in: .request, pass: pass) == .started)
        #expect(state.start(.run(2), in: .download, pass: pass) == .started)
        #expect(state.start(.operation(9), in: .request, pass: pass) == .started)
        #expect(state.runIDsInFlight.sorted() == [1, 2])
        #expect(state.operationIDsInFlight == [9])
        #expect(state.runReadLimit(for: .request) == 1 && state.pollReadLimit == 1 && state.runReadLimit(for: .download) == 0)
        // A download whose last byte arrived frees its slot but stays in flight (its file is made durable).
        let freed = state.transferFinished(run: 2)
        #expect(freed)
        #expect(state.runReadLimit(for: .download) == 1 && state.runIDsInFlight.sorted() == [1, 2])
        state.finished(.run(2))
        state.finished(.operation(9))
        #expect(state.runIDsInFlight == [1] && state.operationIDsInFlight.isEmpty)
    }

    @Test(arguments: scripts)
    func script(_ script: Script) {
        var state = DispatchState(limits: script.limits)
        var passes: [Int: DispatchState.Pass] = [:]
        for (index, step) in script.steps.enumerated() {
            let at = "step \(index + 1): \(step)"
            switch step {
            case .begin(let n):
                passes[n] = state.beginPass()
            case .end(let n):
                if let pass = passes[n] { state.endPass(pass) }
            case .start(let work, let slot, let n, let expected):
                guard let pass = passes[n] else {
                    Issue.record("\(at): pass \(n) was not begun")
                    continue
                }
                #expect(state.start(work, in: slot, pass: pass) == expected, "\(at)")
            case .finish(let work):
                state.finished(work)
            case .transferFinished(let id, let expected):
                #expect(state.transferFinished(run: id) == expected, "\(at)")
            case .counts(let runs, let polls, let starting, let downloading, let readRequests, let readDownloads, let readPolls):
                #expect(state.runCount == runs, "\(at): runs \(state.runCount)")
                #expect(state.pollCount == polls, "\(at): polls \(state.pollCount)")
                #expect(state.startingCount == starting, "\(at): starting \(state.startingCount)")
                #expect(state.downloadingCount == downloading, "\(at): downloading \(state.downloadingCount)")
                #expect(state.runReadLimit(for: .request) == readRequests, "\(at): request read limit \(state.runReadLimit(for: .request))")
                #expect(state.runReadLimit(for: .download) == readDownloads, "\(at): download read limit \(state.runReadLimit(for: .download))")
                #expect(state.pollReadLimit == readPolls, "\(at): poll read limit \(state.pollReadLimit)")
                #expect(state.isIdle == (runs == 0 && polls == 0), "\(at): idle \(state.isIdle)")
            }
        }
    }

    // MARK: Waking

    static let t0 = Date(timeIntervalSince1970: 1_000_000)
    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    struct WakeCase: CustomTestStringConvertible, Sendable {
        let name: String
        let earliestDue: Double?
        let scheduledWork: Double?
        let pausedUntil: Double?
        /// Seconds after the pass dispatched (at t0).
        let expected: Double
        var testDescription: String { name }
    }

    static let wakeCases: [WakeCase] = [
        WakeCase(name: "nothing scheduled: the maximum sleep (watchdog and deadline checks)", earliestDue: nil, scheduledWork: nil, pausedUntil: nil, expected: 10),
        WakeCase(name: "a job due in 3 s", earliestDue: 3, scheduledWork: nil, pausedUntil: nil, expected: 3),
        WakeCase(name: "a poll due before the job", earliestDue: 3, scheduledWork: 0.25, pausedUntil: nil, expected: 0.25),
        WakeCase(name: "a job due an hour away does not lengthen the maximum", earliestDue: 3_600, scheduledWork: nil, pausedUntil: nil, expected: 10),
        WakeCase(name: "a pause for failed state writes ends first", earliestDue: 5, scheduledWork: 4, pausedUntil: 2, expected: 2),
        WakeCase(name: "a job overdue (came due while the pass ran) wakes at once", earliestDue: -1, scheduledWork: 4, pausedUntil: nil, expected: -1),
    ]

    @Test(arguments: wakeCases)
    func wakeTime(_ wake: WakeCase) {
        let wakeAt = DispatchState.wakeTime(
            dispatchedAt: Self.t0, maximumSleep: 10, earliestDue: wake.earliestDue.map(Self.at),
            earliestScheduledWork: wake.scheduledWork.map(Self.at), pausedUntil: wake.pausedUntil.map(Self.at))
        #expect(wakeAt == Self.at(wake.expected))
    }

    /// The regression this guards: a pass that took 0.3 s, with a poll due 0.2 s after it
    /// dispatched, must not sleep the maximum: the wake time is the poll's, already past when
    /// the pass ends, so the loop passes again at once.
    @Test func wakeTimesAreMeasuredFromTheDispatchInstant() {
        let wakeAt = DispatchState.wakeTime(dispatchedAt: Self.t0, maximumSleep: 10, earliestDue: nil,
                                            earliestScheduledWork: Self.at(0.2), pausedUntil: nil)
        #expect(wakeAt == Self.at(0.2))
        #expect(wakeAt < Self.at(0.3))
    }
}
