import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// `systemctl start` returns when READY=1 arrives; a `systemctl reload` right after it (config
/// management does exactly this) sends SIGHUP at once. The daemon must already handle it.
@Suite("exportsync run: SIGHUP right after READY")
struct ReloadRightAfterStartTests {
    /// Regression: READY=1 went out while the SIGHUP service might not have created its
    /// `UnixSignalsSequence` yet; until then SIGHUP had its default action and ended the process
    /// (2 to 5 of these 8 starts), which systemd counts as a clean exit and does not restart.
    /// The window is a few milliseconds, so the signal is sent from the listener's thread the
    /// moment READY=1 arrives, and several starts are tried.
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
            #expect(outcomes.allSatisfy { $0 == "survived" }, "\(outcomes)")
        }
    }
}
