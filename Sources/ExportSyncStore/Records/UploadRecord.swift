import Foundation
import GRDB

/// A row of `uploads`: one local file sent (or being sent) to Workiva, keyed by the SHA-256 of
/// its content so the same bytes are never uploaded twice. The temporary `uploadUrl` is never
/// stored.
struct UploadRecord: Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "uploads"

    var id: Int64?
    var sha256: String
    var sourcePath: String
    var runId: Int64?
    var operationId: Int64?
    /// `pending`, `uploaded`, `confirmed` or `failed`.
    var state: String
    var createdAt: Date
    var updatedAt: Date

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension UploadRecord {
    /// The columns of `uploads`.
    enum Columns {
        static let id = Column("id")
        static let sha256 = Column("sha256")
        static let sourcePath = Column("source_path")
        static let runId = Column("run_id")
        static let operationId = Column("operation_id")
        static let state = Column("state")
        static let createdAt = Column("created_at")
        static let updatedAt = Column("updated_at")
    }

    /// The run that carries the content (`uploads.run_id`).
    static let run = belongsTo(RunRecord.self, using: ForeignKey([Columns.runId]))

    /// Decodes by hand, like ``RunRecord``.
    init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id)
        sha256 = try row.decode(forColumn: Columns.sha256)
        sourcePath = try row.decode(forColumn: Columns.sourcePath)
        runId = try row.decode(forColumn: Columns.runId)
        operationId = try row.decode(forColumn: Columns.operationId)
        state = try row.decode(forColumn: Columns.state)
        createdAt = try row.decode(forColumn: Columns.createdAt)
        updatedAt = try row.decode(forColumn: Columns.updatedAt)
    }

    /// Encodes by hand, dates through ``StorageDate``, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container[Columns.id] = id
        container[Columns.sha256] = sha256
        container[Columns.sourcePath] = sourcePath
        container[Columns.runId] = runId
        container[Columns.operationId] = operationId
        container[Columns.state] = state
        container[Columns.createdAt] = StorageDate.wrap(createdAt)
        container[Columns.updatedAt] = StorageDate.wrap(updatedAt)
    }
}
