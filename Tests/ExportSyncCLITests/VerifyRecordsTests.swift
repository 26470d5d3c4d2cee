import ExportSyncCore
import ExportSyncStore
import Foundation
import TestSupport
import Testing

/// `exportsync verify` against records written through the store (real SQLite, real process):
/// records of removed jobs, and a record that names a path outside the output directory.
@Suite("exportsync verify: records (real process)")
struct VerifyRecordsTests {
    /// Takes a new run of `job` through to `done`, recording `path` written.
    func deliver(_ store: StateStore, job: String, path: String, at now: Date) async throws {
        let due = DueRunRequest(job: job, kind: .export, scheduledFor: now, deadline: now.addingTimeInterval(1_800), nextDueAt: nil)
        let run = try #require(try await store.createDueRuns([due], at: now).first).get()
        _ = try await store.recordKickoffSending(run: run.id, policy: RunPolicy(), at: now)
        _ = try await store.recordOperationAccepted(
            run: run.id, location: "https://api.example/operations/\(run.id)", xVersion: "2026-01-01", serverWait: 1, policy: RunPolicy(), at: now)
        _ = try await store.recordPollAnswer(run: run.id, event: .pollSucceeded, status: "completed", policy: RunPolicy(), jitter: 0.5, at: now)
        _ = try await store.recordFileWritten(
            run: run.id, path: path, size: 1, sha256: String(repeating: "0", count: 64), policy: RunPolicy(), at: now)
    }

    @Test("a removed job's records are checked; a path outside the output directory is never opened (exit 2)")
    func records() async throws {
        let scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("config"), withIntermediateDirectories: true)
        let config = try scratch.write("config/example.toml", String(contentsOf: RepositoryPaths.exampleConfig, encoding: .utf8))
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("out"), withIntermediateDirectories: true)
        // Exactly what the record says, but outside the output directory: must not count as intact.
        try Data("x".utf8).write(to: scratch.url.appendingPathComponent("outside.txt"))
        let store = try StateStore(path: scratch.url.path + "/state/exportsync.sqlite3")
        let now = Date()
        let evidence = JobRegistration(name: "sample-42-evidence", fingerprint: "f1", kind: "sample-attachment-export", source: "workiva")
        _ = try await store.syncJobs(
            [evidence, JobRegistration(name: "retired-job", fingerprint: "f2", kind: "webadmit-export", source: "admissions")], at: now)
        try await deliver(store, job: "sample-42-evidence", path: "../outside.txt", at: now)
        try await deliver(store, job: "retired-job", path: "old/gone.csv", at: now)
        _ = try await store.syncJobs([evidence], at: now)

        let all = try await ExecutableRunner.run(["verify", "--config", config])
        #expect(all.status == 2, "\(all.standardOutput)\(all.standardError)")
        #expect(all.standardOutput.split(separator: "\n") == [
            "UNREADABLE ../outside.txt (the record names a path outside the output directory)",
            "MISSING old/gone.csv",
            "verify: 2 recorded file(s) checked: 1 missing, 1 unreadable",
        ])

        let retired = try await ExecutableRunner.run(["verify", "--config", config, "--job", "retired-job"])
        #expect(retired.status == 1, "\(retired.standardOutput)\(retired.standardError)")
        #expect(retired.standardOutput == "MISSING old/gone.csv\nverify: 1 recorded file(s) checked: 1 missing\n")
        #expect(retired.standardError.contains("is no longer in the configuration"))
    }

    @Test("a recorded path whose directory is a symbolic link is not read through it (exit 2)")
    func symlinkedDirectory() async throws {
        let scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("config"), withIntermediateDirectories: true)
        let config = try scratch.write("config/example.toml", String(contentsOf: RepositoryPaths.exampleConfig, encoding: .utf8))
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("out"), withIntermediateDirectories: true)
        // elsewhere/a.csv holds exactly what the record says; out/linked points there.
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: scratch.url.appendingPathComponent("elsewhere/a.csv"))
        try FileManager.default.createSymbolicLink(
            at: scratch.url.appendingPathComponent("out/linked"), withDestinationURL: scratch.url.appendingPathComponent("elsewhere"))
        let store = try StateStore(path: scratch.url.path + "/state/exportsync.sqlite3")
        let now = Date()
        _ = try await store.syncJobs([JobRegistration(name: "sample-42-evidence", fingerprint: "f1", kind: "sample-attachment-export", source: "workiva")], at: now)
        try await deliver(store, job: "sample-42-evidence", path: "linked/a.csv", at: now)
        let result = try await ExecutableRunner.run(["verify", "--config", config])
        #expect(result.status == 2, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.split(separator: "\n").first
            == "UNREADABLE linked/a.csv (its directory linked is a symbolic link; not followed)")
    }
}
