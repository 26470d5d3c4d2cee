import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// `WATCHDOG=1` comes from the engine's own loop: it stops when that loop is stuck while the
/// rest of the process carries on, and comes back when the loop does.
@Suite("exportsync run: the watchdog follows the engine's loop")
struct WatchdogTests {
    /// The real wedge: another process holds the database's write lock (as a `sqlite3` shell in
    /// `BEGIN IMMEDIATE` would). The loop's next write (scheduling the job that came due) waits
    /// in SQLite's busy handler, so the loop stops passing; signal handling still works.
    @Test("a database locked by another process stalls the loop: pings stop (while SIGHUP is still answered), then resume",
          .timeLimit(.minutes(2)))
    func lockedDatabaseStopsThePings() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let notify = fixture.notifySocket
            // A job due every second keeps the loop passing (and writing) at least once a second.
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1s")])
            let daemon = try fixture.launchDaemon(watchdogMicroseconds: 2_000_000)
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            #expect(await daemon.waitForLog("wrote \(DaemonJobs.boardMemoPDFPath)", timeout: .seconds(20)), "\(daemon.logTail())")
            try await notify.waitFor("four pings", from: ready.index, timeout: .seconds(8)) { _ in
                notify.received[ready.index...].filter(\.isWatchdogPing).count >= 4
            }

            // Steady state: WATCHDOG=1 about every second (half of WATCHDOG_USEC), nothing else in
            // it. Only "no more pings than offers" is checked (one per interval, plus the first and
            // one sent late by a progress report); the rhythm itself is tested on a manual clock
            // in WatchdogKeeperTests, and a loaded machine may be late.
            let beforeLock = MonotonicClock.microseconds()
            let steady = WatchdogPingTimeline(notify.received, from: ready.message.receivedAt, to: beforeLock)
            print("measured: watchdog ping intervals while running: \(steady.intervalsDescription) s")
            let steadySeconds = MonotonicClock.seconds(from: ready.message.receivedAt, to: beforeLock)
            #expect(steady.intervals.count >= 3 && steady.pingTimes.count <= Int(steadySeconds) + 2,
                    "\(steady.pingTimes.count) pings in \(steadySeconds) s: \(steady.intervalsDescription)")
            #expect(notify.received.filter(\.isWatchdogPing).allSatisfy { $0.names == ["WATCHDOG"] })

            let lock = try SQLiteWriterLock(databasePath: fixture.databasePath)
            try #require(await lock.acquire(timeout: .seconds(2)), "could not take the database's write lock")
            let lockedAt = MonotonicClock.microseconds()

            // The process is alive: SIGHUP is answered at once with RELOADING=1 (the reload itself
            // then waits for the database too).
            try await Task.sleep(for: .seconds(3.5))
            let mark = notify.received.count
            daemon.send(SIGHUP)
            let reloading = try await notify.waitFor("RELOADING=1 while the loop is stuck", from: mark, timeout: .seconds(20)) { $0.isReloading }
            try await Task.sleep(for: .seconds(1.5))
            let releasedAt = MonotonicClock.microseconds()
            lock.release()

            let silence = WatchdogPingTimeline.longestSilence(notify.received, from: lockedAt, to: releasedAt)
            print("measured: \(String(format: "%.2f", silence)) s without a ping while the database was locked for \(String(format: "%.2f", MonotonicClock.seconds(from: lockedAt, to: releasedAt))) s")
            #expect(silence > 3.0, "the watchdog kept being fed while the loop was stuck (longest silence \(silence) s, WATCHDOG_USEC=2 s)")
            #expect(daemon.isRunning)

            let resumed = try await notify.waitFor("a ping after the lock is released", from: mark, timeout: .seconds(20)) {
                $0.isWatchdogPing && $0.receivedAt > releasedAt
            }
            print("measured: first ping \(String(format: "%.2f", MonotonicClock.seconds(from: releasedAt, to: resumed.message.receivedAt))) s after the lock was released")
            try await notify.waitFor("READY=1 after the delayed reload", from: reloading.index + 1, timeout: .seconds(20)) { $0.isReady }

            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(10)) == 0, "\(daemon.logTail())")
        }
    }

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
