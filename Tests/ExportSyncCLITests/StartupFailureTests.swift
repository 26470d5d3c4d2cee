import ExportSyncStore
import Foundation
import GRDB
import TestSupport
import Testing

/// `run`/`once` exit codes when the file system or the state database stand in the way.
@Suite("exportsync once: failures before and during scheduling")
struct StartupFailureTests {
    static func config(output: String) -> String {
        """
        [daemon]
        state_directory = "state"
        output_directory = "\(output)"
        [sources.wk]
        type = "workiva"
        base_url = "https://127.0.0.1:9"
        client_id = "id"
        client_secret_env = "WK_SECRET"
        [[jobs]]
        name = "j1"
        source = "wk"
        kind = "sample-attachment-export"
        test_form = "tf"
        test_phase = "tp"
        attachment = "a1"
        every = "6h"
        output = "{attachment}.pdf"
        """
    }

    @Test("an output directory that cannot be created: exit 73 with the system's reason, and nothing created", .timeLimit(.minutes(1)))
    func outputDirectoryCannotBeCreated() async throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.write("blocker", "a regular file where a directory should be\n")
        let config = try scratch.write("exportsync.toml", Self.config(output: "blocker/out"))
        let result = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", config], environment: ["WK_SECRET": "startup-test-secret"])
        #expect(result.status == 73, "exit \(result.status): \(result.standardError)")
        #expect(result.standardError.contains("cannot create the output directory"), "\(result.standardError)")
        #expect(result.standardError.contains("blocker: Not a directory"), "\(result.standardError)")
        #expect(!result.standardError.contains("NSCocoaErrorDomain") && !result.standardError.contains("Unknown error"))
        #expect(!FileManager.default.fileExists(atPath: scratch.url.path + "/state"), "the state directory was created anyway")
    }

    @Test("a database that refuses to schedule the due job: once exits 74, not 0", .timeLimit(.minutes(1)))
    func schedulingFailureFailsOnce() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratch.write("exportsync.toml", Self.config(output: "out"))
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        let databasePath = scratch.url.path + "/state/exportsync.sqlite3"
        _ = try StateStore(path: databasePath)
        // Creating a run fails as on a damaged database: the job can be registered, not scheduled.
        let queue = try DatabaseQueue(path: databasePath)
        try await queue.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse_runs BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'database disk image is malformed (injected)'); END")
        }
        try queue.close()

        let result = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", config], environment: ["WK_SECRET": "startup-test-secret"])
        #expect(result.status == 74, "exit \(result.status): \(result.standardError)")
        #expect(result.standardError.contains("cannot schedule job j1"), "\(result.standardError)")
        #expect(result.standardError.contains("the state database failed"), "\(result.standardError)")
    }
}
