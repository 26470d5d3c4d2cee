import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Removes a file the daemon delivered, only while it is still that file, without following a
/// symbolic link anywhere on the way (`removed = "delete"`).
///
/// Each directory below the output root is opened with `O_NOFOLLOW | O_DIRECTORY` from the one
/// above it, so a directory swapped for a link to elsewhere stops the walk instead of leading
/// out of the tree. The file is opened the same way, checked (regular, same size, same SHA-256
/// read through that descriptor), and unlinked from its directory's descriptor only if the
/// name still names the inode that was checked; the directory is then fsynced. (A rename over
/// the name between that last check and the unlink cannot be excluded; the output tree is the
/// daemon's own.)
enum DeliveredFileRemoval {
    /// What happened to the file at a path.
    enum Outcome: Equatable {
        /// Nothing is at the path (or a directory on the way is missing).
        case alreadyGone
        /// The file was the delivered one and is removed.
        case removed
        /// Something else is there now (another file, a link, a directory): left alone.
        case replaced
        /// The check or the removal failed with `errno`; tried again later.
        case failed(Int32)
    }

    /// Removes `relative` under `root` if it is a regular file of `size` bytes with `sha256`.
    static func remove(relative: String, under root: String, size: Int64, sha256: String) -> Outcome {
        let components = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let name = components.last, !components.contains(".."), !components.contains(".") else { return .replaced }
        // A missing output root (an unmounted disk) is a failure, tried again: not "gone".
        var directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return .failed(errno) }
        defer { close(directory) }
        for component in components.dropLast() {
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return Self.outcome(ofFailedOpen: errno) }
            close(directory)
            directory = next
        }
        let file = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { return Self.outcome(ofFailedOpen: errno) }
        var opened = stat()
        guard fstat(file, &opened) == 0 else {
            let code = errno
            close(file)
            return .failed(code)
        }
        guard opened.st_mode & S_IFMT == S_IFREG, Int64(opened.st_size) == size else {
            close(file)
            return .replaced
        }
        let digest = FileDigest.sha256(of: file)
        close(file)
        let hashed: String
        switch digest {
        case .success(let measured): hashed = measured.sha256
        case .failure(let error): return .failed(error.code)
        }
        guard hashed == sha256 else { return .replaced }
        // The name must still be the inode just read: a rename over it meanwhile is not ours.
        var current = stat()
        guard fstatat(directory, name, &current, AT_SYMLINK_NOFOLLOW) == 0 else {
            return errno == ENOENT ? .alreadyGone : .failed(errno)
        }
        guard current.st_dev == opened.st_dev, current.st_ino == opened.st_ino else { return .replaced }
        guard unlinkat(directory, name, 0) == 0 else { return errno == ENOENT ? .alreadyGone : .failed(errno) }
        _ = fsync(directory)
        return .removed
    }

    /// What a failed `openat` on the way means: nothing there, something else there (a link,
    /// a non-directory, a socket or FIFO without a reader), or a failure to retry.
    private static func outcome(ofFailedOpen code: Int32) -> Outcome {
        switch code {
        case ENOENT: .alreadyGone
        case ELOOP, ENOTDIR, ENXIO: .replaced
        default: .failed(code)
        }
    }
}
