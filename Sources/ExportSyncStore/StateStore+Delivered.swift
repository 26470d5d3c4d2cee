import GRDB

/// A file the daemon delivered, as `exportsync verify` checks it: the latest record of its path
/// and the job whose run wrote it.
public struct DeliveredFile: Sendable, Hashable {
    /// The job of the run that wrote the file.
    public var job: String
    /// The latest record of the path (the file that should be on disk now).
    public var file: StoredFile
}

extension StateStore {
    /// The latest record of every path in `files` (rows are history, one per write; the highest
    /// id describes the file now on disk), with its job, by path; a path whose latest file the
    /// daemon removed on purpose (a discovery job's `removed = "delete"`) is left out. One read transaction; the
    /// `files_by_path` index answers the grouping.
    public func deliveredFiles() async throws -> [DeliveredFile] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT files.*, runs.job AS run_job
                FROM files JOIN runs ON runs.id = files.run_id
                WHERE files.id IN (SELECT MAX(id) FROM files GROUP BY path) AND files.removed_at IS NULL
                ORDER BY files.path
                """)
            return try rows.map { row in
                let record = try FileRecord(row: row)
                let job: String = try row.decode(forColumn: Column("run_job"))
                return DeliveredFile(job: job, file: StoredFile(record, id: try Self.id(of: record)))
            }
        }
    }
}
