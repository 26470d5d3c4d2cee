import Synchronization

/// Sends `WATCHDOG=1` only while the engine proves it is alive.
///
/// A timer that pings on its own keeps a wedged daemon "healthy" forever. Here the timer only
/// *offers* a ping every ``pingInterval``; it goes out only if the engine called
/// ``engineDidProgress()`` since the previous ping. When an offer was withheld, the engine's next
/// progress report pings at once, from the engine's own call. So every ping follows a progress
/// report, and systemd restarts the unit once the engine has been silent for `WatchdogSec=`.
///
/// How the engine drives it:
/// 1. Create one keeper when ``WatchdogConfiguration/fromEnvironment(_:processID:)`` returns a
///    configuration (no watchdog armed → no keeper), after `READY=1`.
/// 2. Run ``run(clock:)`` (or ``run()``) as a task for the daemon's lifetime, e.g. a
///    ServiceLifecycle service; cancel it on shutdown.
/// 3. Call ``engineDidProgress()`` at the end of every pass of the engine's main loop — the one
///    that schedules, polls and collects finished downloads — and make that loop wake up at least
///    every ``pingInterval`` even when nothing is due (`sleep(for: min(untilNextDue, pingInterval))`).
///    Don't call it from unrelated tasks (signal handlers, HTTP callbacks, this keeper's own
///    task): only the loop whose stall matters may vouch for liveness.
///
/// With ping interval *P* (half of `WatchdogSec=`), the last ping comes at most *P* after the last
/// progress report, so systemd acts between 2·*P* and 3·*P* after the engine stalls.
public final class WatchdogKeeper: Sendable {
    /// What one ``tick()`` did.
    public enum TickOutcome: Sendable, Hashable {
        /// The engine progressed since the last ping; `WATCHDOG=1` was sent.
        case pinged
        /// No progress since the last ping; nothing was sent. The next progress report pings.
        case withheld
        /// The engine progressed but the notification could not be sent.
        case sendFailed
    }

    private struct State {
        var progressSinceLastPing = false
        /// The last offered ping was withheld; the next progress report pings immediately.
        var pingOverdue = false
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

    /// Records that the engine's loop completed a pass. Cheap; call it every iteration. If the
    /// last offered ping was withheld, this sends it now.
    public func engineDidProgress() {
        let pingNow = self.state.withLock { state in
            if state.pingOverdue {
                state.pingOverdue = false
                state.progressSinceLastPing = false
                return true
            }
            state.progressSinceLastPing = true
            return false
        }
        if pingNow { _ = self.ping() }
    }

    /// Pings if the engine progressed since the last ping, then starts a new observation window.
    @discardableResult
    public func tick() -> TickOutcome {
        let progressed = self.state.withLock { state in
            let progressed = state.progressSinceLastPing
            state.progressSinceLastPing = false
            state.pingOverdue = !progressed
            return progressed
        }
        guard progressed else { return .withheld }
        return self.ping() ? .pinged : .sendFailed
    }

    private func ping() -> Bool {
        guard self.notifier.watchdog() else { return false }
        self.state.withLock { $0.pings += 1 }
        return true
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
