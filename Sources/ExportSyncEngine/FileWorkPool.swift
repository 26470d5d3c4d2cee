import NIOPosix

/// Threads of the engine's own for its blocking file work: the end of every download — `fsync`,
/// `rename`, the directory `fsync` — and, for upload jobs, hashing inbox files and moving them
/// to `done/` or `failed/`. A slow disk or a large file then never blocks the engine's actor or
/// Swift's cooperative pool (two threads on a two-core machine), and many files become durable
/// at once: the file system's journal commits concurrent `fsync`s together.
final class FileWorkPool: Sendable {
    private let pool: NIOThreadPool

    /// Starts `threads` threads; call ``shutdown()`` when done.
    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Completes `commit` on one of the pool's threads. If the pool is shutting down or the task
    /// is cancelled before it ran, the temp file is removed and `CancellationError` thrown: the
    /// run stays `downloading` and is downloaded again after the restart.
    func complete(_ commit: AtomicFileWriter.PendingCommit) async throws -> AtomicFileWriter.Result {
        do {
            return try await pool.runIfActive { () throws(AtomicFileWriter.Failure) -> AtomicFileWriter.Result in
                try commit.complete()
            }
        } catch let failure as AtomicFileWriter.Failure {
            throw failure
        } catch {
            commit.discard()
            throw CancellationError()
        }
    }

    /// Runs blocking file work (hashing a file, moving one with a directory fsync) on one of
    /// the pool's threads. Throws `CancellationError` if the pool is shutting down.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive(work)
        } catch let error as NIOThreadPoolError.ThreadPoolInactive {
            _ = error
            throw CancellationError()
        }
    }

    /// Waits for work in progress and stops the threads.
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
