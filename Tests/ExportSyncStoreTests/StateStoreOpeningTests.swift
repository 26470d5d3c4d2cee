import ExportSyncCore
import Foundation
import GRDB
import Testing
@testable import ExportSyncStore

@Suite("StateStore opening, migrations and refusals")
struct StateStoreOpeningTests {
    @Test("a new file is migrated from empty: all tables, user_version, application_id")
    func migratesFromEmpty() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        #expect(!FileManager.default.fileExists(atPath: temp.path))
        let store = try StateStore(path: temp.path)
        let (tables, userVersion, applicationID, migrations) = try store.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"),
             try Int.fetchOne(db, sql: "PRAGMA user_version"),
             try Int32.fetchOne(db, sql: "PRAGMA application_id"),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        }
        #expect(tables == ["discovered_items", "file_hooks", "files", "grdb_migrations", "jobs", "operations", "runs", "scans", "uploads"])
        #expect(userVersion == StateStore.schemaVersion)
        #expect(StateStore.schemaVersion == 7)
        #expect(applicationID == StateSchema.applicationID)
        #expect(migrations == ["v1-initial", "v2-run-retries", "v3-file-hooks", "v4-job-triggers", "v5-discovery", "v6-scan-gaps", "v7-scan-scope"])
    }

    @Test("every connection runs WAL, synchronous=FULL, foreign_keys=ON and a busy timeout")
    func connectionPragmas() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path, busyTimeout: 7)
        let query = "SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout"
        let writer = try store.pool.write { db in try Row.fetchOne(db, sql: query) }
        let reader = try store.pool.read { db in try Row.fetchOne(db, sql: query) }
        for row in [writer, reader] {
            #expect(row?[0] as String? == "wal")
            #expect(row?[1] as Int? == 2, "synchronous must be FULL (2), not GRDB's WAL default NORMAL (1)")
            #expect(row?[2] as Int? == 1)
            #expect((row?[3] as Int? ?? 0) >= 7_000)
        }
        #expect(writer?[3] as Int? == 7_000, "the writer uses the configured busy timeout")
        // Foreign keys are enforced, not just declared.
        await #expect(throws: StateStoreError.self) {
            try await store.write { db in
                try db.execute(sql: """
                    INSERT INTO runs (job, kind, phase, created_at, updated_at, scheduled_for, deadline)
                    VALUES ('no-such-job', 'export', 'due', 'x', 'x', 'x', 'x')
                    """)
            }
        }
    }

    @Test("reopening keeps the data and applies no migration twice")
    func reopenKeepsData() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        var runID: Int64 = 0
        do {
            let store = try StateStore(path: temp.path)
            try await store.registerJobs(["alpha"])
            runID = try await store.dueRun("alpha")
            _ = try await store.kickoff(runID, at: Instant.at(1))
        }
        let reopened = try StateStore(path: temp.path)
        let run = try #require(try await reopened.run(id: runID))
        #expect(run.phase == .starting)
        #expect(run.job == "alpha")
        #expect(run.attemptCount == 1)
        #expect(run.kickoffSentAt == Instant.at(1))
        #expect(try await reopened.job(named: "alpha")?.nextDueAt == Instant.at(21_600))
        let migrationRows = try await reopened.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") }
        #expect(migrationRows == StateStore.schemaVersion)
    }

    @Test("a database with a higher user_version is refused and left as it was")
    func newerUserVersionRefused() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        _ = try StateStore(path: temp.path)
        try temp.rawConnection().write { db in try db.execute(sql: "PRAGMA user_version = \(StateStore.schemaVersion + 1)") }
        let error = #expect(throws: StateStoreError.self) { try StateStore(path: temp.path) }
        #expect(error == .newerSchema(path: temp.path, found: StateStore.schemaVersion + 1, known: StateStore.schemaVersion, unknownMigrations: []))
        #expect(error?.description == "database \(temp.path) was written by a newer exportsync (schema \(StateStore.schemaVersion + 1), this build knows up to \(StateStore.schemaVersion)); refusing to open")
        let version = try temp.rawConnection().read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        #expect(version == StateStore.schemaVersion + 1)
    }

    @Test("a database with a migration this build does not know is refused, read-only too")
    func unknownMigrationRefused() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        _ = try StateStore(path: temp.path)
        try temp.rawConnection().write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2-from-the-future')")
        }
        for mode in [StateStore.AccessMode.readWrite, .readOnly] {
            let error = #expect(throws: StateStoreError.self) { try StateStore(path: temp.path, mode: mode) }
            #expect(error == .newerSchema(path: temp.path, found: StateStore.schemaVersion + 1, known: StateStore.schemaVersion, unknownMigrations: ["v2-from-the-future"]))
            #expect(error?.description.contains("written by a newer exportsync (schema \(StateStore.schemaVersion + 1), this build knows up to \(StateStore.schemaVersion)") == true)
        }
    }

    @Test("a corrupt (non-SQLite) file is reported with its path and its bytes are left unchanged")
    func corruptFileRefused() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let garbage = Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 13) })
        try garbage.write(to: URL(fileURLWithPath: temp.path))
        for mode in [StateStore.AccessMode.readWrite, .readOnly] {
            let error = #expect(throws: StateStoreError.self) { try StateStore(path: temp.path, mode: mode) }
            guard case .notADatabase(let path, _) = error else {
                Issue.record("expected notADatabase, got \(String(describing: error))")
                continue
            }
            #expect(path == temp.path)
            #expect(error?.description.contains(temp.path) == true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: temp.path)) == garbage, "the file must never be rewritten")
        }
    }

    @Test("a database of another application is refused")
    func foreignDatabaseRefused() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        try temp.rawConnection().write { db in try db.execute(sql: "CREATE TABLE contacts (name TEXT)") }
        let error = #expect(throws: StateStoreError.self) { try StateStore(path: temp.path) }
        #expect(error == .notAnExportSyncDatabase(path: temp.path))
        let tables = try temp.rawConnection().read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        #expect(tables == ["contacts"], "nothing was migrated into it")
    }

    /// Every file in the database's directory with its bytes, -wal and -shm included.
    static func snapshot(of directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = FileManager.default.contents(atPath: directory + "/" + name)
        }
        return files
    }

    @Test("a foreign database (rollback journal) and a newer-schema one are refused byte-identical, in both modes")
    func refusedFilesStayByteIdentical() throws {
        for setUp in ["foreign", "newer"] {
            let temp = try TemporaryDatabase()
            defer { temp.cleanUp() }
            let queue = try temp.rawConnection()
            try queue.write { db in
                if setUp == "foreign" {
                    try db.execute(sql: "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('a')")
                } else {
                    try db.execute(sql: "PRAGMA application_id = \(StateSchema.applicationID); PRAGMA user_version = 9; CREATE TABLE later (x)")
                }
            }
            try queue.close()
            let directory = (temp.path as NSString).deletingLastPathComponent
            let before = try Self.snapshot(of: directory)
            for mode in [StateStore.AccessMode.readWrite, .readOnly] {
                #expect(throws: StateStoreError.self) { try StateStore(path: temp.path, mode: mode) }
                let after = try Self.snapshot(of: directory)
                #expect(after.keys.sorted() == before.keys.sorted(), "\(setUp) \(mode): files \(after.keys.sorted()) after, \(before.keys.sorted()) before")
                #expect(after[(temp.path as NSString).lastPathComponent] == before[(temp.path as NSString).lastPathComponent],
                        "\(setUp) \(mode): the refused file was modified")
            }
        }
    }

    @Test("read-only mode opens a migrated database but never creates or migrates one")
    func readOnlyMode() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        #expect(throws: StateStoreError.self) { try StateStore(path: temp.path, mode: .readOnly) }
        #expect(!FileManager.default.fileExists(atPath: temp.path))
        do {
            let writer = try StateStore(path: temp.path)
            try await writer.registerJobs(["alpha"])
        }
        let reader = try StateStore(path: temp.path, mode: .readOnly)
        #expect(try await reader.statusSnapshot().jobs.map(\.name) == ["alpha"])
        await #expect(throws: StateStoreError.self) { try await reader.registerJobs(["beta"]) }
    }
}
