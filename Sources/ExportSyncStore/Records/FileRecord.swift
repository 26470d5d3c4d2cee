import Foundation
import GRDB

/// A row of `files`: one file written into the output tree. Rows are history (one per write);
/// the latest row for a path (highest id) describes the file now on disk.
struct FileRecord: Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "files"

    var id: Int64?
    /// Relative to the output root.
    var path: String
    var size: Int64
    /// Lower-case hex SHA-256 of the content.
    var sha256: String
    var runId: Int64
    var operationId: Int64?
    var writtenAt: Date
    /// When the daemon removed the file on purpose (a discovery job's `removed = "delete"`).
    var removedAt: Date? = nil

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension FileRecord {
    /// The columns of `files`.
    enum Columns {
        static let id = Column("id")
        static let path = Column("path")
        static let size = Column("size")
        static let sha256 = Column("sha256")
        static let runId = Column("run_id")
        static let operationId = Column("operation_id")
        static let writtenAt = Column("written_at")
        static let removedAt = Column("removed_at")
    }

    /// Decodes by hand, like ``RunRecord``.
    init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id)
        path = try row.decode(forColumn: Columns.path)
        size = try row.decode(forColumn: Columns.size)
        sha256 = try row.decode(forColumn: Columns.sha256)
        runId = try row.decode(forColumn: Columns.runId)
        operationId = try row.decode(forColumn: Columns.operationId)
        writtenAt = try row.decode(forColumn: Columns.writtenAt)
        removedAt = try row.decode(forColumn: Columns.removedAt)
    }

    /// Encodes by hand, dates through ``StorageDate``, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container[Columns.id] = id
        container[Columns.path] = path
        container[Columns.size] = size
        container[Columns.sha256] = sha256
        container[Columns.runId] = runId
        container[Columns.operationId] = operationId
        container[Columns.writtenAt] = StorageDate.wrap(writtenAt)
        container[Columns.removedAt] = StorageDate.wrap(removedAt)
    }
}
