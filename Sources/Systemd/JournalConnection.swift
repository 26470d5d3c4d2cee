#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSystemd

/// A client of journald's native socket, shared by every ``JournaldLogHandler`` of a process.
///
/// An entry goes out as one datagram. If it is too large for a datagram (`EMSGSIZE`/`ENOBUFS`),
/// it is written to a sealed memfd whose descriptor is passed with `SCM_RIGHTS`, as libsystemd's
/// `sd_journal_sendv` does. A send blocks at most `sendTimeout` when journald's queue is full.
/// Unlike `sd_journal_sendv`, a missing socket is an error, so callers can fall back to stderr.
public final class JournalConnection: Sendable {
    /// Where journald listens for native-protocol datagrams.
    public static let defaultSocketPath = "/run/systemd/journal/socket"

    /// The socket path entries are sent to.
    public let socketPath: String
    private let endpoint: Result<(socket: UnixDatagramSocket, address: UnixSocketAddress), SystemCallError>

    /// Opens a datagram socket for `socketPath`. Never fails here: problems surface as send errors.
    ///
    /// - Parameters:
    ///   - socketPath: journald's socket, or a test listener's.
    ///   - sendTimeout: The longest one entry may block the logging thread.
    public init(socketPath: String = JournalConnection.defaultSocketPath, sendTimeout: Duration = .milliseconds(100)) {
        self.socketPath = socketPath
        do {
            let address = try UnixSocketAddress(parsing: socketPath)
            let socket = try UnixDatagramSocket(
                sendTimeout: sendTimeout,
                sendBufferBytes: UnixDatagramSocket.preferredSendBufferBytes
            )
            self.endpoint = .success((socket, address))
        } catch let error as SystemCallError {
            self.endpoint = .failure(error)
        } catch {
            self.endpoint = .failure(SystemCallError(call: "sockaddr_un(\(socketPath))", code: EINVAL))
        }
    }

    /// Sends one encoded entry, through a memfd if it is too large for a datagram.
    func send(_ payload: [UInt8]) throws(SystemCallError) {
        let (socket, address) = try self.endpoint.get()
        do {
            try socket.send(payload, to: address)
        } catch where error.code == EMSGSIZE || error.code == ENOBUFS {
            try Self.sendThroughMemfd(payload, socket: socket, address: address)
        }
    }

    private static func sendThroughMemfd(
        _ payload: [UInt8],
        socket: UnixDatagramSocket,
        address: UnixSocketAddress
    ) throws(SystemCallError) {
        let memfd = exportsync_memfd_create_sealable("journal-entry")
        guard memfd >= 0 else { throw .lastError("memfd_create") }
        defer { close(memfd) }

        var failure: SystemCallError?
        payload.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(memfd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = .lastError("write(memfd)")
                    return
                }
                offset += written
            }
        }
        if let failure { throw failure }
        // journald only accepts a memfd that can no longer change under it.
        guard exportsync_memfd_seal(memfd) == 0 else { throw .lastError("fcntl(F_ADD_SEALS)") }
        try socket.send(fileDescriptor: memfd, to: address)
    }
}
