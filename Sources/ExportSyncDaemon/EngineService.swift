import ExportSyncEngine
import Logging
import ServiceLifecycle
import Synchronization
import Systemd

/// The engine as a service: `READY=1`, then the loop until it returns or the group shuts down.
/// Every pass of the loop vouches for liveness to the watchdog and updates `STATUS=`.
final class EngineService: Service, Sendable {
    let engine: ExportEngine
    let mode: ExportEngine.Mode
    let notifier: ServiceNotifier
    let readyStatus: String
    let watchdogKeeper: WatchdogKeeper?
    let onPass: @Sendable (EngineProgress) -> Void
    let onStop: @Sendable () -> Void
    private let result = Mutex<ExportEngine.Outcome?>(nil)
    private let statusLine: StatusLineThrottle

    init(engine: ExportEngine, mode: ExportEngine.Mode, notifier: ServiceNotifier, readyStatus: String, watchdogKeeper: WatchdogKeeper?,
         onPass: @escaping @Sendable (EngineProgress) -> Void, onStop: @escaping @Sendable () -> Void) {
        self.engine = engine
        self.mode = mode
        self.notifier = notifier
        self.readyStatus = readyStatus
        self.watchdogKeeper = watchdogKeeper
        self.onPass = onPass
        self.onStop = onStop
        statusLine = StatusLineThrottle(notifier: notifier)
    }

    /// What the engine achieved, once it has returned.
    var outcome: ExportEngine.Outcome? { result.withLock { $0 } }

    func run() async {
        notifier.ready(status: readyStatus)
        let keeper = watchdogKeeper
        let statusLine = statusLine
        let onPass = onPass
        let engine = engine
        let mode = mode
        let outcome = await cancelWhenGracefulShutdown {
            await engine.run(mode: mode) { progress in
                keeper?.engineDidProgress()
                statusLine.update(progress.statusLine)
                onPass(progress)
            }
        }
        onStop()
        result.withLock { $0 = outcome }
    }
}

/// Says `STOPPING=1` (and logs it) when the group begins a graceful shutdown.
struct ShutdownNoticeService: Service {
    let notifier: ServiceNotifier
    let logger: Logger

    func run() async {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the group is going away without a graceful shutdown
        }
        notifier.stopping(status: "stopping: finishing database writes")
        logger.notice("shutting down")
    }
}

/// Sends `STATUS=` only when the line changed, so a busy engine does not flood systemd.
final class StatusLineThrottle: Sendable {
    private let notifier: ServiceNotifier
    private let last = Mutex<String>("")

    init(notifier: ServiceNotifier) { self.notifier = notifier }

    func update(_ line: String) {
        let changed = last.withLock { previous in
            guard previous != line else { return false }
            previous = line
            return true
        }
        if changed { notifier.status(line) }
    }
}
