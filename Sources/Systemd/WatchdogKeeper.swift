import Synchronization

/// Sends `WATCHDOG=1` only while the engine proves it is alive.
///
/// A timer that pings on its own keeps a wedged daemon "healthy" forever. Here the timer only
/// *offers* a ping; the ping goes out only if the engine called ``engineDidProgress()`` since the
/// previous one. If the engine's loop stalls, pings stop and systemd restarts the unit after
/// `WatchdogSec=`.
///
/// How the engine drives it:
/// 1. Create one keeper when ``WatchdogConfiguration/fromEnvironment(_:processID:)`` returns a
///    configuration (no watchdog armed → no keeper).
/// 2. Run ``run(clock:)`` as a task (e.g. a ServiceLifecycle service) for the daemon's lifetime.
/// 3. Call ``engineDidProgress()`` at the end of every pass of the engine's main loop — the one
///    that schedules, polls and collects finished downloads — and make that loop wake up at least
///    every ``pingInterval`` even when nothing is due (`sleep(for: min(nextDue, pingInterval))`).
///    Don't call it from unrelated tasks (signal handlers, the HTTP client's callbacks): only the
///    loop whose stall matters may vouch for liveness.
///
/// With ping interval *P* (half of `WatchdogSec=`), a stall is detected within 3·*P* of the last
/// progress: at most *P* until the next offered ping is withheld, then `WatchdogSec=` = 2·*P*.
public final class WatchdogKeeper: Sendable {
    /// What one ``tick()`` did.
    public enum TickOutcome: Sendable, Hashable {
        /// The engine progressed since the last ping; `WATCHDOG=1` was sent.
        case pinged
        /// No progress since the last ping; nothing was sent.
        case withheld
        /// The engine progressed but the notification could not be sent.
        case sendFailed
    }

    private struct State {
        var progressSinceLastPing = false
        var pings = 0
    }

    /// How long ``run(clock:)`` waits between ticks: half the watchdog timeout.
    public let pingInterval: Duration
    private let notifier: ServiceNotifier
    private let state = Mutex(State())

    /// Creates a keeper that pings through `notifier` every `configuration.pingInterval`.
    ///
    /// The engine counts as alive at creation, so the first tick pings: start-up work already
    /// happened by the time the daemon arms the keeper.
    public init(configuration: WatchdogConfiguration, notifier: ServiceNotifier) {
        self.pingInterval = configuration.pingInterval
        self.notifier = notifier
        self.state.withLock { $0.progressSinceLastPing = true }
    }

    /// Records that the engine's loop completed a pass. Cheap; call it every iteration.
    public func engineDidProgress() {
        self.state.withLock { $0.progressSinceLastPing = true }
    }

    /// Pings if the engine progressed since the last ping, then starts a new observation window.
    @discardableResult
    public func tick() -> TickOutcome {
        let progressed = self.state.withLock { state in
            let progressed = state.progressSinceLastPing
            state.progressSinceLastPing = false
            return progressed
        }
        guard progressed else { return .withheld }
        guard self.notifier.watchdog() else { return .sendFailed }
        self.state.withLock { $0.pings += 1 }
        return .pinged
    }

    /// How many pings were sent so far (for `status` output and tests).
    public var pingCount: Int {
        self.state.withLock { $0.pings }
    }

    /// Ticks every ``pingInterval`` on `clock` until the task is cancelled.
    public func run<C: Clock>(clock: C) async where C.Duration == Duration {
        var deadline = clock.now.advanced(by: self.pingInterval)
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
            } catch {
                return  // cancelled
            }
            self.tick()
            // Fixed-rate schedule, but never try to catch up on missed ticks after a long stall.
            deadline = deadline.advanced(by: self.pingInterval)
            let now = clock.now
            if deadline < now { deadline = now.advanced(by: self.pingInterval) }
        }
    }

    /// Ticks every ``pingInterval`` on the continuous clock until the task is cancelled.
    public func run() async {
        await self.run(clock: ContinuousClock())
    }
}
