import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// `systemctl start` returns when READY=1 arrives; a `systemctl reload` right after it (config
/// management does exactly this) sends SIGHUP at once. The daemon must already handle it.
@Suite("exportsync run: SIGHUP right after READY")
struct ReloadRightAfterStartTests {
    /// DaemonRunner sends READY=1 from the engine's service while the SIGHUP service may not have
    /// created its `UnixSignalsSequence` yet; until then SIGHUP has its default action and kills
    /// the process. The window is short, so several starts are tried.
    @Test("SIGHUP the moment READY=1 arrives reloads instead of killing the daemon")
    func hangupRightAfterReady() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let notify = fixture.notifySocket
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            var outcomes: [String] = []
            for _ in 0..<8 {
                let mark = notify.received.count
                let daemon = try fixture.launchDaemon()
                notify.signalOnNextReady(pid: daemon.pid, signal: SIGHUP)
                try await notify.waitFor("READY=1", from: mark, timeout: .seconds(20)) { $0.isReady }
                if let status = await daemon.waitForExit(timeout: .milliseconds(500)) {
                    outcomes.append("exited \(status)")
                    continue
                }
                outcomes.append("survived")
                daemon.send(SIGTERM)
                #expect(await daemon.waitForExit(timeout: .seconds(10)) == 0, "\(daemon.logTail())")
            }
            print("measured: SIGHUP at READY: \(outcomes.joined(separator: ", "))")
            withKnownIssue("DaemonRunner sends READY=1 before the SIGHUP handler is installed", isIntermittent: true) {
                #expect(outcomes.allSatisfy { $0 == "survived" }, "\(outcomes)")
            }
        }
    }
}
