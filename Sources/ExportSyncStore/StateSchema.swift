import ExportSyncCore
import GRDB

/// Every schema migration of the state database, registered in one place.
///
/// Each migration ends by setting `PRAGMA user_version` to its number inside the same
/// transaction, so the version marker and the schema can never disagree. A build refuses a
/// database whose `user_version` is above ``currentVersion`` or that records a migration
/// identifier it does not know: both mean a newer exportsync wrote it.
enum StateSchema {
    /// `PRAGMA application_id` of exportsync databases ("EXSY").
    static let applicationID: Int32 = 0x4558_5359

    /// The schema version this build writes: the number of the last migration.
    static var currentVersion: Int { migrations.count }

    /// The migrator with every migration, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (index, migration) in migrations.enumerated() {
            let version = index + 1
            migrator.registerMigration(migration.identifier) { db in
                try migration.apply(db)
                try db.execute(sql: "PRAGMA user_version = \(version)")
            }
        }
        return migrator
    }

    private struct Migration: Sendable {
        var identifier: String
        var apply: @Sendable (Database) throws -> Void
    }

    private static let migrations: [Migration] = [
        Migration(identifier: "v1-initial", apply: createInitialSchema),
        Migration(identifier: "v2-run-retries", apply: addRunRetries),
        Migration(identifier: "v3-file-hooks", apply: addFileHooks),
        Migration(identifier: "v4-job-triggers", apply: addJobTriggers),
        Migration(identifier: "v5-discovery", apply: addDiscovery),
        Migration(identifier: "v6-scan-gaps", apply: addScanGaps),
        Migration(identifier: "v7-scan-scope", apply: addScanScope),
    ]

    /// The partial indexes' condition on `runs.phase`, built from ``RunPhase/unfinished`` (the one
    /// list of phases). Queries meant to use those indexes repeat it word for word (SQLite matches
    /// a partial index's condition textually); a test checks it against the indexes the
    /// migrations created, and the `runs.phase` CHECK against ``RunPhase/allCases``.
    static let unfinishedPhases = sqlList(RunPhase.unfinished)

    /// `('a', 'b')` for phases, in their declared order.
    static func sqlList(_ phases: [RunPhase]) -> String {
        "(" + phases.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    /// v2: a run's retry bookkeeping. `next_attempt_at` is when a kickoff, reconciliation or
    /// download is tried again after a transient failure (persisted before the daemon waits, so a
    /// restart never acts early); `step_failures` counts the current step's transient failures
    /// in a row (the backoff's exponent); `last_error` is the last of them, for `status`.
    private static func addRunRetries(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE runs ADD COLUMN next_attempt_at TEXT")
        try db.execute(sql: "ALTER TABLE runs ADD COLUMN step_failures INTEGER NOT NULL DEFAULT 0 CHECK (step_failures >= 0)")
        try db.execute(sql: "ALTER TABLE runs ADD COLUMN last_error TEXT")
        // The loop sleeps until the earliest attempt; only unfinished runs keep one.
        try db.execute(sql: "CREATE INDEX runs_by_next_attempt ON runs(next_attempt_at) WHERE next_attempt_at IS NOT NULL")
    }

    /// v3: delivery hooks (`on_file`). A file's hook row is inserted in the transaction that
    /// records the file, so a delivered file's hook runs at least once even across a crash;
    /// `next_attempt_at` is set exactly while it waits to run (first or again), `attempts`
    /// counts attempts that ended, `last_error` is the last failure's reason.
    private static func addFileHooks(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE file_hooks (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                file_id INTEGER NOT NULL UNIQUE REFERENCES files(id) ON DELETE RESTRICT,
                state TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'cancelled')),
                attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                next_attempt_at TEXT,
                last_error TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                finished_at TEXT,
                CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL)),
                CHECK ((state = 'pending') = (finished_at IS NULL))
            ) STRICT;
            """)
        // The loop reads the hooks due; it never scans finished ones.
        try db.execute(sql: "CREATE INDEX file_hooks_pending ON file_hooks(next_attempt_at) WHERE state = 'pending'")
    }

    /// v4: `exportsync trigger` marks a job due now (`triggered_at`) without the daemon's lock;
    /// the engine creates the run and clears the mark in one transaction.
    private static func addJobTriggers(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE jobs ADD COLUMN triggered_at TEXT")
        // Each pass of the loop asks for triggered jobs: an empty index, almost always.
        try db.execute(sql: "CREATE INDEX jobs_triggered ON jobs(triggered_at) WHERE triggered_at IS NOT NULL")
    }

    /// v5: discovery jobs (`test-form-attachments`, `webadmit-exports`). A scan is a run of the
    /// job itself (`item` NULL) with a `scans` row holding the lists it still has to read, so a
    /// killed or failed scan resumes where it was; `discovered_items` is what scans found, each
    /// exported by runs of the job that name it in `runs.item`. A job has at most one unfinished
    /// run per item (and one of its own): the unique index moves from `job` to `(job, item)`.
    /// `files.removed_at` marks a delivered file the daemon removed (`removed = "delete"`).
    private static func addDiscovery(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE runs ADD COLUMN item TEXT")
        try db.execute(sql: "DROP INDEX runs_one_unfinished_per_job")
        try db.execute(sql: "CREATE UNIQUE INDEX runs_one_unfinished_per_item ON runs(job, ifnull(item, '')) WHERE phase IN ('due', 'starting', 'uploading', 'polling', 'downloading')")
        try db.execute(sql: "CREATE INDEX runs_by_item ON runs(job, item, id) WHERE item IS NOT NULL")
        try db.execute(sql: "ALTER TABLE files ADD COLUMN removed_at TEXT")
        try db.execute(sql: """
            CREATE TABLE discovered_items (
                job TEXT NOT NULL REFERENCES jobs(name) ON UPDATE CASCADE ON DELETE RESTRICT,
                item TEXT NOT NULL,
                name TEXT,
                level TEXT CHECK (level IN ('test-phase', 'matrix', 'sample')),
                test_form TEXT,
                test_phase TEXT,
                matrix TEXT,
                sample TEXT,
                seen_rank INTEGER NOT NULL,
                first_seen_at TEXT NOT NULL,
                last_seen_at TEXT NOT NULL,
                last_seen_scan INTEGER NOT NULL REFERENCES runs(id) ON DELETE RESTRICT,
                last_run INTEGER REFERENCES runs(id) ON DELETE RESTRICT,
                delivered_path TEXT,
                removed_at TEXT,
                PRIMARY KEY (job, item),
                CHECK ((level IS NULL) = (test_phase IS NULL))
            ) STRICT, WITHOUT ROWID;
            """)
        try db.execute(sql: "CREATE INDEX discovered_items_by_scan ON discovered_items(last_seen_scan, seen_rank)")
        try db.execute(sql: """
            CREATE TABLE scans (
                run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE RESTRICT,
                job TEXT NOT NULL REFERENCES jobs(name) ON UPDATE CASCADE ON DELETE RESTRICT,
                pending_lists TEXT,
                lists_read INTEGER NOT NULL DEFAULT 0 CHECK (lists_read >= 0),
                found INTEGER NOT NULL DEFAULT 0 CHECK (found >= 0),
                complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
                started_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                finished_at TEXT,
                CHECK (complete = 0 OR finished_at IS NOT NULL)
            ) STRICT;
            """)
        try db.execute(sql: "CREATE INDEX scans_by_job ON scans(job, run_id)")
    }

    /// v6: `scans.lists_gone` counts the lists of a scan that answered 404 because what they
    /// belong to (a matrix, a sample) was deleted while the scan walked the form: the scan goes
    /// on without them, and ends partial (``ScanCompletion/complete`` false), removing nothing.
    private static func addScanGaps(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE scans ADD COLUMN lists_gone INTEGER NOT NULL DEFAULT 0 CHECK (lists_gone >= 0)")
    }

    /// v7: `scans.scope` is what the scan walks (``JobSpec/scanScope``) as its job was configured
    /// when it began; `scans.scope_changed` marks a scan resumed under another scope (the job's
    /// `test_phases`, `levels` or `exports` were edited mid-scan): it read lists of two walks,
    /// so it ends partial and removes nothing. A scan begun before v7 has no scope: resumed, it
    /// counts as changed.
    private static func addScanScope(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE scans ADD COLUMN scope TEXT")
        try db.execute(sql: "ALTER TABLE scans ADD COLUMN scope_changed INTEGER NOT NULL DEFAULT 0 CHECK (scope_changed IN (0, 1))")
    }

    /// v1 as it shipped; its phase lists are literals on purpose: a migration never changes.
    private static func createInitialSchema(_ db: Database) throws {
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        try db.execute(sql: """
            CREATE TABLE jobs (
                name TEXT PRIMARY KEY NOT NULL,
                fingerprint TEXT NOT NULL,
                kind TEXT NOT NULL,
                source TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                removed_from_config_at TEXT,
                last_scheduled_at TEXT,
                last_run_started_at TEXT,
                next_due_at TEXT
            ) STRICT, WITHOUT ROWID;
            """)
        try db.execute(sql: """
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                job TEXT NOT NULL REFERENCES jobs(name) ON UPDATE CASCADE ON DELETE RESTRICT,
                kind TEXT NOT NULL CHECK (kind IN ('export', 'upload')),
                phase TEXT NOT NULL CHECK (phase IN ('due', 'starting', 'uploading', 'polling', 'downloading', 'done', 'failed')),
                attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                scheduled_for TEXT NOT NULL,
                deadline TEXT NOT NULL,
                kickoff_sent_at TEXT,
                possible_duplicate INTEGER NOT NULL DEFAULT 0 CHECK (possible_duplicate IN (0, 1)),
                failure_reason TEXT,
                failure_retryable INTEGER CHECK (failure_retryable IN (0, 1)),
                finished_at TEXT,
                operation_id INTEGER REFERENCES operations(id) ON DELETE RESTRICT,
                CHECK ((phase = 'failed') = (failure_reason IS NOT NULL))
            ) STRICT;
            """)
        // A job never has two runs in flight: a restart cannot schedule a second one.
        try db.execute(sql: "CREATE UNIQUE INDEX runs_one_unfinished_per_job ON runs(job) WHERE phase IN ('due', 'starting', 'uploading', 'polling', 'downloading')")
        // Recovery reads every unfinished run; this keeps it off the (large) finished history.
        try db.execute(sql: "CREATE INDEX runs_unfinished_by_phase ON runs(phase) WHERE phase IN ('due', 'starting', 'uploading', 'polling', 'downloading')")
        // `status`: the last run of each job.
        try db.execute(sql: "CREATE INDEX runs_by_job ON runs(job, id)")
        try db.execute(sql: "CREATE INDEX runs_by_operation ON runs(operation_id) WHERE operation_id IS NOT NULL")

        try db.execute(sql: """
            CREATE TABLE operations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE RESTRICT,
                location TEXT NOT NULL,
                x_version TEXT,
                provider_export_id TEXT,
                provider_export_file_id TEXT,
                next_poll_at TEXT,
                poll_count INTEGER NOT NULL DEFAULT 0 CHECK (poll_count >= 0),
                last_status TEXT,
                details TEXT,
                original_request TEXT,
                deadline TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (provider_export_id, provider_export_file_id)
            ) STRICT;
            """)
        // The poll scheduler: the next operations due, earliest first.
        try db.execute(sql: "CREATE INDEX operations_by_next_poll ON operations(next_poll_at) WHERE next_poll_at IS NOT NULL")
        try db.execute(sql: "CREATE INDEX operations_by_run ON operations(run_id)")

        try db.execute(sql: """
            CREATE TABLE files (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                path TEXT NOT NULL,
                size INTEGER NOT NULL CHECK (size >= 0),
                sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE RESTRICT,
                operation_id INTEGER REFERENCES operations(id) ON DELETE RESTRICT,
                written_at TEXT NOT NULL
            ) STRICT;
            """)
        try db.execute(sql: "CREATE INDEX files_by_path ON files(path, id)")
        try db.execute(sql: "CREATE INDEX files_by_run ON files(run_id)")

        try db.execute(sql: """
            CREATE TABLE uploads (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
                source_path TEXT NOT NULL,
                run_id INTEGER REFERENCES runs(id) ON DELETE RESTRICT,
                operation_id INTEGER REFERENCES operations(id) ON DELETE RESTRICT,
                state TEXT NOT NULL CHECK (state IN ('pending', 'uploaded', 'confirmed', 'failed')),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ) STRICT;
            """)
    }
}
