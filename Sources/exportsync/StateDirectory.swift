import ExportSyncCore
import ExportSyncEngine
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The daemon's claim on its state directory: the directory created private (0700), and an
/// exclusive `flock` on `exportsync.lock` inside it for as long as the process lives, so two
/// `run`/`once` processes never drive one database (each would kick off the other's runs). The
/// lock file holds the holder's pid for the message the second process prints. `status` and
/// `validate` never take it.
///
/// The kernel drops the lock when the process exits, however it exits (`kill -9` included): a
/// stale lock file never blocks a restart.
final class StateDirectoryLock: Sendable {
    /// Why the state directory could not be claimed.
    enum Failure: Error, CustomStringConvertible {
        /// Another process holds the lock.
        case held(directory: String, pid: Int32?)
        /// The directory or the lock file could not be created or locked.
        case system(what: String, path: String, errno: Int32)

        var description: String {
            switch self {
            case .held(let directory, let pid):
                let holder = pid.map { "another exportsync process (pid \($0))" } ?? "another exportsync process"
                return "\(holder) is using the state directory \(directory); only one run or once may use it at a time "
                    + "(exportsync status works alongside it)"
            case .system(let what, let path, let code):
                return "cannot \(what) \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    static let fileName = "exportsync.lock"

    private let descriptor: Int32

    /// Creates `directory` (and missing parents) with mode 0700 whatever the umask, then takes
    /// the lock without waiting.
    init(directory: String) throws(Failure) {
        // Files created while the umask is 077 are private: the directory, and (see
        // ``privateFiles(_:)``) the database and its -wal/-shm, whose modes SQLite copies.
        let previous = umask(0o077)
        defer { umask(previous) }
        do {
            try DirectoryCreation.makeDirectories(atPath: directory)
        } catch {
            throw .system(what: "create the state directory", path: error.path, errno: error.code)
        }
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .system(what: "open the lock file", path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.pid(in: fd)
            close(fd)
            if code == EWOULDBLOCK { throw .held(directory: directory, pid: holder) }
            throw .system(what: "lock", path: path, errno: code)
        }
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        descriptor = fd
    }

    /// Runs `body` with the umask at 077, so the database files it creates are 0600; then makes
    /// files that already existed (created by an older version) private too.
    func privateFiles<T>(_ paths: [String], _ body: () throws -> T) rethrows -> T {
        let previous = umask(0o077)
        defer {
            umask(previous)
            for path in paths { _ = chmod(path, 0o600) }
        }
        return try body()
    }

    deinit {
        close(descriptor)
    }

    /// The pid of the process holding the lock of `directory` now, or `nil` when none holds it
    /// (or it cannot be told for sure). Never takes the lock, even briefly: a daemon starting at
    /// that instant would fail. The pid the lock file holds may be stale (a holder that died
    /// leaves it); it counts only when `/proc/locks` shows that very process holding an
    /// exclusive `flock` on a file with the lock file's inode. (The device is not compared: on
    /// btrfs and overlayfs `stat` and `/proc/locks` number it differently.)
    static func holder(directory: String) -> Int32? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        var status = stat()
        guard stat(path, &status) == 0, let locks = readWhole("/proc/locks") else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        let written = Self.pid(in: fd)
        close(fd)
        guard let written else { return nil }
        return ProcLocks.exclusiveFlockHolders(locks, inode: UInt64(status.st_ino)).contains(written) ? written : nil
    }

    /// A file read to its end with `read(2)`: procfs files report size 0, and reading them by
    /// their size gets a first page at most.
    private static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes.append(contentsOf: buffer.prefix(count))
        }
    }

    private static func pid(in fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
