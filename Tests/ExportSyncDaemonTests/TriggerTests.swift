import ExportSyncCore
import ExportSyncDaemon
import ExportSyncEngine
import ExportSyncSandbox
import ExportSyncStore
import Foundation
import Glibc
import Testing
import TestSupport

/// `exportsync trigger`: jobs run now, outside their schedule, picked up by a running daemon
/// (woken by SIGUSR1) or by the next `once`.
@Suite("Run now (trigger)", .timeLimit(.minutes(3)))
struct TriggerTests {
    static func kickoffs(_ fixture: DaemonFixture) -> Int {
        fixture.server.journal().filter { $0.method == "POST" && $0.path.hasSuffix("/export") }.count
    }

    @Test("on the stepped clock: a marked job runs at the wake the trigger asks for, with no time passing")
    func wakeRunsTheMarkedJob() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d")])
            let daemon = try await InProcessDaemon.start(fixture)
            #expect(Self.kickoffs(fixture) == 1)
            let nextDue = try #require(try await daemon.store.job(named: "evidence-pdf")?.nextDueAt)
            #expect(try await daemon.store.trigger(jobs: ["evidence-pdf"], at: daemon.clock.now) == [])
            await daemon.application.engine.requestPass()
            try await daemon.waitFor("the triggered run's kick-off") { Self.kickoffs(fixture) == 2 }
            try await daemon.waitUntilIdle()
            #expect(try await daemon.store.triggeredJobs().isEmpty)
            #expect(daemon.log.all.contains { $0.message == "job evidence-pdf was triggered; it runs now" })
            // The triggered run counts as the job's latest slot: an `every` schedule runs a day after it.
            #expect(try await daemon.store.job(named: "evidence-pdf")?.nextDueAt == nextDue)
            try await daemon.stop()
        }
    }

    @Test("a running daemon survives the SIGUSR1 and runs the job; once runs a triggered job that is not due")
    func processes() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d")])
            let daemon = try fixture.launchDaemon()
            #expect(await daemon.waitForLog("wrote \(DaemonJobs.evidencePDFPath)", timeout: .seconds(60)), "\(daemon.logTail())")
            #expect(Self.kickoffs(fixture) == 1)

            let trigger = try await ExecutableRunner.run(["trigger", "--config", fixture.configPath, "evidence-pdf"])
            #expect(trigger.status == 0, "\(trigger.standardError)")
            #expect(trigger.standardOutput == "exportsync trigger: marked 1 job(s) due now; the daemon (pid \(daemon.pid)) starts them now\n")
            #expect(await daemon.waitForLog("job evidence-pdf was triggered; it runs now", timeout: .seconds(60)), "\(daemon.logTail())")
            #expect(await daemon.waitForLog("wrote \(DaemonJobs.evidencePDFPath)", occurrences: 2, timeout: .seconds(60)), "\(daemon.logTail())")
            #expect(daemon.isRunning, "SIGUSR1 ended the daemon")
            #expect(Self.kickoffs(fixture) == 2)
            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(30)) == 0)

            // No daemon now: `once` does nothing for a job that is not due, and runs it when triggered.
            let idle = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", fixture.configPath],
                                                      environment: DaemonProcess.demoSecrets)
            #expect(idle.status == 0)
            #expect(Self.kickoffs(fixture) == 2)
            let marked = try await ExecutableRunner.run(["trigger", "--config", fixture.configPath, "evidence-pdf"])
            #expect(marked.standardOutput.contains("no daemon is running"))
            let once = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", fixture.configPath],
                                                      environment: DaemonProcess.demoSecrets)
            #expect(once.status == 0, "\(once.standardError.suffix(2_000))")
            #expect(Self.kickoffs(fixture) == 3)
        }
    }

    @Test("unknown and upload jobs are refused with 64 and nothing is marked")
    func refusals() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d")])
            let unknown = try await ExecutableRunner.run(["trigger", "--config", fixture.configPath, "evidence-pdf", "no-such-job"])
            #expect(unknown.status == 64)
            #expect(unknown.standardError.contains("no job \"no-such-job\" in "))
            #expect(!FileManager.default.fileExists(atPath: fixture.databasePath), "a refused trigger created the database")
            let fresh = try await ExecutableRunner.run(["trigger", "--config", fixture.configPath, "evidence-pdf"])
            #expect(fresh.status == 0)
            #expect(fresh.standardOutput.contains("the daemon has not run yet"))
            #expect(!FileManager.default.fileExists(atPath: fixture.databasePath))
        }
    }
}
