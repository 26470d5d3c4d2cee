import ExportSyncCore
import ExportSyncSandbox
import Foundation
import Glibc
import TestSupport
import Testing

/// The state directory belongs to one `run` or `once` at a time, and what is in it is private.
@Suite("exportsync run: the state directory")
struct StateDirectoryTests {
    @Test("a second run or once on the same state directory exits 75 naming the holder's pid and touches nothing; status works alongside",
          .timeLimit(.minutes(2)))
    func secondInstanceIsRefused() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try fixture.launchDaemon()
            try await fixture.notifySocket.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            #expect(await daemon.waitForLog("wrote \(DaemonJobs.evidencePDFPath)", timeout: .seconds(30)), "\(daemon.logTail())")
            let kickoffs = fixture.server.journal().filter { $0.method == "POST" }.count

            for command in ["once", "run"] {
                let second = try await ExecutableRunner.run(
                    [command, "--log-target", "stderr", "--config", fixture.configPath], environment: DaemonProcess.demoSecrets)
                #expect(second.status == 75, "\(command): exit \(second.status)\n\(second.standardError)")
                #expect(second.standardError.contains("another exportsync process (pid \(daemon.pid)) is using the state directory"),
                        "\(command): \(second.standardError)")
            }
            #expect(fixture.server.journal().filter { $0.method == "POST" }.count == kickoffs, "a refused process sent requests")
            let status = try await ExecutableRunner.run(["status", "--json", "--config", fixture.configPath])
            #expect(status.status == 0, "\(status.standardError)")
            #expect(daemon.isRunning)

            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(30)) == 0)
            // The kernel dropped the lock with the process: the next one starts.
            let after = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", fixture.configPath],
                                                       environment: DaemonProcess.demoSecrets)
            #expect(after.status == 0, "\(after.standardError)")
        }
    }

    @Test("the state directory is 0700 and the database files 0600, whatever the umask", .timeLimit(.minutes(2)))
    func stateFilesArePrivate() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try fixture.launchDaemon()
            try await fixture.notifySocket.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            #expect(await daemon.waitForLog("wrote \(DaemonJobs.evidencePDFPath)", timeout: .seconds(30)), "\(daemon.logTail())")
            func mode(_ path: String) -> Int? {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      let permissions = attributes[.posixPermissions] as? Int
                else { return nil }
                return permissions & 0o777
            }
            #expect(mode(fixture.stateDirectory.path) == 0o700)
            for suffix in ["", "-wal", "-shm"] {
                let path = fixture.databasePath + suffix
                #expect(mode(path) == 0o600, "\(path): \(mode(path).map { String($0, radix: 8) } ?? "missing")")
            }
            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(30)) == 0)
        }
    }
}
