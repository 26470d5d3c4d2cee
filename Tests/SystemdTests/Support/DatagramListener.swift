import CSystemd
import Glibc
import Testing

/// A real `AF_UNIX`/`SOCK_DGRAM` socket bound in a fresh temporary directory or under an abstract
/// name, standing in for systemd's notify socket or journald's native socket.
final class DatagramListener {
    struct Datagram {
        var payload: [UInt8]
        /// A descriptor passed with `SCM_RIGHTS`, owned by the test (closed by `close()`).
        var passedDescriptor: Int32?

        var text: String { String(decoding: self.payload, as: UTF8.self) }
    }

    let descriptor: Int32
    /// What to put in `NOTIFY_SOCKET` or pass as a socket path: `/tmp/…/socket` or `@name`.
    let address: String
    private let directory: String?

    /// Binds a socket file in a new temporary directory.
    convenience init() throws {
        let directory = try TemporaryDirectory.make()
        try self.init(address: directory + "/socket", directory: directory)
    }

    /// Binds an abstract socket, by default under a unique name.
    static func abstract(named name: String? = nil) throws -> DatagramListener {
        let address = name ?? "@exportsync-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        return try DatagramListener(address: address, directory: nil)
    }

    private init(address: String, directory: String?) throws {
        self.address = address
        self.directory = directory
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ListenerError.systemCall("socket", errno) }
        self.descriptor = descriptor

        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        let isAbstract = bytes.first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = 2 + bytes.count + (isAbstract ? 0 : 1)
        let result = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(length)) }
        }
        guard result == 0 else {
            close(descriptor)
            throw ListenerError.systemCall("bind", errno)
        }
    }

    deinit {
        close(self.descriptor)
        if let directory {
            unlink(directory + "/socket")
            rmdir(directory)
        }
    }

    /// The next datagram, waiting at most `timeoutMilliseconds`; `nil` if none came.
    func receive(timeoutMilliseconds: Int32 = 2_000, capacity: Int = 1 << 20) throws -> Datagram? {
        var pollDescriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pollDescriptor, 1, timeoutMilliseconds)
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: capacity)
        var passed: Int32 = -1
        let count = buffer.withUnsafeMutableBytes { raw in
            exportsync_receive_with_fd(self.descriptor, raw.baseAddress, raw.count, &passed)
        }
        guard count >= 0 else { throw ListenerError.systemCall("recvmsg", errno) }
        return Datagram(payload: Array(buffer.prefix(count)), passedDescriptor: passed >= 0 ? passed : nil)
    }

    /// The next datagram as text; fails the test if none arrives.
    func receiveText(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let datagram = try #require(try self.receive(), "expected a datagram", sourceLocation: sourceLocation)
        return datagram.text
    }

    /// Whether a datagram is waiting right now. Unix datagram sends are delivered before `sendto`
    /// returns, so "nothing waiting" right after a call means the call sent nothing.
    func hasPendingDatagram() -> Bool {
        var pollDescriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&pollDescriptor, 1, 0) > 0
    }
}

enum ListenerError: Error {
    case systemCall(String, Int32)
}

enum TemporaryDirectory {
    /// A new directory under /tmp (short, so socket paths fit in `sun_path`).
    static func make() throws -> String {
        var template = Array("/tmp/exportsync-systemd-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard created else { throw ListenerError.systemCall("mkdtemp", errno) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Reads everything from `descriptor` from offset 0.
func readAll(descriptor: Int32) -> [UInt8] {
    lseek(descriptor, 0, SEEK_SET)
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        result.append(contentsOf: chunk.prefix(count))
    }
    return result
}
