import ExportSyncCore
import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// The whole sd_notify conversation of one `exportsync run`, from start to SIGTERM, against a
/// real notify socket: READY after recovery, STATUS, watchdog pings, reloads, STOPPING.
@Suite("exportsync run: the sd_notify lifecycle")
struct DaemonLifecycleTests {
    /// The recovered run polls for ~3 s with `Retry-After: 1`, so the watchdog is watched while
    /// work is in flight.
    static let recoveredRunTimeline = OperationTimeline(polls: 3, seconds: 3, kickoffRetryAfter: 1, retryAfter: [1])

    @Test("READY after recovery, STATUS, pings, SIGHUP (valid, then invalid), SIGTERM → STOPPING, exit 0")
    func lifecycle() async throws {
        let scenario = DaemonScenario.instant(except: "attachment-1", timeline: Self.recoveredRunTimeline)
        try await DaemonFixture.with(scenario) { fixture in
            let notify = fixture.notifySocket
            let seededRun = try await fixture.seedDueRun(job: "evidence-pdf", kind: .sampleAttachmentExport, source: "workiva")
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try fixture.launchDaemon(watchdogMicroseconds: 2_000_000)

            // 1. READY=1, first (STATUS alone may precede it), only after recovery.
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            let logAtReady = daemon.standardError
            let beforeReady = Array(notify.received[..<ready.index])
            #expect(beforeReady.allSatisfy { $0.isStatusOnly }, "before READY: \(beforeReady)")
            #expect(logAtReady.contains("1 unfinished run(s) to resume"), "log when READY arrived:\n\(logAtReady)")
            #expect(FileManager.default.fileExists(atPath: fixture.databasePath))
            print("measured: READY \(String(format: "%.2f", MonotonicClock.seconds(from: daemon.startedAt, to: ready.message.receivedAt))) s after launch")

            // 2. The recovered run is the one that runs (no second run is scheduled), its file has
            //    the sandbox's bytes, and STATUS lines report it.
            let fileReported = try await notify.waitFor("STATUS with a last file", from: ready.index, timeout: .seconds(40)) {
                $0.value(of: "STATUS").map(StatusLinePattern.reportsFileWritten) ?? false
            }
            let expected = try #require(scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(fixture.output(DaemonJobs.evidencePDFPath) == Data(expected.bytes()))
            #expect(try await fixture.phase(ofRun: seededRun) == .done)
            let kickoffs = fixture.server.journal().filter { $0.method == "POST" && $0.path.hasSuffix("/attachments/attachment-1/export") }
            #expect(kickoffs.count == 1, "kick-offs: \(kickoffs.map(\.path))")

            let statusLines = notify.received.filter(\.isStatusOnly).compactMap { $0.value(of: "STATUS") }
            #expect(!statusLines.isEmpty)
            for line in statusLines { #expect(StatusLinePattern.matches(line), "STATUS=\(line)") }
            for (previous, next) in zip(statusLines, statusLines.dropFirst()) {
                #expect(previous != next, "STATUS repeated unchanged: \(next)")
            }

            // 3. Watchdog (WATCHDOG_USEC=2 s): pings, one a second, while the run was in flight
            //    (WatchdogTests checks the rhythm where no engine stall can interfere).
            let pings = WatchdogPingTimeline(notify.received, from: ready.message.receivedAt, to: fileReported.message.receivedAt)
            print("measured: watchdog ping intervals while busy: \(pings.intervalsDescription) s")
            #expect(!pings.pingTimes.isEmpty, "no ping while a run was in flight")
            #expect(notify.received.filter(\.isWatchdogPing).allSatisfy { $0.names == ["WATCHDOG"] })

            // 4. SIGHUP with a valid, changed configuration: RELOADING=1 + MONOTONIC_USEC, READY=1,
            //    and the new job runs.
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(), DaemonJobs.boardMemoPDF(every: "2s")])
            var mark = notify.received.count
            let beforeReload = MonotonicClock.microseconds()
            daemon.send(SIGHUP)
            let reloading = try await notify.waitFor("RELOADING=1", from: mark, timeout: .seconds(10)) { $0.isReloading }
            let stamp = try #require(reloading.message.value(of: "MONOTONIC_USEC").flatMap(UInt64.init), "\(reloading.message)")
            #expect(stamp >= beforeReload && stamp <= reloading.message.receivedAt, "MONOTONIC_USEC=\(stamp) not between \(beforeReload) and \(reloading.message.receivedAt)")
            #expect(notify.received[mark..<reloading.index].allSatisfy { !$0.isReady })
            let reloaded = try await notify.waitFor("READY=1 after the reload", from: reloading.index + 1, timeout: .seconds(10)) { $0.isReady }
            #expect(await daemon.waitForLog("configuration reloaded: 2 job(s)", timeout: .seconds(5)), "\(daemon.logTail())")
            #expect(await daemon.waitForLog("wrote \(DaemonJobs.boardMemoPDFPath)", timeout: .seconds(25)), "\(daemon.logTail())")

            // 5. SIGHUP with an invalid configuration: RELOADING, "reload rejected", READY, and the
            //    daemon keeps running the jobs it had (board-memo-pdf, every 2 s, writes again).
            try fixture.writeConfig(text: "[daemon]\noutput_directory = \"out\"\n[sources.workiva\nbroken")
            mark = notify.received.count
            daemon.send(SIGHUP)
            let rejecting = try await notify.waitFor("RELOADING=1 (invalid config)", from: max(mark, reloaded.index + 1), timeout: .seconds(10)) { $0.isReloading }
            let readyAgain = try await notify.waitFor("READY=1 after the rejected reload", from: rejecting.index + 1, timeout: .seconds(10)) { $0.isReady }
            #expect(daemon.standardError.contains("reload rejected"), "\(daemon.logTail())")
            #expect(daemon.isRunning)
            let writesBefore = daemon.standardError.components(separatedBy: "wrote \(DaemonJobs.boardMemoPDFPath)").count
            let keptWorking = await waitUntil(timeout: .seconds(25)) {
                daemon.standardError.components(separatedBy: "wrote \(DaemonJobs.boardMemoPDFPath)").count > writesBefore
            }
            #expect(keptWorking, "board-memo-pdf did not run again after the rejected reload:\n\(daemon.logTail())")
            #expect(!daemon.standardError.contains("no longer in the configuration"))

            // 6. SIGTERM: STOPPING=1, exit 0 well within TimeoutStopSec=30.
            mark = notify.received.count
            let beforeStop = MonotonicClock.microseconds()
            daemon.send(SIGTERM)
            let status = await daemon.waitForExit(timeout: .seconds(30))
            let stopSeconds = MonotonicClock.seconds(from: beforeStop, to: MonotonicClock.microseconds())
            print("measured: exit \(String(format: "%.2f", stopSeconds)) s after SIGTERM")
            // Bounded by TimeoutStopSec=30 (waitForExit gives up then, as systemd would).
            #expect(status == 0, "exit status \(String(describing: status)):\n\(daemon.logTail())")
            try await notify.waitFor("STOPPING=1", from: max(mark, readyAgain.index + 1), timeout: .seconds(2)) { $0.isStopping }
        }
    }
}
