import ExportSyncCore
import Foundation
import GRDB

/// A row of `runs`: one kicked-off export or upload and where it is in its lifecycle.
struct RunRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "runs"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension RunRecord {
    /// Decodes by hand: recovery reads every unfinished run at startup, and this is several
    /// times faster than the `Decodable` path for large backlogs.
    init(row: Row) throws {
        id = row["id"]
        job = row["job"]
        guard let kind = RunKind(rawValue: row["kind"]), let phase = RunPhase(rawValue: row["phase"]) else {
            throw StateStoreError.inconsistentRun(runID: row["id"] ?? 0, detail: "unknown kind or phase")
        }
        self.kind = kind
        self.phase = phase
        attemptCount = row["attempt_count"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        scheduledFor = row["scheduled_for"]
        deadline = row["deadline"]
        kickoffSentAt = row["kickoff_sent_at"]
        possibleDuplicate = row["possible_duplicate"]
        failureReason = row["failure_reason"]
        failureRetryable = row["failure_retryable"]
        finishedAt = row["finished_at"]
        operationId = row["operation_id"]
        nextAttemptAt = row["next_attempt_at"]
        stepFailures = row["step_failures"]
        lastError = row["last_error"]
    }
}

extension RunRecord {
    /// Encodes by hand: every transition writes its run, and GRDB's `Encodable` path (with its
    /// ICU date formatting) cost more than the SQL itself.
    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["job"] = job
        container["kind"] = kind.rawValue
        container["phase"] = phase.rawValue
        container["attempt_count"] = attemptCount
        container["created_at"] = StorageDate.wrap(createdAt)
        container["updated_at"] = StorageDate.wrap(updatedAt)
        container["scheduled_for"] = StorageDate.wrap(scheduledFor)
        container["deadline"] = StorageDate.wrap(deadline)
        container["kickoff_sent_at"] = StorageDate.wrap(kickoffSentAt)
        container["possible_duplicate"] = possibleDuplicate
        container["failure_reason"] = failureReason
        container["failure_retryable"] = failureRetryable
        container["finished_at"] = StorageDate.wrap(finishedAt)
        container["operation_id"] = operationId
        container["next_attempt_at"] = StorageDate.wrap(nextAttemptAt)
        container["step_failures"] = stepFailures
        container["last_error"] = lastError
    }

    /// The run with `id`, through a cached statement (the query interface compiles SQL each call).
    static func fetch(_ db: Database, id: Int64) throws -> RunRecord? {
        try RunRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE id = ?"), arguments: [id])
    }
}
