import ExportSyncCore
import ExportSyncStore
import Foundation
import TestSupport
import Testing

@Suite("exportsync status (real process)")
struct StatusCommandTests {
    /// A copy of the example configuration in a scratch directory, so its relative state and
    /// output directories land there too.
    func scratchConfig(_ scratch: borrowing ScratchDirectory) throws -> String {
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("config"), withIntermediateDirectories: true)
        return try scratch.write("config/example.toml", String(contentsOf: RepositoryPaths.exampleConfig, encoding: .utf8))
    }

    func decode(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    @Test("before the daemon ever ran: every job never run and due now; no database is created")
    func freshState() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratchConfig(scratch)
        let result = try await ExecutableRunner.run(["status", "--json", "--config", config])
        #expect(result.status == 0, "\(result.standardError)")
        let document = try decode(result.standardOutput)
        #expect(document["database_exists"] as? Bool == false)
        #expect(document["database"] as? String == scratch.url.path + "/state/exportsync.sqlite3")
        let jobs = try #require(document["jobs"] as? [[String: Any]])
        #expect(jobs.count == 10)
        // Discovery jobs carry their standing (nothing found yet); other jobs a null.
        for job in jobs {
            let discovery = job["discovery"]
            if ["test-form-attachments", "webadmit-exports"].contains(job["kind"] as? String) {
                let standing = try #require(discovery as? [String: Any], "\(job)")
                #expect(standing["found"] as? Int == 0 && standing["exported"] as? Int == 0 && standing["last_complete_scan_at"] is NSNull)
            } else {
                #expect(discovery is NSNull, "\(job)")
            }
        }
        #expect(jobs.allSatisfy { $0["due_now"] as? Bool == true && $0["last_run"] is NSNull && $0["in_config"] as? Bool == true })
        #expect(jobs.first?["name"] as? String == "sample-42-evidence")
        #expect(jobs.first?["schedule"] as? String == "every 6h")
        #expect(document["pending_operation_count"] as? Int == 0)
        #expect(!FileManager.default.fileExists(atPath: scratch.url.path + "/state"), "status must not create state")

        let table = try await ExecutableRunner.run(["status", "--config", config])
        #expect(table.status == 0)
        #expect(table.standardOutput.contains("(not created yet: the daemon has not run)"))
        #expect(table.standardOutput.contains("sample-42-evidence"))
        #expect(table.standardOutput.contains("pending operations: none"))
        #expect(table.standardOutput.contains("audit-2026-evidence: 0 found (no complete scan yet), 0 exported, 0 pending, 0 failed, 0 removed"),
                "\(table.standardOutput)")
    }

    @Test("jobs on paths with a sunset are listed in the table and the JSON, with the day, the days left and the advice")
    func sunsetWarnings() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratchConfig(scratch)
        let result = try await ExecutableRunner.run(["status", "--json", "--config", config])
        let warnings = try #require(try decode(result.standardOutput)["sunset_warnings"] as? [[String: Any]])
        #expect(warnings.map { $0["job"] as? String } == ["legacy-audit-evidence"])
        let warning = try #require(warnings.first)
        #expect(warning["sunset_day"] as? String == "2027-01-31")
        #expect(warning["paths"] as? String == "/prototype/platform/")
        let daysLeft = try #require(warning["days_left"] as? Int)
        let now = PathSunset.prototype.daysLeft(at: Date())
        #expect(daysLeft == now || daysLeft == now + 1, "\(daysLeft) days left, \(now) now")
        #expect((warning["advice"] as? String)?.hasPrefix("set flavour = \"2026-01-01\"") == true)

        let table = try await ExecutableRunner.run(["status", "--config", config])
        #expect(table.standardOutput.contains("sunset warnings: 1\n  job legacy-audit-evidence: its paths (/prototype/platform/…)"), "\(table.standardOutput)")
    }

    @Test("with a database: last runs, next due times, pending operations without query strings, removed jobs")
    func withState() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratchConfig(scratch)
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        let store = try StateStore(path: scratch.url.path + "/state/exportsync.sqlite3")
        let now = Date()
        _ = try await store.syncJobs([
            JobRegistration(name: "sample-42-evidence", fingerprint: "f1", kind: "sample-attachment-export", source: "workiva"),
            JobRegistration(name: "retired-job", fingerprint: "f2", kind: "webadmit-export", source: "admissions"),
        ], at: now)
        let nextDue = now.addingTimeInterval(6 * 3_600)
        let due = DueRunRequest(job: "sample-42-evidence", kind: .export, scheduledFor: now, deadline: now.addingTimeInterval(1_800), nextDueAt: nextDue)
        let run = try #require(try await store.createDueRuns([due], at: now).first).get()
        _ = try await store.recordKickoffSending(run: run.id, policy: RunPolicy(), at: now)
        _ = try await store.recordOperationAccepted(
            run: run.id, location: "https://api.example/operations/op-1?X-Amz-Signature=SECRETSIG", xVersion: "2026-01-01",
            serverWait: 5, policy: RunPolicy(), at: now)
        // The retired job left the configuration: the next sync marks it removed, keeping its history.
        _ = try await store.syncJobs([JobRegistration(name: "sample-42-evidence", fingerprint: "f1", kind: "sample-attachment-export", source: "workiva")],
                                     at: now)

        let result = try await ExecutableRunner.run(["status", "--json", "--config", config])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardOutput.contains("SECRETSIG"))
        let document = try decode(result.standardOutput)
        #expect(document["database_exists"] as? Bool == true)
        let jobs = try #require(document["jobs"] as? [[String: Any]])
        let evidence = try #require(jobs.first { $0["name"] as? String == "sample-42-evidence" })
        #expect(evidence["due_now"] as? Bool == false)
        let lastRun = try #require(evidence["last_run"] as? [String: Any])
        #expect(lastRun["phase"] as? String == "polling")
        #expect(lastRun["id"] as? Int == Int(run.id))
        #expect(lastRun["attempt_count"] as? Int == 1)
        let retired = try #require(jobs.first { $0["name"] as? String == "retired-job" })
        #expect(retired["in_config"] as? Bool == false)
        #expect(document["pending_operation_count"] as? Int == 1)
        let pending = try #require((document["pending_operations"] as? [[String: Any]])?.first)
        #expect(pending["operation_url"] as? String == "https://api.example/operations/op-1")
        #expect(pending["phase"] as? String == "polling")
        #expect(pending["job"] as? String == "sample-42-evidence")

        let table = try await ExecutableRunner.run(["status", "--config", config])
        #expect(table.standardOutput.contains("retired-job (removed from config)"))
        #expect(table.standardOutput.contains("pending operations: 1"))
        #expect(!table.standardOutput.contains("SECRETSIG"))
    }

    @Test("a corrupt database is reported (exit 74) and left untouched")
    func corruptDatabase() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratchConfig(scratch)
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        let garbage = Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let path = scratch.url.path + "/state/exportsync.sqlite3"
        try garbage.write(to: URL(fileURLWithPath: path))
        let result = try await ExecutableRunner.run(["status", "--config", config])
        #expect(result.status == 74)
        #expect(result.standardError.contains(path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test("server text in the table cannot drive the terminal: escape sequences and newlines are shown escaped")
    func serverTextIsEscaped() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratchConfig(scratch)
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        let store = try StateStore(path: scratch.url.path + "/state/exportsync.sqlite3")
        let now = Date()
        _ = try await store.syncJobs([JobRegistration(name: "sample-42-evidence", fingerprint: "f1", kind: "sample-attachment-export", source: "workiva")],
                                     at: now)
        let due = DueRunRequest(job: "sample-42-evidence", kind: .export, scheduledFor: now, deadline: now.addingTimeInterval(1_800), nextDueAt: nil)
        let run = try #require(try await store.createDueRuns([due], at: now).first).get()
        _ = try await store.recordKickoffSending(run: run.id, policy: RunPolicy(), at: now)
        let hostile = "HTTP 400: \u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}31m\nsample-42-evidence  export  fake line \u{202E}fdp.exe"
        _ = try await store.record(.kickoffRefused(reason: hostile), run: run.id, policy: RunPolicy(), jitter: 0.5, at: now)

        let table = try await ExecutableRunner.run(["status", "--config", config])
        #expect(table.status == 0, "\(table.standardError)")
        let out = table.standardOutput
        #expect(!out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x202E }, "\(out.debugDescription)")
        #expect(out.contains("\\x1B]0;owned\\x07\\x1B[2J\\x9B31m\\nsample-42-evidence"), "\(out)")
        #expect(out.contains("\\u{202E}fdp.exe"))
        #expect(!out.split(separator: "\n").contains { $0.hasPrefix("sample-42-evidence  export  fake line") }, "a newline forged a line")
    }
}
