import ExportSyncCore
import Foundation
import GRDB

/// A row of `runs`: one kicked-off export or upload and where it is in its lifecycle.
struct RunRecord: Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "runs"

    var id: Int64?
    var job: String
    var kind: RunKind
    var phase: RunPhase
    /// Kickoffs sent for this run (1 normally; more after restarts or retries).
    var attemptCount: Int
    var createdAt: Date
    var updatedAt: Date
    var scheduledFor: Date
    var deadline: Date
    var kickoffSentAt: Date?
    /// True once a kickoff was sent again after an earlier one's answer was lost.
    var possibleDuplicate: Bool
    var failureReason: String?
    var failureRetryable: Bool?
    var finishedAt: Date?
    /// The operation the run currently follows (several runs may share one: WebAdMIT dedupe).
    var operationId: Int64?
    /// When the next kickoff, reconciliation or download attempt is due after a transient failure.
    var nextAttemptAt: Date?
    /// Transient failures of the current step in a row.
    var stepFailures: Int = 0
    /// The last transient failure (redacted text), for `status`.
    var lastError: String?
    /// The discovered item (attachment id, export template id) the run exports; nil for a
    /// job's own runs (a single export, an upload, a discovery job's scan).
    var item: String? = nil

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension RunRecord {
    /// The columns of `runs`: every read and write of the table goes through them.
    enum Columns {
        static let id = Column("id")
        static let job = Column("job")
        static let kind = Column("kind")
        static let phase = Column("phase")
        static let attemptCount = Column("attempt_count")
        static let createdAt = Column("created_at")
        static let updatedAt = Column("updated_at")
        static let scheduledFor = Column("scheduled_for")
        static let deadline = Column("deadline")
        static let kickoffSentAt = Column("kickoff_sent_at")
        static let possibleDuplicate = Column("possible_duplicate")
        static let failureReason = Column("failure_reason")
        static let failureRetryable = Column("failure_retryable")
        static let finishedAt = Column("finished_at")
        static let operationId = Column("operation_id")
        static let nextAttemptAt = Column("next_attempt_at")
        static let stepFailures = Column("step_failures")
        static let lastError = Column("last_error")
        static let item = Column("item")
    }

    /// Decodes by hand: recovery reads every unfinished run at startup, and this is several
    /// times faster than the `Decodable` path for large backlogs.
    init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id)
        job = try row.decode(forColumn: Columns.job)
        guard let kind = RunKind(rawValue: try row.decode(forColumn: Columns.kind)),
              let phase = RunPhase(rawValue: try row.decode(forColumn: Columns.phase)) else {
            throw StateStoreError.inconsistentRun(runID: id ?? 0, detail: "unknown kind or phase")
        }
        self.kind = kind
        self.phase = phase
        attemptCount = try row.decode(forColumn: Columns.attemptCount)
        createdAt = try row.decode(forColumn: Columns.createdAt)
        updatedAt = try row.decode(forColumn: Columns.updatedAt)
        scheduledFor = try row.decode(forColumn: Columns.scheduledFor)
        deadline = try row.decode(forColumn: Columns.deadline)
        kickoffSentAt = try row.decode(forColumn: Columns.kickoffSentAt)
        possibleDuplicate = try row.decode(forColumn: Columns.possibleDuplicate)
        failureReason = try row.decode(forColumn: Columns.failureReason)
        failureRetryable = try row.decode(forColumn: Columns.failureRetryable)
        finishedAt = try row.decode(forColumn: Columns.finishedAt)
        operationId = try row.decode(forColumn: Columns.operationId)
        nextAttemptAt = try row.decode(forColumn: Columns.nextAttemptAt)
        stepFailures = try row.decode(forColumn: Columns.stepFailures)
        lastError = try row.decode(forColumn: Columns.lastError)
        item = try row.decode(forColumn: Columns.item)
    }

    /// Encodes by hand, dates through ``StorageDate``: every transition writes its run, and
    /// GRDB's `Encodable` path (with its ICU date formatting) cost more than the SQL itself.
    func encode(to container: inout PersistenceContainer) {
        container[Columns.id] = id
        container[Columns.job] = job
        container[Columns.kind] = kind.rawValue
        container[Columns.phase] = phase.rawValue
        container[Columns.attemptCount] = attemptCount
        container[Columns.createdAt] = StorageDate.wrap(createdAt)
        container[Columns.updatedAt] = StorageDate.wrap(updatedAt)
        container[Columns.scheduledFor] = StorageDate.wrap(scheduledFor)
        container[Columns.deadline] = StorageDate.wrap(deadline)
        container[Columns.kickoffSentAt] = StorageDate.wrap(kickoffSentAt)
        container[Columns.possibleDuplicate] = possibleDuplicate
        container[Columns.failureReason] = failureReason
        container[Columns.failureRetryable] = failureRetryable
        container[Columns.finishedAt] = StorageDate.wrap(finishedAt)
        container[Columns.operationId] = operationId
        container[Columns.nextAttemptAt] = StorageDate.wrap(nextAttemptAt)
        container[Columns.stepFailures] = stepFailures
        container[Columns.lastError] = lastError
        container[Columns.item] = item
    }

    /// Writes every column of the row `id` names, through one cached statement: GRDB's
    /// `update(_:)` builds its `UPDATE` anew on every call, and every transition writes its run
    /// (about 4 % of the CPU of a run in `scripts/bench` case 1). Throws
    /// `RecordError.recordNotFound` when no row has this id, as `update(_:)` does.
    func updateRow(_ db: Database) throws {
        guard let id else { throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: ["id": .null]) }
        try db.cachedStatement(sql: """
            UPDATE runs SET job = ?, kind = ?, phase = ?, attempt_count = ?, created_at = ?, updated_at = ?, scheduled_for = ?,
                deadline = ?, kickoff_sent_at = ?, possible_duplicate = ?, failure_reason = ?, failure_retryable = ?,
                finished_at = ?, operation_id = ?, next_attempt_at = ?, step_failures = ?, last_error = ?, item = ?
            WHERE id = ?
            """).execute(arguments: [
                job, kind.rawValue, phase.rawValue, attemptCount, StorageDate.wrap(createdAt), StorageDate.wrap(updatedAt),
                StorageDate.wrap(scheduledFor), StorageDate.wrap(deadline), StorageDate.wrap(kickoffSentAt), possibleDuplicate,
                failureReason, failureRetryable, StorageDate.wrap(finishedAt), operationId, StorageDate.wrap(nextAttemptAt),
                stepFailures, lastError, item, id,
            ])
        if db.changesCount == 0 {
            throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: ["id": id.databaseValue])
        }
    }

    /// The run with `id`, through a cached statement (the query interface compiles SQL each call).
    static func fetch(_ db: Database, id: Int64) throws -> RunRecord? {
        try RunRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE id = ?"), arguments: [id])
    }
}
