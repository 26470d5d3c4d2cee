import ExportSyncCore
import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// `TimeoutStopSec=30`: SIGTERM must end the daemon well before systemd escalates to SIGKILL,
/// even with a request hanging on a server that does not answer.
@Suite("exportsync run: stopping")
struct ShutdownTests {
    @Test("SIGTERM while a poll hangs: STOPPING=1, exit 0 within 10 s, the run stays unfinished for the restart")
    func sigtermWithARequestHanging() async throws {
        var scenario = DaemonScenario.instant()
        scenario.faults = [FaultRule(route: .workivaPoll, resource: "attachment-1", kind: .hang, seconds: 60)]
        try await DaemonFixture.with(scenario) { fixture in
            let notify = fixture.notifySocket
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try fixture.launchDaemon(watchdogMicroseconds: 2_000_000)
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            let pollStarted = await waitUntil(timeout: .seconds(25)) {
                fixture.server.journal().contains { $0.method == "GET" && $0.path.hasPrefix("/operations/") }
            }
            try #require(pollStarted, "the poll never reached the sandbox:\n\(daemon.logTail())")

            let beforeStop = MonotonicClock.microseconds()
            daemon.send(SIGTERM)
            let status = await daemon.waitForExit(timeout: .seconds(30))
            let stopSeconds = MonotonicClock.seconds(from: beforeStop, to: MonotonicClock.microseconds())
            print("measured: exit \(String(format: "%.2f", stopSeconds)) s after SIGTERM with a poll hanging")
            // Bounded by TimeoutStopSec=30 (waitForExit gives up then, as systemd would).
            #expect(status == 0, "exit status \(String(describing: status)):\n\(daemon.logTail())")
            try await notify.waitFor("STOPPING=1", from: ready.index, timeout: .seconds(1)) { $0.isStopping }
            #expect(try await fixture.phase(ofRun: 1) == .polling)
        }
    }
}
