import Foundation
import GRDB

/// A row of `uploads`: one local file sent (or being sent) to Workiva, keyed by the SHA-256 of
/// its content so the same bytes are never uploaded twice. The temporary `uploadUrl` is never
/// stored.
struct UploadRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "uploads"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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
