import Foundation
import GRDB

/// A row of `operations`: one server-side asynchronous operation, identified by the exact
/// `Location` the server gave. Temporary URLs (WebAdMIT `download_url`, Workiva `uploadUrl`)
/// are deliberately absent.
struct OperationRecord: Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "operations"

    var id: Int64?
    /// The run whose kickoff created the operation.
    var runId: Int64
    var location: String
    var xVersion: String?
    var providerExportId: String?
    var providerExportFileId: String?
    /// When to poll next; NULL once the operation is no longer polled.
    var nextPollAt: Date?
    var pollCount: Int
    var lastStatus: String?
    /// JSON `details[]` of a failed Workiva operation.
    var details: String?
    /// JSON `originalRequest` of a failed Workiva operation.
    var originalRequest: String?
    var deadline: Date?
    var createdAt: Date
    var updatedAt: Date

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension OperationRecord {
    /// The columns of `operations`.
    enum Columns {
        static let id = Column("id")
        static let runId = Column("run_id")
        static let location = Column("location")
        static let xVersion = Column("x_version")
        static let providerExportId = Column("provider_export_id")
        static let providerExportFileId = Column("provider_export_file_id")
        static let nextPollAt = Column("next_poll_at")
        static let pollCount = Column("poll_count")
        static let lastStatus = Column("last_status")
        static let details = Column("details")
        static let originalRequest = Column("original_request")
        static let deadline = Column("deadline")
        static let createdAt = Column("created_at")
        static let updatedAt = Column("updated_at")
    }

    /// Decodes by hand, like ``RunRecord``, for fast recovery of large backlogs.
    init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id)
        runId = try row.decode(forColumn: Columns.runId)
        location = try row.decode(forColumn: Columns.location)
        xVersion = try row.decode(forColumn: Columns.xVersion)
        providerExportId = try row.decode(forColumn: Columns.providerExportId)
        providerExportFileId = try row.decode(forColumn: Columns.providerExportFileId)
        nextPollAt = try row.decode(forColumn: Columns.nextPollAt)
        pollCount = try row.decode(forColumn: Columns.pollCount)
        lastStatus = try row.decode(forColumn: Columns.lastStatus)
        details = try row.decode(forColumn: Columns.details)
        originalRequest = try row.decode(forColumn: Columns.originalRequest)
        deadline = try row.decode(forColumn: Columns.deadline)
        createdAt = try row.decode(forColumn: Columns.createdAt)
        updatedAt = try row.decode(forColumn: Columns.updatedAt)
    }

    /// Encodes by hand, dates through ``StorageDate``, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container[Columns.id] = id
        container[Columns.runId] = runId
        container[Columns.location] = location
        container[Columns.xVersion] = xVersion
        container[Columns.providerExportId] = providerExportId
        container[Columns.providerExportFileId] = providerExportFileId
        container[Columns.nextPollAt] = StorageDate.wrap(nextPollAt)
        container[Columns.pollCount] = pollCount
        container[Columns.lastStatus] = lastStatus
        container[Columns.details] = details
        container[Columns.originalRequest] = originalRequest
        container[Columns.deadline] = StorageDate.wrap(deadline)
        container[Columns.createdAt] = StorageDate.wrap(createdAt)
        container[Columns.updatedAt] = StorageDate.wrap(updatedAt)
    }

    /// Writes every column of the row `id` names, through one cached statement (see
    /// ``RunRecord/updateRow(_:)``).
    func updateRow(_ db: Database) throws {
        guard let id else { throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: ["id": .null]) }
        try db.cachedStatement(sql: """
            UPDATE operations SET run_id = ?, location = ?, x_version = ?, provider_export_id = ?, provider_export_file_id = ?,
                next_poll_at = ?, poll_count = ?, last_status = ?, details = ?, original_request = ?, deadline = ?,
                created_at = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [
                runId, location, xVersion, providerExportId, providerExportFileId, StorageDate.wrap(nextPollAt), pollCount,
                lastStatus, details, originalRequest, StorageDate.wrap(deadline), StorageDate.wrap(createdAt),
                StorageDate.wrap(updatedAt), id,
            ])
        if db.changesCount == 0 {
            throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: ["id": id.databaseValue])
        }
    }

    /// The operation with `id`, through a cached statement.
    static func fetch(_ db: Database, id: Int64) throws -> OperationRecord? {
        try OperationRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM operations WHERE id = ?"), arguments: [id])
    }
}
