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

extension JobRecord {
    /// Decodes by hand: start-up reads every job (100,000 in the backlog benchmark).
    init(row: Row) {
        name = row["name"]
        fingerprint = row["fingerprint"]
        kind = row["kind"]
        source = row["source"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        removedFromConfigAt = row["removed_from_config_at"]
        lastScheduledAt = row["last_scheduled_at"]
        lastRunStartedAt = row["last_run_started_at"]
        nextDueAt = row["next_due_at"]
    }

    /// Encodes by hand, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container["name"] = name
        container["fingerprint"] = fingerprint
        container["kind"] = kind
        container["source"] = source
        container["created_at"] = StorageDate.wrap(createdAt)
        container["updated_at"] = StorageDate.wrap(updatedAt)
        container["removed_from_config_at"] = StorageDate.wrap(removedFromConfigAt)
        container["last_scheduled_at"] = StorageDate.wrap(lastScheduledAt)
        container["last_run_started_at"] = StorageDate.wrap(lastRunStartedAt)
        container["next_due_at"] = StorageDate.wrap(nextDueAt)
    }

    /// The job called `name`, through a cached statement.
    static func fetch(_ db: Database, name: String) throws -> JobRecord? {
        try JobRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE name = ?"), arguments: [name])
    }
}
