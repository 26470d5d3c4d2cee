import ExportSyncCore
import Foundation
import GRDB

/// A row of `file_hooks`: the delivery hook of one recorded file, from pending to its end.
struct FileHookRecord: Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "file_hooks"

    var id: Int64?
    var fileId: Int64
    var state: HookState
    /// Attempts that ended.
    var attempts: Int
    /// When it runs (first or again); set exactly while pending.
    var nextAttemptAt: Date?
    var lastError: String?
    var createdAt: Date
    var updatedAt: Date
    var finishedAt: Date?

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension FileHookRecord {
    /// The columns of `file_hooks`.
    enum Columns {
        static let id = Column("id")
        static let fileId = Column("file_id")
        static let state = Column("state")
        static let attempts = Column("attempts")
        static let nextAttemptAt = Column("next_attempt_at")
        static let lastError = Column("last_error")
        static let createdAt = Column("created_at")
        static let updatedAt = Column("updated_at")
        static let finishedAt = Column("finished_at")
    }

    /// Decodes by hand, like ``RunRecord``.
    init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id)
        fileId = try row.decode(forColumn: Columns.fileId)
        guard let state = HookState(rawValue: try row.decode(forColumn: Columns.state)) else {
            throw StateStoreError.inconsistentRun(runID: 0, detail: "file hook \(id ?? 0) has an unknown state")
        }
        self.state = state
        attempts = try row.decode(forColumn: Columns.attempts)
        nextAttemptAt = try row.decode(forColumn: Columns.nextAttemptAt)
        lastError = try row.decode(forColumn: Columns.lastError)
        createdAt = try row.decode(forColumn: Columns.createdAt)
        updatedAt = try row.decode(forColumn: Columns.updatedAt)
        finishedAt = try row.decode(forColumn: Columns.finishedAt)
    }

    /// Encodes by hand, dates through ``StorageDate``, like ``RunRecord``.
    func encode(to container: inout PersistenceContainer) {
        container[Columns.id] = id
        container[Columns.fileId] = fileId
        container[Columns.state] = state.rawValue
        container[Columns.attempts] = attempts
        container[Columns.nextAttemptAt] = StorageDate.wrap(nextAttemptAt)
        container[Columns.lastError] = lastError
        container[Columns.createdAt] = StorageDate.wrap(createdAt)
        container[Columns.updatedAt] = StorageDate.wrap(updatedAt)
        container[Columns.finishedAt] = StorageDate.wrap(finishedAt)
    }
}
