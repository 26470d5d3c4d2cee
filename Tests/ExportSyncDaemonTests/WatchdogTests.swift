import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// `WATCHDOG=1` from a real process: `WATCHDOG_USEC` arms it and the datagrams reach
/// `NOTIFY_SOCKET`. That pings follow the loop — withheld while it is wedged, sent at once when it
/// recovers — is checked exactly on a stepped clock (``DaemonServiceClockTests``).
@Suite("exportsync run: the watchdog follows the engine's loop")
struct WatchdogTests {
    /// The WatchdogKeeper contract: the loop passes at least every ping interval, also when
    /// nothing is due for hours. Regression: with the engine's sleep left at its 10 s maximum, an
    /// idle daemon went 4+ s without a ping, and systemd would kill a healthy daemon under any
    /// `WatchdogSec=` of 20 s or less. The daemon arms the loop's maximum sleep at half the ping
    /// interval (checked here from the log's metadata); that no sleep exceeds the maximum is
    /// ``DispatchState/wakeTime(dispatchedAt:maximumSleep:earliestDue:earliestScheduledWork:pausedUntil:)``'s
    /// table test. Here the idle daemon only has to keep pinging.
    @Test("an idle engine keeps the watchdog fed (WATCHDOG_USEC=2 s)", .timeLimit(.minutes(2)))
    func idleEngineKeepsPinging() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let notify = fixture.notifySocket
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "6h")])
            let daemon = try fixture.launchDaemon(watchdogMicroseconds: 2_000_000)
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            #expect(await daemon.waitForLog("loop_max_sleep_ms=500", timeout: .seconds(20)), "\(daemon.logTail())")
            #expect(daemon.standardError.contains("watchdog_ping_ms=1000"), "\(daemon.logTail())")
            let idle = try await notify.waitFor("STATUS with a last file", from: ready.index, timeout: .seconds(30)) {
                $0.value(of: "STATUS").map(StatusLinePattern.reportsFileWritten) ?? false
            }
            // Nothing is due for six hours: pings keep coming from the idle loop's passes.
            try await notify.waitFor("three pings while idle", from: idle.index, timeout: .seconds(30)) { _ in
                notify.received[idle.index...].filter(\.isWatchdogPing).count >= 3
            }
            let silence = WatchdogPingTimeline.longestSilence(notify.received, from: idle.message.receivedAt, to: MonotonicClock.microseconds())
            print("measured: longest silence \(String(format: "%.2f", silence)) s while idle (WATCHDOG_USEC=2 s)")
            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(10)) == 0, "\(daemon.logTail())")
        }
    }
}
