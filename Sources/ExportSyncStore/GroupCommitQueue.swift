import GRDB
import Synchronization

/// Group commit for the state database: transitions requested while a commit is under way wait
/// for it and then share the next transaction, so many concurrent steps cost one `fsync`
/// instead of one each.
///
/// Each request runs in a savepoint of its own inside the shared transaction: one that throws
/// (an illegal transition, a constraint) is rolled back alone and the others commit. A caller
/// is answered only after the transaction holding its writes has committed — with
/// `synchronous=FULL`, after it is on disk — so "persisted before the next step" holds exactly
/// as with a transaction per step. Should one request's write make SQLite abort the shared
/// transaction, nothing of the batch is kept and every request is tried again in a transaction of
/// its own, so one bad write cannot fail its neighbours; should BEGIN or COMMIT itself fail, every
/// request of the batch gets that error at once.
///
/// Under no load a batch holds one request and costs what a plain `pool.write` does.
final class GroupCommitQueue: Sendable {
    /// How many commits carried how many requests (for benchmarks and `once`'s summary).
    struct Statistics: Sendable, Hashable {
        /// Transactions committed.
        var transactions = 0
        /// Requests committed (each a state transition or bookkeeping write).
        var writes = 0
    }

    /// A queued request. `perform` runs it inside the shared transaction and returns how to answer
    /// its caller once that transaction has ended; it throws only when SQLite aborted the whole
    /// transaction. `fail` answers the caller when its write could not be made at all.
    private struct PendingWrite: Sendable {
        let perform: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// A request's own write made SQLite abort the shared transaction.
    private struct TransactionAborted: Error {
        let cause: DatabaseError
    }

    private struct State {
        var pending: [PendingWrite] = []
        var draining = false
        var statistics = Statistics()
    }

    private let pool: DatabasePool
    private let maximumBatch: Int
    private let state = Mutex(State())

    /// Creates a queue writing through `pool`'s writer, at most `maximumBatch` requests a transaction.
    init(pool: DatabasePool, maximumBatch: Int = 256) {
        self.pool = pool
        self.maximumBatch = max(1, maximumBatch)
    }

    /// What has been committed so far.
    var statistics: Statistics { state.withLock { $0.statistics } }

    /// Runs `body` in the next shared write transaction and returns its result once that
    /// transaction has committed. Errors `body` throws reach the caller; its writes are undone.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let request = PendingWrite(
                perform: { db in
                    do {
                        let value = try db.inCachedSavepoint { try body(db) }
                        return { continuation.resume(returning: value) }
                    } catch let error as DatabaseError where !db.isInsideTransaction {
                        // SQLite rolled back the shared transaction: the batch is retried.
                        throw TransactionAborted(cause: error)
                    } catch let error as SavepointRollbackFailed {
                        // The transaction holds a failed write it cannot undo: it is not committed.
                        throw error
                    } catch {
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { error in continuation.resume(throwing: error) })
            enqueue(request)
        }
    }

    private func enqueue(_ request: PendingWrite) {
        let startDraining = state.withLock { state -> Bool in
            state.pending.append(request)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        if startDraining {
            // Detached from the caller on purpose: a write that was requested is finished even
            // if the task that asked for it is cancelled meanwhile.
            Task { await self.drain() }
        }
    }

    /// Commits batches until no request is waiting.
    private func drain() async {
        while let batch = nextBatch() {
            await commit(batch)
        }
    }

    private func nextBatch() -> [PendingWrite]? {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.draining = false
                return nil
            }
            let count = min(maximumBatch, state.pending.count)
            let batch = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            return batch
        }
    }

    private func commit(_ batch: [PendingWrite]) async {
        do {
            let answers = try await pool.write { db in try batch.map { try $0.perform(db) } }
            state.withLock { state in
                state.statistics.transactions += 1
                state.statistics.writes += batch.count
            }
            for answer in answers { answer() }
        } catch let aborted as TransactionAborted {
            // One request's write took the others down with it: each is tried alone, so only
            // that one fails.
            guard batch.count > 1 else {
                batch.first?.fail(aborted.cause)
                return
            }
            for request in batch { await commit([request]) }
        } catch {
            // BEGIN or COMMIT failed (the database is locked by another process past the busy
            // timeout, the disk is full): no request of the batch was written, and trying them
            // one by one would only repeat the wait. Every caller gets the error.
            for request in batch { request.fail(error) }
        }
    }
}
