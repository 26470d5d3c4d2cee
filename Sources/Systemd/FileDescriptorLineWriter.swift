#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Writes whole lines to a file descriptor it does not own (stderr by default).
///
/// One `write(2)` per line where possible, and a lock so lines from different threads never
/// interleave. Write errors are ignored: a logger has nowhere left to report them.
public final class FileDescriptorLineWriter: Sendable {
    /// A writer for the process's standard error (descriptor 2).
    public static var standardError: FileDescriptorLineWriter { FileDescriptorLineWriter(fileDescriptor: 2) }

    /// The descriptor lines are written to.
    public let fileDescriptor: Int32
    private let lock = Mutex(())

    /// Creates a writer for `fileDescriptor`; the caller keeps it open for the writer's lifetime.
    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// Writes `line` (which should end in a newline) completely, or until a write fails.
    public func write(_ line: String) {
        var bytes = Array(line.utf8)
        self.lock.withLock { _ in
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = writeToDescriptor(self.fileDescriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}

/// `write(2)`, named apart from ``FileDescriptorLineWriter/write(_:)``.
private func writeToDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
