#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where log entries should go, as chosen on the command line (`--log-target auto|journal|stderr`).
public enum LogTarget: String, Sendable, Hashable, CaseIterable {
    /// journald when stderr is connected to the journal and its socket exists, else stderr.
    case auto
    /// Always journald's native socket (entries it cannot take still reach stderr).
    case journal
    /// Always `<N>`-prefixed lines on stderr.
    case stderr

    /// Decides where entries go.
    ///
    /// For ``auto``: the journal when `$JOURNAL_STREAM` (`<device>:<inode>`, set by systemd for
    /// `StandardError=journal`) names the very file stderr is (checked with `fstat(2)`, so a
    /// variable inherited by a child whose stderr was redirected does not count) **and**
    /// `journalSocketPath` is a socket. Otherwise stderr.
    ///
    /// - Parameters:
    ///   - environment: Where `JOURNAL_STREAM` is read from.
    ///   - journalSocketPath: journald's native socket.
    ///   - standardErrorDescriptor: The descriptor to compare with `JOURNAL_STREAM` (2 unless testing).
    public func resolve(
        environment: [String: String],
        journalSocketPath: String = JournalConnection.defaultSocketPath,
        standardErrorDescriptor: Int32 = 2
    ) -> LogDestination {
        switch self {
        case .journal: return .journal
        case .stderr: return .stderr
        case .auto:
            guard let stream = environment["JOURNAL_STREAM"],
                  let identity = FileIdentity(descriptor: standardErrorDescriptor),
                  identity.matches(journalStream: stream),
                  Self.isSocket(atPath: journalSocketPath)
            else { return .stderr }
            return .journal
        }
    }

    private static func isSocket(atPath path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFSOCK
    }
}

/// Where log entries go after ``LogTarget/resolve(environment:journalSocketPath:standardErrorDescriptor:)``.
public enum LogDestination: String, Sendable, Hashable {
    /// journald's native protocol (``JournaldLogHandler``).
    case journal
    /// `<N>`-prefixed lines on stderr (``StderrLogHandler``).
    case stderr
}

/// The device and inode of an open file, as `$JOURNAL_STREAM` spells them.
struct FileIdentity: Sendable, Hashable {
    let device: UInt64
    let inode: UInt64

    init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of the file behind `descriptor`, or `nil` if it is not open.
    init?(descriptor: Int32) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// Whether `journalStream` (`"<device>:<inode>"`, both decimal) names this file.
    func matches(journalStream: String) -> Bool {
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        return device == self.device && inode == self.inode
    }
}
