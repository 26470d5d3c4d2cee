import Foundation
import GRDB

/// A row of `jobs`: one configured job, kept after it leaves the configuration so its history stays.
struct JobRecord: Sendable, Hashable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "jobs"

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
    /// The columns of `jobs`.
    enum Columns {
        static let name = Column("name")
        static let fingerprint = Column("fingerprint")
        static let kind = Column("kind")
        static let source = Column("source")
        static let createdAt = Column("created_at")
        static let updatedAt = Column("updated_at")
        static let removedFromConfigAt = Column("removed_from_config_at")
        static let lastScheduledAt = Column("last_scheduled_at")
        static let lastRunStartedAt = Column("last_run_started_at")
        static let nextDueAt = Column("next_due_at")
    }

    /// Decodes by hand: start-up reads every job (100,000 in the backlog benchmark).
    init(row: Row) throws {
        name = try row.decode(forColumn: Columns.name)
        fingerprint = try row.decode(forColumn: Columns.fingerprint)
        kind = try row.decode(forColumn: Columns.kind)
        source = try row.decode(forColumn: Columns.source)
        createdAt = try row.decode(forColumn: Columns.createdAt)
        updatedAt = try row.decode(forColumn: Columns.updatedAt)
        removedFromConfigAt = try row.decode(forColumn: Columns.removedFromConfigAt)
        lastScheduledAt = try row.decode(forColumn: Columns.lastScheduledAt)
        lastRunStartedAt = try row.decode(forColumn: Columns.lastRunStartedAt)
        nextDueAt = try row.decode(forColumn: Columns.nextDueAt)
    }

    /// Encodes by hand, dates through ``StorageDate``, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container[Columns.name] = name
        container[Columns.fingerprint] = fingerprint
        container[Columns.kind] = kind
        container[Columns.source] = source
        container[Columns.createdAt] = StorageDate.wrap(createdAt)
        container[Columns.updatedAt] = StorageDate.wrap(updatedAt)
        container[Columns.removedFromConfigAt] = StorageDate.wrap(removedFromConfigAt)
        container[Columns.lastScheduledAt] = StorageDate.wrap(lastScheduledAt)
        container[Columns.lastRunStartedAt] = StorageDate.wrap(lastRunStartedAt)
        container[Columns.nextDueAt] = StorageDate.wrap(nextDueAt)
    }

    /// The job called `name`, through a cached statement.
    static func fetch(_ db: Database, name: String) throws -> JobRecord? {
        try JobRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE name = ?"), arguments: [name])
    }
}
