public import ExportSyncCore
public import Foundation

/// A run as recorded in the state database.
public struct StoredRun: Sendable, Hashable, Codable {
    /// Database id.
    public var id: Int64
    /// Name of the job the run belongs to.
    public var job: String
    /// Export or upload.
    public var kind: RunKind
    /// Where the run is in its lifecycle.
    public var phase: RunPhase
    /// Kickoffs sent so far (more than one after a restart in `starting`).
    public var attemptCount: Int
    /// When the row was created.
    public var createdAt: Date
    /// When the row last changed.
    public var updatedAt: Date
    /// The schedule slot the run was created for.
    public var scheduledFor: Date
    /// After this instant the run is failed, whatever the server says.
    public var deadline: Date
    /// When the (last) kickoff was about to be sent.
    public var kickoffSentAt: Date?
    /// True when a kickoff was repeated after an earlier one's answer was lost.
    public var possibleDuplicate: Bool
    /// Why the run failed, in `failed`.
    public var failureReason: String?
    /// Whether the failed run may be tried again on its next schedule.
    public var failureRetryable: Bool?
    /// When the run reached `done` or `failed`.
    public var finishedAt: Date?
    /// The operation the run follows, once the kickoff was accepted.
    public var operationID: Int64?
    /// When the next kickoff, reconciliation or download attempt is due after a transient failure.
    public var nextAttemptAt: Date?
    /// Transient failures of the current step in a row.
    public var stepFailures: Int
    /// The last transient failure, while the run waits to try again.
    public var lastError: String?
    /// The discovered item the run exports (a discovery job's attachment or export template);
    /// nil for a job's own runs, a discovery job's scans among them.
    public var item: String?

    init(_ record: RunRecord, id: Int64) {
        self.id = id
        job = record.job
        kind = record.kind
        phase = record.phase
        attemptCount = record.attemptCount
        createdAt = record.createdAt
        updatedAt = record.updatedAt
        scheduledFor = record.scheduledFor
        deadline = record.deadline
        kickoffSentAt = record.kickoffSentAt
        possibleDuplicate = record.possibleDuplicate
        failureReason = record.failureReason
        failureRetryable = record.failureRetryable
        finishedAt = record.finishedAt
        operationID = record.operationId
        nextAttemptAt = record.nextAttemptAt
        stepFailures = record.stepFailures
        lastError = record.lastError
        item = record.item
    }
}

/// A server-side asynchronous operation as recorded in the state database.
public struct StoredOperation: Sendable, Hashable, Codable {
    /// Database id.
    public var id: Int64
    /// The run whose kickoff created it.
    public var runID: Int64
    /// The exact `Location` the server gave (resolved if it was relative).
    public var location: String
    /// The `X-Version` header the kickoff used; polls must send the same.
    public var xVersion: String?
    /// Provider ids (WebAdMIT `export_id` / `export_file_id`), when the provider has them.
    public var providerIDs: ProviderOperationIDs?
    /// When to poll next; `nil` once the operation is no longer polled.
    public var nextPollAt: Date?
    /// Polls answered so far.
    public var pollCount: Int
    /// The last status the server reported.
    public var lastStatus: String?
    /// JSON `details[]` of a failed Workiva operation.
    public var details: String?
    /// JSON `originalRequest` of a failed Workiva operation.
    public var originalRequest: String?
    /// Deadline of the operation.
    public var deadline: Date?

    init(_ record: OperationRecord, id: Int64) {
        self.id = id
        runID = record.runId
        location = record.location
        xVersion = record.xVersion
        if let exportID = record.providerExportId, let exportFileID = record.providerExportFileId {
            providerIDs = ProviderOperationIDs(exportID: exportID, exportFileID: exportFileID)
        }
        nextPollAt = record.nextPollAt
        pollCount = record.pollCount
        lastStatus = record.lastStatus
        details = record.details
        originalRequest = record.originalRequest
        deadline = record.deadline
    }
}

/// Provider-side ids of an operation that identify it across runs (WebAdMIT's
/// `(export_id, export_file_id)`); two runs that get the same ids share one operation row.
public struct ProviderOperationIDs: Sendable, Hashable, Codable {
    /// WebAdMIT `export_id`.
    public var exportID: String
    /// WebAdMIT `export_file_id`.
    public var exportFileID: String

    /// Creates the ids.
    public init(exportID: String, exportFileID: String) {
        self.exportID = exportID
        self.exportFileID = exportFileID
    }
}

/// A file written into the output tree, as recorded in the state database.
public struct StoredFile: Sendable, Hashable, Codable {
    /// Database id.
    public var id: Int64
    /// Path relative to the output root.
    public var path: String
    /// Size in bytes.
    public var size: Int64
    /// Lower-case hex SHA-256.
    public var sha256: String
    /// The run that produced it.
    public var runID: Int64
    /// The operation that produced it.
    public var operationID: Int64?
    /// When the database recorded it (after the rename and directory fsync).
    public var writtenAt: Date

    init(_ record: FileRecord, id: Int64) {
        self.id = id
        path = record.path
        size = record.size
        sha256 = record.sha256
        runID = record.runId
        operationID = record.operationId
        writtenAt = record.writtenAt
    }
}
