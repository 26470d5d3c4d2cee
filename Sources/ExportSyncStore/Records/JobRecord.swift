import Foundation
import GRDB

/// A row of `jobs`: one configured job, kept after it leaves the configuration so its history stays.
struct JobRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "jobs"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var name: String
    var fingerprint: String
    var kind: String
    var source: String
    var createdAt: Date
    var updatedAt: Date
    /// Set when the job disappeared from the configuration; cleared when it comes back.
    var removedFromConfigAt: Date?
    var lastScheduledAt: Date?
    var lastRunStartedAt: Date?
    var nextDueAt: Date?
}
