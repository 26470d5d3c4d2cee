import AsyncHTTPClient
import ExportSyncConfig
import ExportSyncCore
import ExportSyncDaemon
import ExportSyncEngine
import ExportSyncMetrics
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging
import Synchronization
import Systemd
import Testing

/// The daemon's services started in this process by the same builder `run` uses
/// (``DaemonApplication``), against a ``DaemonFixture``'s sandbox, on a ``SteppedClock``: time
/// moves only when the test says, so loop timing, schedules, deadlines, watchdog pings and
/// reloads are checked exactly, however loaded the machine is.
///
/// The test moves time with ``advance(by:)``, which returns once the engine has acted on the new
/// time and gone back to sleep with nothing in flight (``waitUntilIdle()``). Work in flight that
/// itself sleeps on the clock (a binding client rate limit) is not advanced: tests keep the
/// configured rates far above what they send at one instant.
final class InProcessDaemon: Sendable {
    let fixture: DaemonFixture
    let clock: SteppedClock
    let application: DaemonApplication
    let store: StateStore
    let log: CapturedLogRecords
    private let httpClient: HTTPClient
    private let passes: PassLog
    private let reloadRequests: AsyncStream<Void>.Continuation
    private let running: Mutex<Task<ExportEngine.Outcome, any Error>?>
    private let gate: PassGate
    /// The metrics, when the configuration sets `metrics_listen`.
    let metrics: DaemonMetrics?
    private let metricsPortValue = BoundPort()

    /// One pass of the engine's loop as `onPass` saw it.
    struct ObservedPass: Sendable {
        let progress: EngineProgress
        /// The clock's next sleeper id when the pass ended: the loop's timer has an id at least this.
        let sleeperIDAfter: UInt64
    }

    /// Builds and starts the daemon on the fixture's configuration (``DaemonFixture/writeConfig(jobs:)``
    /// first), runs `prepare()`, and waits until its first passes are done (unless `waitForIdle`
    /// is false: work that waits on the clock, such as a hook's timeout, would hold it forever).
    static func start(_ fixture: DaemonFixture, clock: SteppedClock? = nil, watchdog: WatchdogConfiguration? = nil,
                      notifySocket: String? = nil, mode: ExportEngine.Mode = .daemon, waitForIdle: Bool = true) async throws -> InProcessDaemon {
        let daemon = try InProcessDaemon(fixture: fixture, clock: clock ?? fixture.clock ?? SteppedClock(), watchdog: watchdog, notifySocket: notifySocket, mode: mode)
        _ = try await daemon.application.engine.prepare()
        daemon.launch()
        if waitForIdle { try await daemon.waitUntilIdle() }
        return daemon
    }

    private init(fixture: DaemonFixture, clock: SteppedClock, watchdog: WatchdogConfiguration?, notifySocket: String?,
                 mode: ExportEngine.Mode) throws {
        self.fixture = fixture
        self.clock = clock
        let configuration = try ConfigurationLoader().load(path: fixture.configPath)
        let secrets = try CredentialResolver(environment: DaemonProcess.demoSecrets).resolveAll(configuration)
        try FileManager.default.createDirectory(atPath: configuration.daemon.stateDirectory, withIntermediateDirectories: true)
        let store = try StateStore(path: configuration.daemon.databasePath)
        self.store = store
        httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: ProviderSettings.httpClientConfiguration())
        let log = CapturedLogRecords()
        self.log = log
        let logger = Logger(label: "exportsync.in-process") { _ in CapturingLogHandler(records: log) }
        let passes = PassLog()
        self.passes = passes
        let gate = PassGate()
        self.gate = gate
        let notifier = ServiceNotifier(environment: notifySocket.map { ["NOTIFY_SOCKET": $0] } ?? [:])
        // As `run` builds them: a registry of this daemon's own, counted into by the clients too.
        let metrics = configuration.daemon.metricsListen.map { _ in DaemonMetrics(store: store) }
        self.metrics = metrics
        var settings = ProviderSettings()
        if let metrics { settings.metrics = metrics.exportMetrics }
        let providerSettings = settings
        let metricsPort = metricsPortValue
        application = DaemonApplication(
            configuration: configuration,
            clients: SourceClient.makeAll(configuration: configuration, secrets: secrets, httpClient: httpClient,
                                          settings: providerSettings, clock: clock, logger: logger),
            store: store, mode: mode, clock: clock, notifier: notifier, watchdog: watchdog, logger: logger, randomSeed: 20261202,
            metrics: metrics, onMetricsListening: { port in metricsPort.value.withLock { $0 = port } },
            onPass: { progress in
                passes.withLock { $0.append(ObservedPass(progress: progress, sleeperIDAfter: clock.nextSleeperID)) }
                gate.passThrough()
            })
        let (requests, continuation) = AsyncStream<Void>.makeStream()
        reloadRequests = continuation
        running = Mutex(nil)
        let engine = application.engine
        let httpClient = httpClient
        let reload: @Sendable () async throws -> Void = {
            let configuration = try ConfigurationLoader().load(path: fixture.configPath)
            let secrets = try CredentialResolver(environment: DaemonProcess.demoSecrets).resolveAll(configuration)
            try await engine.reload(configuration: configuration,
                                    clients: SourceClient.makeAll(configuration: configuration, secrets: secrets, httpClient: httpClient,
                                                                  settings: providerSettings, clock: clock, logger: logger))
        }
        self.requests = requests
        self.reload = reload
    }

    private let requests: AsyncStream<Void>
    private let reload: @Sendable () async throws -> Void

    /// Runs the services in a task, as `run` does after `prepare()`.
    private func launch() {
        let application = application
        let requests = requests
        let reload = reload
        running.withLock { $0 = Task { try await application.run(reloads: requests, reload: reload) } }
    }

    // MARK: Observing

    /// The port `/metrics` is served on, once it is (bounded wait).
    func metricsPort(sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int {
        try await waitFor("the metrics listener", sourceLocation: sourceLocation) { self.metricsPortValue.value.withLock { $0 } != nil }
        return try #require(metricsPortValue.value.withLock { $0 }, sourceLocation: sourceLocation)
    }

    /// Every pass so far, oldest first.
    var observedPasses: [ObservedPass] { passes.withLock { $0 } }

    /// Waits (bounded) until the loop has gone to sleep on the clock with nothing in flight:
    /// its last pass left no work in flight, its wake time lies ahead, and its timer sleeps on
    /// the clock.
    ///
    /// Work in flight that sleeps briefly on the clock (a client's rate limit between two
    /// requests at one instant) would wait forever for a clock that only the test moves: once
    /// nothing has changed for 20 ms, the clock is moved to the earliest such deadline (at most
    /// 1 s ahead), as time would pass by itself.
    func waitUntilIdle(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let quiet = QuietTimer()
        try await waitFor("the engine to go idle", sourceLocation: sourceLocation) {
            guard let last = self.passes.withLock({ $0.last }), let wakesAt = last.progress.wakesAt, wakesAt > self.clock.now else { return false }
            let sleepers = self.clock.sleepers
            let loopTimer = sleepers.first { $0.id >= last.sleeperIDAfter && $0.deadline == wakesAt }
            if last.progress.workInFlight == 0 { return loopTimer != nil }
            if quiet.unchanged(passes: self.passes.withLock { $0.count }, sleepers: sleepers.map(\.id), for: .milliseconds(20)),
                      let brief = sleepers.filter({ $0.id != loopTimer?.id && $0.deadline <= self.clock.now.addingTimeInterval(1) })
                          .min(by: { $0.deadline < $1.deadline }) {
                self.clock.advance(to: brief.deadline)
            }
            return false
        }
    }

    /// Moves the clock by `seconds` and returns once the engine has acted on the new time and is idle again.
    func advance(by seconds: Double, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await advance(to: clock.now.addingTimeInterval(seconds), sourceLocation: sourceLocation)
    }

    /// Moves the clock to `date`; see ``advance(by:)``.
    func advance(to date: Date, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = passes.withLock { $0.count }
        let wakesAt = passes.withLock { $0.last?.progress.wakesAt }
        clock.advance(to: date)
        if let wakesAt, wakesAt <= date {
            try await waitFor("a pass after the clock reached \(wakesAt)", sourceLocation: sourceLocation) {
                self.passes.withLock { $0.count } > before
            }
        }
        try await waitUntilIdle(sourceLocation: sourceLocation)
    }

    /// Moves the clock to the loop's next wake time and returns it, once the engine is idle again.
    @discardableResult
    func advanceToNextWake(sourceLocation: SourceLocation = #_sourceLocation) async throws -> Date {
        let wakesAt = try #require(passes.withLock { $0.last?.progress.wakesAt }, sourceLocation: sourceLocation)
        try await advance(to: wakesAt, sourceLocation: sourceLocation)
        return wakesAt
    }

    /// Asks for a reload (what SIGHUP does) and waits until the engine is idle after it.
    func reload(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = passes.withLock { $0.count }
        reloadRequests.yield()
        try await waitFor("a pass after the reload", sourceLocation: sourceLocation) { self.passes.withLock { $0.count } > before }
        try await waitUntilIdle(sourceLocation: sourceLocation)
    }

    /// Asks for a reload without waiting for anything (a reload that is rejected changes nothing).
    func requestReload() { reloadRequests.yield() }

    /// Holds the loop inside its next pass (a wedged loop) until ``releaseLoop()``.
    func holdLoop() { gate.close() }
    func releaseLoop() { gate.open() }

    /// Stops the services (as a cancelled `ServiceGroup`) and returns the engine's outcome.
    @discardableResult
    func stop() async throws -> ExportEngine.Outcome {
        reloadRequests.finish()
        gate.open()
        let task = running.withLock { $0 }
        task?.cancel()
        let outcome = try await task?.value ?? ExportEngine.Outcome()
        try await httpClient.shutdown()
        return outcome
    }

    /// Waits until the engine returns on its own (``ExportEngine/Mode/once``).
    func outcome() async throws -> ExportEngine.Outcome {
        let task = running.withLock { $0 }
        let outcome = try await task?.value ?? ExportEngine.Outcome()
        try await httpClient.shutdown()
        return outcome
    }

    /// Polls `condition` until it holds; fails the test after 60 s of real time (a bound on a
    /// hang, not a timing assertion: every step the condition waits for is local and immediate).
    func waitFor(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                 _ condition: @escaping @Sendable () async throws -> Bool) async throws {
        let giveUp = ContinuousClock.now.advanced(by: .seconds(60))
        while try await !condition() {
            guard ContinuousClock.now < giveUp else {
                Issue.record("timed out waiting for \(what); last pass: \(String(describing: passes.withLock { $0.last?.progress })), sleepers: \(clock.sleepers)",
                             sourceLocation: sourceLocation)
                throw InProcessDaemonError.timedOut(what)
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// The port the metrics listener bound, once it has.
final class BoundPort: Sendable {
    let value = Mutex<Int?>(nil)
}

/// The passes `onPass` saw, shared with the test.
final class PassLog: Sendable {
    private let passes = Mutex<[InProcessDaemon.ObservedPass]>([])

    func withLock<T>(_ body: (inout [InProcessDaemon.ObservedPass]) -> T) -> T { passes.withLock { body(&$0) } }
}

enum InProcessDaemonError: Error {
    case timedOut(String)
}

/// How long the engine's passes and the clock's sleepers have stayed as they are.
final class QuietTimer: Sendable {
    private let last = Mutex<(passes: Int, sleepers: [UInt64], since: ContinuousClock.Instant)>((-1, [], ContinuousClock.now))

    /// Whether `passes` and `sleepers` are what they were `duration` ago (and remembers them).
    func unchanged(passes: Int, sleepers: [UInt64], for duration: Duration) -> Bool {
        last.withLock { last in
            if last.passes != passes || last.sleepers != sleepers {
                last = (passes, sleepers, ContinuousClock.now)
                return false
            }
            return ContinuousClock.now - last.since >= duration
        }
    }
}

/// Blocks the engine's loop inside `onPass` while closed: a wedged loop, for the watchdog.
final class PassGate: Sendable {
    private let closed = Mutex(false)

    func close() { closed.withLock { $0 = true } }
    func open() { closed.withLock { $0 = false } }

    /// Returns once the gate is open (the loop's thread waits; nothing else runs on it).
    func passThrough() {
        while closed.withLock({ $0 }) { usleep(1_000) }
    }
}

/// Log records an in-process daemon wrote, for assertions on their metadata.
final class CapturedLogRecords: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    /// Records carrying metadata `key` (with `value`, when given).
    func with(_ key: String, _ value: String? = nil) -> [Record] {
        all.filter { record in record.metadata[key].map { value == nil || $0 == value } ?? false }
    }
}

struct CapturingLogHandler: LogHandler {
    let records: CapturedLogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        records.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
