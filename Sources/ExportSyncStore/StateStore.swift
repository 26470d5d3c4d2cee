public import ExportSyncCore
public import Foundation
import GRDB

/// The durable state of exportsync: jobs, runs, operations and files in one SQLite database.
///
/// One `DatabasePool` (WAL): transitions are serialised on its single writer connection, so two
/// of them never race, while reads (the poll queue, `status`) run concurrently on reader
/// connections and never wait behind a commit's fsync. Every connection runs with
/// `synchronous=FULL` (a committed transition survives power loss, not only `kill -9`),
/// `foreign_keys=ON` and a busy timeout (the writer uses `busyTimeout`; GRDB gives pool readers
/// 10 s), so a second process (the `status` command) waits for the lock instead of failing.
///
/// Every `record…` method is atomic: it rebuilds the run's ``RunStateMachine`` from its row,
/// applies the event (an illegal one throws ``StateStoreError/illegalTransition(runID:_:)`` and
/// writes nothing), then writes the run and its operation or file rows together. Transitions
/// requested at the same time share one transaction, each in its own savepoint (group commit,
/// ``GroupCommitQueue``); a method returns only once its transaction has committed.
public final class StateStore: Sendable {
    /// How to open the database.
    public enum AccessMode: Sendable, Hashable {
        /// Create the file if needed and apply migrations (the daemon).
        case readWrite
        /// Only read; the schema must be exactly this build's (the `status` command).
        case readOnly
        /// Write to an existing database whose schema is exactly this build's, never creating
        /// or migrating it: for a command that runs beside a daemon without its lock (`trigger`).
        case writeExisting
    }

    /// The database file.
    public let path: String
    /// Hides known secrets in server text before it is stored (``SecretScrubber``).
    public let secrets: (any SecretScrubber)?
    /// The schema version this build writes (`PRAGMA user_version` after migrating).
    public static var schemaVersion: Int { StateSchema.currentVersion }

    let pool: DatabasePool
    /// Every transition goes through it: concurrent ones share a transaction (group commit).
    let writer: GroupCommitQueue

    /// How many transactions carried how many writes since the store was opened.
    public struct WriteStatistics: Sendable, Hashable {
        /// Transactions committed.
        public var transactions: Int
        /// Writes (state transitions and bookkeeping) committed in them.
        public var writes: Int
    }

    /// Transactions and writes committed since the store was opened; writes per transaction
    /// above one is group commit at work.
    public var writeStatistics: WriteStatistics {
        let statistics = writer.statistics
        return WriteStatistics(transactions: statistics.transactions, writes: statistics.writes)
    }

    /// Opens (and for ``AccessMode/readWrite`` creates and migrates) the database at `path`.
    ///
    /// A file that is not an SQLite database, belongs to another application, or was written
    /// by a newer exportsync is refused with a ``StateStoreError`` naming the path; it is never
    /// recreated or modified.
    public init(path: String, mode: AccessMode = .readWrite, busyTimeout: TimeInterval = 10,
                secrets: (any SecretScrubber)? = nil) throws(StateStoreError) {
        self.path = path
        self.secrets = secrets
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.readonly = mode == .readOnly
        configuration.busyMode = .timeout(busyTimeout)
        configuration.journalMode = .wal
        configuration.label = "exportsync-state"
        configuration.prepareDatabase { db in
            // GRDB leaves WAL databases at NORMAL; a committed transition must survive power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // An existing file is checked before anything can write to it: opening the pool would
        // switch a foreign database to WAL and write to it even if it is then refused.
        let found = try Self.checkExistingFileReadOnly(path: path)
        if mode == .writeExisting, found < StateSchema.currentVersion {
            throw StateStoreError.needsMigration(path: path, found: found, known: StateSchema.currentVersion)
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // The pool's WAL set-up resets the writer to NORMAL after `prepareDatabase` ran;
            // the writer is one long-lived connection, so setting it again here holds.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw Self.openError(error, path: path)
        }
        writer = GroupCommitQueue(pool: pool)
        do {
            switch mode {
            case .readWrite:
                try StateSchema.migrator.migrate(pool)
            case .writeExisting:
                break
            case .readOnly:
                if found < StateSchema.currentVersion {
                    throw StateStoreError.needsMigration(path: path, found: found, known: StateSchema.currentVersion)
                }
            }
        } catch {
            throw Self.openError(error, path: path)
        }
    }

    /// Refuses foreign and newer databases; returns the schema version found.
    /// Refuses a file that exists but is not SQLite (its 16-byte header), belongs to another
    /// application, or has a newer schema — reading it only, so a refused file stays
    /// byte-for-byte what it was. Returns the schema version found: 0 for an absent or empty
    /// file (it is created).
    private static func checkExistingFileReadOnly(path: String) throws(StateStoreError) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard !header.isEmpty else { return 0 }
        guard header == Data("SQLite format 3\u{0}".utf8) else {
            throw .notADatabase(path: path, detail: "the file does not start with the SQLite header")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "exportsync-ownership-check"
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in try checkOwnership(db, path: path) }
        } catch {
            throw openError(error, path: path)
        }
    }

    private static func checkOwnership(_ db: Database, path: String) throws -> Int {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let userVersion = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if applicationID != 0, applicationID != StateSchema.applicationID {
            throw StateStoreError.notAnExportSyncDatabase(path: path)
        }
        if applicationID == 0 {
            // Our first migration sets the application id; any other table means someone else's file.
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                """)
            if !tables.isEmpty { throw StateStoreError.notAnExportSyncDatabase(path: path) }
        }
        let migrator = StateSchema.migrator
        let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
        let known = StateSchema.currentVersion
        if userVersion > known || !unknown.isEmpty {
            throw StateStoreError.newerSchema(
                path: path, found: max(userVersion, known + unknown.count), known: known, unknownMigrations: unknown)
        }
        return userVersion
    }

    private static func openError(_ error: any Error, path: String) -> StateStoreError {
        switch error {
        case let error as StateStoreError:
            return error
        case let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT:
            return .notADatabase(path: path, detail: error.message ?? "\(error.resultCode)")
        case let error as DatabaseError:
            return .sqlite(path: path, detail: error.message ?? "\(error.resultCode)")
        default:
            return .sqlite(path: path, detail: "\(error)")
        }
    }

    /// Runs `body` atomically in a write transaction (shared with concurrent writes, see
    /// ``GroupCommitQueue``) and returns once that transaction has committed, mapping SQLite
    /// errors to ``StateStoreError``.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch let error as DatabaseError {
            throw StateStoreError.sqlite(path: path, detail: error.message ?? "\(error.resultCode)")
        }
    }

    /// Runs `body` on a reader connection (a consistent snapshot).
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as DatabaseError {
            throw StateStoreError.sqlite(path: path, detail: error.message ?? "\(error.resultCode)")
        }
    }
}
