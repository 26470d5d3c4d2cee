import Glibc

/// Holds SQLite's WAL write lock on a database from outside the daemon, as a second process in a
/// long write transaction does (an operator's `sqlite3` shell after `BEGIN IMMEDIATE`, a backup
/// tool): every write transaction of the daemon then waits in its busy handler.
///
/// The lock is the `fcntl` byte lock SQLite's unix VFS takes for `WAL_WRITE_LOCK`: byte 120 of the
/// `-shm` file (the WAL-index lock area starts at offset 120; the write lock is its slot 0). It is
/// a per-process POSIX lock, so the test process must have no SQLite connection of its own to this
/// database while it holds it (closing any descriptor of the file would drop the lock).
final class SQLiteWriterLock {
    private let descriptor: Int32
    private var held = false

    private static let writeLockOffset: off_t = 120

    /// Opens the `-shm` file of the database at `databasePath` (the daemon must have it open).
    init(databasePath: String) throws {
        descriptor = open(databasePath + "-shm", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemCallFailure(call: "open \(databasePath)-shm", code: errno) }
    }

    /// Takes the write lock, retrying while the daemon holds it (it commits within milliseconds);
    /// `false` if it could not be taken within `timeout`.
    func acquire(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !setLock(type: F_WRLCK) {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        held = true
        return true
    }

    /// Releases the write lock; the daemon's waiting writer proceeds at its next busy retry.
    func release() {
        if held { _ = setLock(type: F_UNLCK) }
        held = false
    }

    deinit {
        release()
        close(descriptor)
    }

    private func setLock(type: Int32) -> Bool {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = Self.writeLockOffset
        lock.l_len = 1
        return fcntl(descriptor, F_SETLK, &lock) == 0
    }
}
