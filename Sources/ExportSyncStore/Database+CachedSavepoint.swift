import GRDB

extension Database {
    /// Runs `body` in a savepoint of the transaction under way, as GRDB's `inSavepoint` does,
    /// but through cached `SAVEPOINT` / `RELEASE` / `ROLLBACK TO` statements. GRDB's own
    /// compiles them anew on every call (two `sqlite3_prepare`s and their authorizer callbacks
    /// per write): with group commit that was 10 of the 13 statements prepared per run.
    ///
    /// `body` throwing rolls back its writes alone and rethrows. Should SQLite have aborted the
    /// whole transaction meanwhile, or should the rollback to the savepoint itself fail, the
    /// transaction is rolled back entirely and a `DatabaseError` is thrown with
    /// ``isInsideTransaction`` false; should even that rollback fail, ``SavepointRollbackFailed``
    /// is thrown with the transaction still open, and the caller must not commit it. Nothing of
    /// a failed `body` is ever committed with the rest.
    ///
    /// Meant for GRDB's transaction blocks (`write`), which also keep a statement from running in
    /// autocommit mode after SQLite aborted the transaction; GRDB's `inSavepoint` sets that guard
    /// itself, this does not. Outside a transaction this is GRDB's `inSavepoint` (which opens one).
    func inCachedSavepoint<T>(_ body: () throws -> T) throws -> T {
        guard isInsideTransaction else {
            var value: T?
            try inSavepoint {
                value = try body()
                return .commit
            }
            guard let value else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "savepoint ended without a value") }
            return value
        }
        try cachedStatement(sql: "SAVEPOINT exportsync").execute()
        let value: T
        do {
            value = try body()
        } catch {
            try rollBackCachedSavepoint(after: error)
            throw error
        }
        guard isInsideTransaction else {
            // Statements of `body` made SQLite abort the transaction without throwing here.
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted")
        }
        do {
            try cachedStatement(sql: "RELEASE SAVEPOINT exportsync").execute()
        } catch {
            try rollBackCachedSavepoint(after: error)
            throw error
        }
        return value
    }

    /// Undoes the savepoint's writes after `error`; if that is impossible, the whole transaction.
    private func rollBackCachedSavepoint(after error: any Error) throws {
        guard isInsideTransaction else { return }  // SQLite already rolled everything back.
        do {
            try cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT exportsync").execute()
            try cachedStatement(sql: "RELEASE SAVEPOINT exportsync").execute()
        } catch {
            // The savepoint's writes could not be undone alone: none of the transaction's are kept.
            try? rollback()
            if isInsideTransaction { throw SavepointRollbackFailed(cause: error) }
            throw (error as? DatabaseError) ?? DatabaseError(resultCode: .SQLITE_ABORT, message: "\(error)")
        }
    }
}

/// A failed write's savepoint could be rolled back neither alone nor with its whole transaction:
/// the transaction is still open and holds the failed write, so it must not be committed.
struct SavepointRollbackFailed: Error {
    let cause: any Error
}
