import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

/// A hostile server repeats the credentials it was sent in its error messages. The daemon keeps
/// those messages (failure reasons, `last_error`) and prints them (`status`), so the tokens it
/// obtained and the keys it was configured with must be hidden before anything is stored,
/// logged or printed.
@Suite("Echoed credentials never reach the log, the database or status")
struct EchoedSecretTests {
    @Test("a kickoff and a WebAdMIT create answered with the request's bearer token and API key", .timeLimit(.minutes(2)))
    func echoedCredentialsAreHidden() async throws {
        let faults = """
            [[faults]]
            route = "workiva.kickoff"
            resource = "att-a"
            kind = "echoCredentials"
            status = 400

            [[faults]]
            route = "webadmit.start"
            resource = "86446"
            kind = "echoCredentials"
            status = 422
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults))
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: attachmentJob("echo-w", attachment: "att-a")
            + job("echo-a", "webadmit-export", "export = 86446", source: "admissions"))

        let result = try await harness.runOnce(timeout: 90)
        let runs = try await harness.lastRuns()
        #expect(runs["echo-w"]?["phase"] as? String == "failed", "\(runs)")
        #expect(runs["echo-a"]?["phase"] as? String == "failed", "\(runs)")
        let workivaReason = try #require(runs["echo-w"]?["failure_reason"] as? String)
        let webAdmitReason = try #require(runs["echo-a"]?["failure_reason"] as? String)
        // The server's message is kept (it explains the failure); what it echoed is not.
        #expect(workivaReason.contains("credentials were: Bearer [REDACTED]"), "\(workivaReason)")
        #expect(webAdmitReason.contains("credentials were: [REDACTED]"), "\(webAdmitReason)")

        let apiKey = SandboxHarness.secretsEnvironment["WEBADMIT_API_KEY"] ?? "missing"
        let table = try await ExecutableRunner.run(["status", "--config", harness.configPath])
        let json = try await ExecutableRunner.run(["status", "--json", "--config", harness.configPath])
        var database = Data()
        for suffix in ["", "-wal"] {
            database.append(FileManager.default.contents(atPath: harness.directory.appendingPathComponent("state/exportsync.sqlite3" + suffix).path) ?? Data())
        }
        let databaseText = String(decoding: database, as: UTF8.self)
        for (place, text) in [("log", result.log), ("status", table.standardOutput), ("status --json", json.standardOutput), ("database", databaseText)] {
            #expect(!text.contains(apiKey), "the API key reached the \(place)")
            // A bearer token follows "Bearer " in the echo; only the marker may follow it.
            for occurrence in text.components(separatedBy: "Bearer ").dropFirst() {
                #expect(occurrence.hasPrefix("[REDACTED]"), "a token reached the \(place): Bearer \(occurrence.prefix(40))")
            }
        }
        #expect(databaseText.contains("[REDACTED]"), "the echoed messages were stored, scrubbed")
    }
}
