import Foundation
import GRDB

/// A row of `files`: one file written into the output tree. Rows are history (one per write);
/// the latest row for a path (highest id) describes the file now on disk.
struct FileRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "files"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    /// Relative to the output root.
    var path: String
    var size: Int64
    /// Lower-case hex SHA-256 of the content.
    var sha256: String
    var runId: Int64
    var operationId: Int64?
    var writtenAt: Date

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension FileRecord {
    /// Encodes by hand, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["path"] = path
        container["size"] = size
        container["sha256"] = sha256
        container["run_id"] = runId
        container["operation_id"] = operationId
        container["written_at"] = StorageDate.wrap(writtenAt)
    }
}
