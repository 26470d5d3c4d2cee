import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// TOMLKit keeps every parsed document for the life of the process, so a reload of an unchanged
/// file (config management reloads on every run) must not parse it again, while a changed file
/// still is.
@Suite("exportsync run: SIGHUP with an unchanged configuration file")
struct ReloadUnchangedConfigTests {
    @Test("an unchanged file is reused (credentials read again); a changed one is parsed")
    func unchangedFileIsNotParsedAgain() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let notify = fixture.notifySocket
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try fixture.launchDaemon()
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }

            daemon.send(SIGHUP)
            let reloading = try await notify.waitFor("RELOADING=1", from: ready.index + 1, timeout: .seconds(10)) { $0.isReloading }
            let reloaded = try await notify.waitFor("READY=1 after the reload", from: reloading.index + 1, timeout: .seconds(10)) { $0.isReady }
            #expect(await daemon.waitForLog("configuration reloaded: 1 job(s)", timeout: .seconds(5)), "\(daemon.logTail())")
            #expect(daemon.standardError.components(separatedBy: "the configuration file is unchanged").count == 2,
                    "one unchanged reload:\n\(daemon.logTail())")

            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(), DaemonJobs.boardMemoPDF(every: "2s")])
            daemon.send(SIGHUP)
            let second = try await notify.waitFor("RELOADING=1 (changed)", from: reloaded.index + 1, timeout: .seconds(10)) { $0.isReloading }
            _ = try await notify.waitFor("READY=1 after the second reload", from: second.index + 1, timeout: .seconds(10)) { $0.isReady }
            #expect(await daemon.waitForLog("configuration reloaded: 2 job(s)", timeout: .seconds(5)), "\(daemon.logTail())")
            #expect(daemon.standardError.components(separatedBy: "the configuration file is unchanged").count == 2,
                    "the changed file was parsed, not reused:\n\(daemon.logTail())")

            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(10)) == 0, "\(daemon.logTail())")
        }
    }

    @Test("SIGHUP onto a configuration nested 20,000 levels deep is rejected; the daemon keeps running", .timeLimit(.minutes(2)))
    func reloadOntoAHostileFileKeepsRunning() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let notify = fixture.notifySocket
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try fixture.launchDaemon()
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            try fixture.writeConfig(text: "[daemon]\noutput_directory = \"out\"\n[" + Array(repeating: "a", count: 20_000).joined(separator: ".") + "]\n")
            daemon.send(SIGHUP)
            let reloading = try await notify.waitFor("RELOADING=1", from: ready.index + 1, timeout: .seconds(20)) { $0.isReloading }
            _ = try await notify.waitFor("READY=1 after the rejected reload", from: reloading.index + 1, timeout: .seconds(20)) { $0.isReady }
            #expect(await daemon.waitForLog("deeper than 64 levels", timeout: .seconds(20)), "\(daemon.logTail())")
            #expect(daemon.standardError.contains("reload rejected"))
            #expect(daemon.isRunning)
            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(30)) == 0, "\(daemon.logTail())")
        }
    }
}
