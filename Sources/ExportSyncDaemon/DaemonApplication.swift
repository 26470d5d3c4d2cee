public import ExportSyncConfig
public import ExportSyncEngine
public import ExportSyncMetrics
public import ExportSyncProviders
public import ExportSyncStore
public import Logging
import ServiceLifecycle
public import Systemd
public import UnixSignals
import Foundation

/// The daemon's parts for one configuration, and the `ServiceGroup` that runs them: what
/// `exportsync run` and `once` start, and what the in-process tests start on a manual clock.
///
/// ```swift
/// let application = DaemonApplication(configuration: configuration, clients: clients, store: store,
///                                      mode: .daemon, notifier: notifier, watchdog: watchdog, logger: logger)
/// let outcome = try await application.run(reloads: sighups, reload: { … }, gracefulShutdownSignals: [.sigterm, .sigint])
/// ```
///
/// The services: the engine (``EngineService``: `READY=1`, then the loop, whose passes feed the
/// watchdog and `STATUS=`), the shutdown notice (`STOPPING=1`), reloads (``ReloadService``) and,
/// when systemd armed one, the watchdog (``WatchdogService``), and daily warnings about jobs on
/// paths with a sunset (``SunsetNoticeService``), and with `metrics_listen` the `/metrics`
/// listener (``MetricsServer``). Every timer reads one clock.
public struct DaemonApplication: Sendable {
    /// The engine the services drive.
    public let engine: ExportEngine
    /// How long the engine keeps going.
    public let mode: ExportEngine.Mode
    /// Offers `WATCHDOG=1` pings (nil when systemd armed no watchdog).
    public let watchdogKeeper: WatchdogKeeper?
    let notifier: ServiceNotifier
    let clock: any ProviderClock
    let logger: Logger
    let readyStatus: String
    let onPass: @Sendable (EngineProgress) -> Void
    let onStop: @Sendable () -> Void
    let metricsListener: (address: MetricsListenAddress, metrics: DaemonMetrics, onListening: @Sendable (Int) -> Void)?

    /// Builds the engine over an open store and one client per source.
    ///
    /// - Parameters:
    ///   - watchdog: systemd's watchdog, if armed: the loop then passes at least every half ping
    ///     interval, so a healthy engine is never mistaken for a wedged one.
    ///   - onPass: called at the end of every pass of the loop, after the watchdog and `STATUS=`.
    ///   - onStop: called once the engine has returned.
    ///   - metrics: where the engine counts (the clients count through their own
    ///     `ProviderSettings.metrics`, which should be `metrics.exportMetrics` too); with
    ///     `configuration.daemon.metricsListen` set, `GET /metrics` serves it there.
    ///   - onMetricsListening: called with the bound port once `/metrics` is served.
    public init(configuration: Configuration, clients: [String: SourceClient], store: StateStore, mode: ExportEngine.Mode,
                clock: any ProviderClock = SystemProviderClock(), notifier: ServiceNotifier, watchdog: WatchdogConfiguration?,
                logger: Logger, randomSeed: UInt64 = UInt64.random(in: 0...UInt64.max), metrics: DaemonMetrics? = nil,
                onMetricsListening: @escaping @Sendable (Int) -> Void = { _ in },
                onPass: @escaping @Sendable (EngineProgress) -> Void = { _ in }, onStop: @escaping @Sendable () -> Void = {}) {
        var limits = ExportEngine.Limits(maximumConcurrentDownloads: configuration.daemon.maxConcurrentDownloads)
        if let watchdog {
            limits.maximumSleep = min(limits.maximumSleep, watchdog.pingInterval / 2)
            logger.info("watchdog armed: a ping offered every \(watchdog.pingInterval), the loop passes at least every \(limits.maximumSleep)",
                        metadata: ["watchdog_ping_ms": "\(Self.milliseconds(watchdog.pingInterval))",
                                   "loop_max_sleep_ms": "\(Self.milliseconds(limits.maximumSleep))"])
        }
        engine = ExportEngine(configuration: configuration, clients: clients, store: store, logger: logger,
                              limits: limits, randomSeed: randomSeed, clock: clock, metrics: metrics?.exportMetrics ?? .disabled)
        if let metrics, let address = configuration.daemon.metricsListen {
            metricsListener = (address, metrics, onMetricsListening)
        } else {
            metricsListener = nil
        }
        watchdogKeeper = watchdog.map { WatchdogKeeper(configuration: $0, notifier: notifier) }
        self.mode = mode
        self.notifier = notifier
        self.clock = clock
        self.logger = logger
        readyStatus = "ready: \(configuration.jobs.count) job(s)"
        self.onPass = onPass
        self.onStop = onStop
    }

    /// Runs the services until the engine returns (``ExportEngine/Mode/once``), one of
    /// `gracefulShutdownSignals` arrives, or the calling task is cancelled; returns what the
    /// engine achieved. Each element of `reloads` calls `reload` (SIGHUP in the daemon).
    public func run<Reloads: AsyncSequence & Sendable>(
        reloads: Reloads, reload: @escaping @Sendable () async throws -> Void,
        gracefulShutdownSignals: [UnixSignal] = [], maximumGracefulShutdownDuration: Duration = .seconds(20)
    ) async throws -> ExportEngine.Outcome where Reloads.Element == Void {
        try await run(reloads: reloads, wakes: AsyncStream<Void> { $0.finish() }, reload: reload,
                      gracefulShutdownSignals: gracefulShutdownSignals, maximumGracefulShutdownDuration: maximumGracefulShutdownDuration)
    }

    /// ``run(reloads:reload:gracefulShutdownSignals:maximumGracefulShutdownDuration:)``; each
    /// element of `wakes` (SIGUSR1 in the daemon) gives the engine a pass at once.
    public func run<Reloads: AsyncSequence & Sendable, Wakes: AsyncSequence & Sendable>(
        reloads: Reloads, wakes: Wakes, reload: @escaping @Sendable () async throws -> Void,
        gracefulShutdownSignals: [UnixSignal] = [], maximumGracefulShutdownDuration: Duration = .seconds(20)
    ) async throws -> ExportEngine.Outcome where Reloads.Element == Void, Wakes.Element == Void {
        let engineService = EngineService(engine: engine, mode: mode, notifier: notifier, readyStatus: readyStatus,
                                          watchdogKeeper: watchdogKeeper, onPass: onPass, onStop: onStop)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: engineService, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: ShutdownNoticeService(notifier: notifier, logger: logger), successTerminationBehavior: .ignore),
            .init(service: ReloadService(reloads: reloads, reload: reload, notifier: notifier, logger: logger),
                  successTerminationBehavior: .ignore),
            .init(service: SunsetNoticeService(engine: engine, clock: clock, logger: logger), successTerminationBehavior: .ignore),
            .init(service: WakeService(wakes: wakes, engine: engine), successTerminationBehavior: .ignore),
        ]
        if let watchdogKeeper {
            services.append(.init(service: WatchdogService(keeper: watchdogKeeper, clock: clock), successTerminationBehavior: .ignore))
        }
        if let (address, metrics, onListening) = metricsListener {
            let engine = engine
            let server = MetricsServer(metrics: metrics, host: address.host, port: address.port,
                                       jobIntervals: { await engine.scheduleIntervals() }, logger: logger, onListening: onListening)
            // First in the group, so it stops last (the group stops services in reverse order)
            // and a scrape never holds up the engine's shutdown. A listener that cannot bind
            // shuts the group down gracefully: the engine finishes and records its steps in
            // flight instead of being cancelled in the middle of one.
            services.insert(.init(service: server, successTerminationBehavior: .ignore,
                                  failureTerminationBehavior: .gracefullyShutdownGroup), at: 0)
        }
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        configuration.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
        try await ServiceGroup(configuration: configuration).run()
        return engineService.outcome ?? ExportEngine.Outcome()
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
