public import ExportSyncCore
public import Foundation

/// Everything `exportsync status` shows, read in one consistent snapshot.
public struct StatusSnapshot: Sendable, Hashable, Codable {
    /// One entry per job known to the database, by name.
    public var jobs: [JobStatus]
    /// Operations still in flight, earliest next poll first (at most the requested limit).
    public var pendingOperations: [PendingOperationStatus]
    /// How many unfinished runs follow an operation in total (may exceed the list's length).
    public var pendingOperationCount: Int

    /// A job, its schedule and its last run.
    public struct JobStatus: Sendable, Hashable, Codable {
        /// Job name.
        public var name: String
        /// Job kind.
        public var kind: String
        /// Source name.
        public var source: String
        /// False when the job is no longer in the configuration (its history is kept).
        public var inConfig: Bool
        /// When the job is next due.
        public var nextDueAt: Date?
        /// The last schedule slot a run was created for.
        public var lastScheduledAt: Date?
        /// The job's most recent run.
        public var lastRun: RunSummary?
        /// When the job's latest successful run finished (nil when none ever did).
        public var lastSuccessAt: Date?
        /// When the job was first registered.
        public var registeredAt: Date?
        /// Its files' delivery hooks (nil when none was ever recorded).
        public var hooks: HookSummary?
        /// A discovery job's scans and items (nil for other jobs, and before the first scan).
        public var discovery: DiscoverySummary?
    }

    /// A run in a few fields.
    public struct RunSummary: Sendable, Hashable, Codable {
        /// Run id.
        public var id: Int64
        /// Export or upload.
        public var kind: RunKind
        /// Lifecycle phase.
        public var phase: RunPhase
        /// Kickoffs sent.
        public var attemptCount: Int
        /// Schedule slot.
        public var scheduledFor: Date
        /// Creation time.
        public var createdAt: Date
        /// Last change.
        public var updatedAt: Date
        /// When it finished.
        public var finishedAt: Date?
        /// Why it failed.
        public var failureReason: String?
        /// Whether the failure is retried on the next schedule.
        public var failureRetryable: Bool?
        /// Whether a kickoff was repeated after a lost answer.
        public var possibleDuplicate: Bool
        /// While the run waits to retry a step: when, and the transient failure it waits out.
        public var nextAttemptAt: Date?
        public var lastError: String?
        /// Transient failures of the current step in a row.
        public var stepFailures: Int = 0
    }

    /// An operation some unfinished run waits on.
    public struct PendingOperationStatus: Sendable, Hashable, Codable {
        /// The run.
        public var runID: Int64
        /// Its job.
        public var job: String
        /// Its phase.
        public var phase: RunPhase
        /// Next poll, if polling.
        public var nextPollAt: Date?
        /// Polls so far.
        public var pollCount: Int
        /// Last server status.
        public var lastStatus: String?
        /// The operation URL without query string or fragment (pre-signed parts stay private).
        public var operationURL: String
    }
}

extension StatusSnapshot.JobStatus {
    /// A stored job, with its last run.
    init(_ record: JobRecord, lastRun: StatusSnapshot.RunSummary?, lastSuccessAt: Date?) {
        name = record.name
        kind = record.kind
        source = record.source
        inConfig = record.removedFromConfigAt == nil
        nextDueAt = record.nextDueAt
        lastScheduledAt = record.lastScheduledAt
        self.lastRun = lastRun
        self.lastSuccessAt = lastSuccessAt
        registeredAt = record.createdAt
    }
}

extension StatusSnapshot.RunSummary {
    /// A stored run in a few fields.
    init(_ record: RunRecord, id: Int64) {
        self.id = id
        kind = record.kind
        phase = record.phase
        attemptCount = record.attemptCount
        scheduledFor = record.scheduledFor
        createdAt = record.createdAt
        updatedAt = record.updatedAt
        finishedAt = record.finishedAt
        failureReason = record.failureReason
        failureRetryable = record.failureRetryable
        possibleDuplicate = record.possibleDuplicate
        nextAttemptAt = record.nextAttemptAt
        lastError = record.lastError
        stepFailures = record.stepFailures
    }
}

extension StatusSnapshot.PendingOperationStatus {
    /// An unfinished run and the operation it follows.
    init(_ run: RunRecord, id: Int64, operation: OperationRecord) {
        runID = id
        job = run.job
        phase = run.phase
        nextPollAt = operation.nextPollAt
        pollCount = operation.pollCount
        lastStatus = operation.lastStatus
        operationURL = StatusSnapshot.strippingQuery(operation.location)
    }
}

extension StatusSnapshot {
    /// `url` without its query string and fragment.
    static func strippingQuery(_ url: String) -> String {
        guard let cut = url.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return url }
        return String(url[..<cut])
    }
}
