import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `mkdir -p` that fails with the system's own reason (`Not a directory`, `Permission denied`,
/// `Read-only file system`), not Foundation's "Unknown error 642".
public enum DirectoryCreation {
    /// Why a directory could not be created: the path that failed and its errno.
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let code: Int32
        public var description: String { "\(path): \(String(cString: strerror(code)))" }
    }

    /// Creates `path` and its missing parents (mode 0777 before the umask); an existing
    /// directory is fine, anything else in the way is a failure.
    public static func makeDirectories(atPath path: String) throws(Failure) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o777) == 0 { continue }
            let code = errno
            var info = stat()
            if stat(prefix, &info) == 0 {
                if info.st_mode & S_IFMT == S_IFDIR { continue }
                throw Failure(path: prefix, code: ENOTDIR)
            }
            throw Failure(path: prefix, code: code)
        }
    }
}
