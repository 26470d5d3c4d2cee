import Foundation
import GRDB

/// A row of `operations`: one server-side asynchronous operation, identified by the exact
/// `Location` the server gave. Temporary URLs (WebAdMIT `download_url`, Workiva `uploadUrl`)
/// are deliberately absent.
struct OperationRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "operations"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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
    /// Decodes by hand, like ``RunRecord``, for fast recovery of large backlogs.
    init(row: Row) {
        id = row["id"]
        runId = row["run_id"]
        location = row["location"]
        xVersion = row["x_version"]
        providerExportId = row["provider_export_id"]
        providerExportFileId = row["provider_export_file_id"]
        nextPollAt = row["next_poll_at"]
        pollCount = row["poll_count"]
        lastStatus = row["last_status"]
        details = row["details"]
        originalRequest = row["original_request"]
        deadline = row["deadline"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
    }
}

extension OperationRecord {
    /// Encodes by hand, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["run_id"] = runId
        container["location"] = location
        container["x_version"] = xVersion
        container["provider_export_id"] = providerExportId
        container["provider_export_file_id"] = providerExportFileId
        container["next_poll_at"] = StorageDate.wrap(nextPollAt)
        container["poll_count"] = pollCount
        container["last_status"] = lastStatus
        container["details"] = details
        container["original_request"] = originalRequest
        container["deadline"] = StorageDate.wrap(deadline)
        container["created_at"] = StorageDate.wrap(createdAt)
        container["updated_at"] = StorageDate.wrap(updatedAt)
    }

    /// The operation with `id`, through a cached statement.
    static func fetch(_ db: Database, id: Int64) throws -> OperationRecord? {
        try OperationRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM operations WHERE id = ?"), arguments: [id])
    }
}
