public import ExportSyncCore
public import Foundation

/// A configured job as the store tracks it: enough to notice configuration changes.
public struct JobRegistration: Sendable, Hashable {
    /// The job's unique name.
    public var name: String
    /// A stable digest of the job's configuration; a change means the job was edited.
    public var fingerprint: String
    /// The job kind (`file-export`, `webadmit-export`, …).
    public var kind: String
    /// The source name the job uses.
    public var source: String

    /// Creates a registration.
    public init(name: String, fingerprint: String, kind: String, source: String) {
        self.name = name
        self.fingerprint = fingerprint
        self.kind = kind
        self.source = source
    }

    /// The registration of a configured job.
    public init(_ job: JobSpec) {
        self.init(name: job.name, fingerprint: job.fingerprint, kind: job.kind.rawValue, source: job.source)
    }
}

/// What ``StateStore/syncJobs(_:at:)`` found when comparing the configuration with the database.
public struct JobSyncReport: Sendable, Hashable {
    /// Jobs seen for the first time (or back after having been removed).
    public var added: [String] = []
    /// Jobs whose fingerprint changed.
    public var changed: [String] = []
    /// Jobs present and unchanged.
    public var unchanged: [String] = []
    /// Jobs in the database but no longer in the configuration; their history is kept.
    public var removedFromConfig: [String] = []

    /// An empty report.
    public init() {}
}

/// A job's schedule bookkeeping as stored.
public struct StoredJob: Sendable, Hashable, Codable {
    /// The job's unique name.
    public var name: String
    /// Digest of its configuration when last synced.
    public var fingerprint: String
    /// The job kind.
    public var kind: String
    /// The source name.
    public var source: String
    /// When the job left the configuration, if it did.
    public var removedFromConfigAt: Date?
    /// The last schedule slot a run was created for.
    public var lastScheduledAt: Date?
    /// When the last run's kickoff was sent.
    public var lastRunStartedAt: Date?
    /// When the job is next due.
    public var nextDueAt: Date?

    init(_ record: JobRecord) {
        name = record.name
        fingerprint = record.fingerprint
        kind = record.kind
        source = record.source
        removedFromConfigAt = record.removedFromConfigAt
        lastScheduledAt = record.lastScheduledAt
        lastRunStartedAt = record.lastRunStartedAt
        nextDueAt = record.nextDueAt
    }
}
