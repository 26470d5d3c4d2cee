import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

/// `exportsync check` after real runs against the sandbox: the plugin exit codes and lines.
@Suite("exportsync check (real processes, sandbox)")
struct CheckCommandTests {
    @Test("OK after every job succeeded; CRITICAL naming the job whose last run failed; read-only", .timeLimit(.minutes(3)))
    func okThenCritical() async throws {
        // att-bad's kick-off is refused for good (404): its run fails.
        let faults = "[[faults]]\nroute = \"workiva.kickoff\"\nresource = \"att-bad\"\nkind = \"status\"\nstatus = 404\n"
        let harness = try await TransientFaultTests.harness(faults: faults, workiva: ["good", "bad"], webAdmit: [:])
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: attachmentJob("t-good", attachment: "att-good"))
        #expect(try await harness.runOnce().status == 0)
        let ok = try await ExecutableRunner.run(["check", "--config", harness.configPath])
        #expect(ok.status == 0, "\(ok.standardOutput)")
        #expect(ok.standardOutput == "EXPORTSYNC OK - 1 job(s), none stale or failing\n")

        try harness.writeConfig(jobs: attachmentJob("t-good", attachment: "att-good") + attachmentJob("t-bad", attachment: "att-bad"))
        let never = try await ExecutableRunner.run(["check", "--config", harness.configPath])
        #expect(never.status == 1, "a job that never ran is a warning: \(never.standardOutput)")
        #expect(never.standardOutput.hasPrefix("EXPORTSYNC WARNING - 1 of 2 jobs never run: t-bad never run\n"))

        _ = try await harness.runOnce()
        let databaseBefore = try Data(contentsOf: harness.directory.appendingPathComponent("state/exportsync.sqlite3"))
        let critical = try await ExecutableRunner.run(["check", "--config", harness.configPath])
        #expect(critical.status == 2, "\(critical.standardOutput)")
        let lines = critical.standardOutput.split(separator: "\n")
        #expect(lines.first == "EXPORTSYNC CRITICAL - 1 of 2 jobs failing: t-bad last run failed")
        #expect(lines.count == 2)
        #expect(lines.last?.hasPrefix("job t-bad: last run #2 failed at ") == true && lines.last?.contains("HTTP 404") == true, "\(lines)")
        let databaseAfter = try Data(contentsOf: harness.directory.appendingPathComponent("state/exportsync.sqlite3"))
        #expect(databaseBefore == databaseAfter, "check wrote to the database")
    }

    @Test("UNKNOWN (3) for an invalid configuration and for a database that is not one")
    func unknown() async throws {
        let scratch = try ScratchDirectory()
        let bad = try scratch.write("bad.toml", "[daemon\n")
        let invalid = try await ExecutableRunner.run(["check", "--config", bad])
        #expect(invalid.status == 3)
        #expect(invalid.standardOutput.hasPrefix("EXPORTSYNC UNKNOWN - the configuration is invalid\n"))

        let config = try scratch.write("ok.toml", """
            [daemon]
            state_directory = "state"
            output_directory = "out"

            [sources.admissions]
            type = "webadmit"
            base_url = "https://api.webadmit.org"
            user_identity = 1
            api_key_env = "WEBADMIT_API_KEY"

            [[jobs]]
            name = "nightly"
            source = "admissions"
            kind = "webadmit-export"
            export = 1
            every = "1d"
            output = "{filename}"
            """)
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        try Data("not a database at all, just text".utf8).write(to: scratch.url.appendingPathComponent("state/exportsync.sqlite3"))
        let corrupt = try await ExecutableRunner.run(["check", "--config", config])
        #expect(corrupt.status == 3, "\(corrupt.standardOutput)")
        #expect(corrupt.standardOutput.hasPrefix("EXPORTSYNC UNKNOWN - cannot read the state database "))
    }
}
