public import ExportSyncCore
public import Foundation
import GRDB

/// A file whose delivery hook is due: what the hook's environment and log lines need.
public struct PendingHook: Sendable, Hashable {
    /// The `file_hooks` row.
    public var id: Int64
    /// The file, as recorded.
    public var file: StoredFile
    /// The job whose run wrote it.
    public var job: String
    /// Attempts that ended so far.
    public var attempts: Int
}

/// A job's delivery hooks, for `status` and `check`.
public struct HookSummary: Sendable, Hashable, Codable {
    /// Waiting to run (first or again).
    public var pending: Int
    /// Gave up after their last attempt.
    public var failed: Int
    /// The latest hook that ended (succeeded, failed or cancelled): whether delivery works now.
    public var lastFinished: LastHook?

    /// A hook that ended.
    public struct LastHook: Sendable, Hashable, Codable {
        public var state: HookState
        /// The file's path, relative to the output root.
        public var path: String
        public var finishedAt: Date
        public var attempts: Int
        /// The last failure's reason (nil after a success on the first attempt).
        public var lastError: String?
    }

    public init(pending: Int, failed: Int, lastFinished: LastHook?) {
        self.pending = pending
        self.failed = failed
        self.lastFinished = lastFinished
    }
}

extension HookState: Codable {}

extension StateStore {
    /// Hooks due at `now`, earliest first, at most `limit`.
    public func dueHooks(until now: Date, limit: Int) async throws -> [PendingHook] {
        guard limit > 0 else { return [] }
        return try await read { db in try Self.dueHooks(db, until: now, limit: limit) }
    }

    static func dueHooks(_ db: Database, until now: Date, limit: Int) throws -> [PendingHook] {
        guard limit > 0 else { return [] }
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT file_hooks.id AS hook_id, file_hooks.attempts AS hook_attempts, runs.job AS hook_job, files.*
            FROM file_hooks
            JOIN files ON files.id = file_hooks.file_id
            JOIN runs ON runs.id = files.run_id
            WHERE file_hooks.state = 'pending' AND file_hooks.next_attempt_at <= ?
            ORDER BY file_hooks.next_attempt_at, file_hooks.id
            LIMIT ?
            """), arguments: [StorageDate(now), limit])
        return try rows.map { row in
            let file = try FileRecord(row: row)
            return PendingHook(id: try row.decode(forColumn: Column("hook_id")),
                               file: StoredFile(file, id: try Self.id(of: file)),
                               job: try row.decode(forColumn: Column("hook_job")),
                               attempts: try row.decode(forColumn: Column("hook_attempts")))
        }
    }

    /// Records that an attempt of a hook starts, before its program is spawned: the attempt
    /// counts even if the daemon never learns how it ended (a crash, or a hook that brings the
    /// daemon down), and the hook is not due again before `retryAt`. Answers the attempt's
    /// number (1-based), or nil when the hook is no longer pending.
    public func beginHookAttempt(_ hookID: Int64, retryAt: Date, at now: Date) async throws -> Int? {
        try await write { db in
            guard var hook = try FileHookRecord.fetchOne(db, key: hookID), hook.state == .pending else { return nil }
            hook.attempts += 1
            hook.nextAttemptAt = retryAt
            hook.updatedAt = now
            try hook.update(db)
            return hook.attempts
        }
    }

    /// Moves a pending hook's next attempt to `until` without counting an attempt (its job is
    /// not configured now; it runs once the job is back).
    public func postponeHook(_ hookID: Int64, until: Date, at now: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE file_hooks SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'")
                .execute(arguments: [StorageDate(until), StorageDate(now), hookID])
        }
    }

    /// The jobs that have hooks waiting to run.
    public func jobsWithPendingHooks() async throws -> Set<String> {
        try await read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: """
                SELECT DISTINCT runs.job FROM file_hooks
                JOIN files ON files.id = file_hooks.file_id JOIN runs ON runs.id = files.run_id
                WHERE file_hooks.state = 'pending'
                """)))
        }
    }

    /// Records how a hook's attempt (begun with ``beginHookAttempt(_:retryAt:at:)``) ended, as
    /// the core decided (``HookRetryPolicy``). Answers false when the hook was no longer pending.
    @discardableResult
    public func recordHookAttempt(_ hookID: Int64, decision: HookDecision, at now: Date) async throws -> Bool {
        try await write { db in
            guard var hook = try FileHookRecord.fetchOne(db, key: hookID), hook.state == .pending else { return false }
            hook.updatedAt = now
            switch decision {
            case .succeeded:
                hook.state = .succeeded
                hook.nextAttemptAt = nil
                hook.finishedAt = now
            case .retry(let at, let reason):
                hook.nextAttemptAt = at
                hook.lastError = self.secrets?.scrub(reason) ?? reason
            case .failed(let reason):
                hook.state = .failed
                hook.nextAttemptAt = nil
                hook.finishedAt = now
                hook.lastError = self.secrets?.scrub(reason) ?? reason
            }
            try hook.update(db)
            return true
        }
    }

    /// Records that a pending hook will not run: its job no longer has one.
    public func cancelHook(_ hookID: Int64, reason: String, at now: Date) async throws {
        try await write { db in
            guard var hook = try FileHookRecord.fetchOne(db, key: hookID), hook.state == .pending else { return }
            hook.state = .cancelled
            hook.nextAttemptAt = nil
            hook.finishedAt = now
            hook.updatedAt = now
            hook.lastError = reason
            try hook.update(db)
        }
    }

    /// Hooks waiting to run, first or again.
    public func pendingHookCount() async throws -> Int {
        // The literal lets SQLite use the partial index on pending hooks.
        try await read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM file_hooks WHERE state = 'pending'")) ?? 0 }
    }

    /// Each job's hooks, for `status`.
    static func hookSummaries(_ db: Database) throws -> [String: HookSummary] {
        var summaries: [String: HookSummary] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT runs.job AS job, file_hooks.state AS state, COUNT(*) AS count
            FROM file_hooks JOIN files ON files.id = file_hooks.file_id JOIN runs ON runs.id = files.run_id
            WHERE file_hooks.state IN ('pending', 'failed')
            GROUP BY runs.job, file_hooks.state
            """) {
            let job: String = try row.decode(forColumn: Column("job"))
            let state: String = try row.decode(forColumn: Column("state"))
            let count: Int = try row.decode(forColumn: Column("count"))
            var summary = summaries[job] ?? HookSummary(pending: 0, failed: 0, lastFinished: nil)
            if state == HookState.pending.rawValue { summary.pending = count } else { summary.failed = count }
            summaries[job] = summary
        }
        // The latest finished hook of each job (highest finished_at, then id).
        for row in try Row.fetchAll(db, sql: """
            SELECT job, state, path, finished_at, attempts, last_error FROM (
                SELECT runs.job AS job, file_hooks.state AS state, files.path AS path, file_hooks.finished_at AS finished_at,
                       file_hooks.attempts AS attempts, file_hooks.last_error AS last_error,
                       ROW_NUMBER() OVER (PARTITION BY runs.job ORDER BY file_hooks.finished_at DESC, file_hooks.id DESC) AS position
                FROM file_hooks JOIN files ON files.id = file_hooks.file_id JOIN runs ON runs.id = files.run_id
                WHERE file_hooks.state != 'pending'
            ) WHERE position = 1
            """) {
            let job: String = try row.decode(forColumn: Column("job"))
            guard let state = HookState(rawValue: try row.decode(forColumn: Column("state"))) else { continue }
            var summary = summaries[job] ?? HookSummary(pending: 0, failed: 0, lastFinished: nil)
            summary.lastFinished = HookSummary.LastHook(
                state: state, path: try row.decode(forColumn: Column("path")),
                finishedAt: try row.decode(forColumn: Column("finished_at")),
                attempts: try row.decode(forColumn: Column("attempts")),
                lastError: try row.decode(forColumn: Column("last_error")))
            summaries[job] = summary
        }
        return summaries
    }

    /// Inserts a file's pending hook, due at once; part of the transaction that records the file.
    static func insertPendingHook(_ db: Database, fileID: Int64, now: Date) throws {
        var hook = FileHookRecord(id: nil, fileId: fileID, state: .pending, attempts: 0, nextAttemptAt: now, lastError: nil,
                                  createdAt: now, updatedAt: now, finishedAt: nil)
        try hook.insert(db)
    }
}
