#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An `AF_UNIX` socket address: a filesystem path, or an abstract name (Linux).
///
/// `NOTIFY_SOCKET` spells abstract names with a leading `@`; the kernel wants a leading NUL byte
/// and an address length that covers exactly the name (no trailing NUL), so the two kinds differ
/// in how `socklen_t` is computed.
struct UnixSocketAddress: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case path
        case abstract
    }

    /// Why a string cannot be a Unix socket address.
    enum ParseError: Error, Equatable {
        case empty
        case notAbsolute
        case tooLong(maximumBytes: Int)
        case containsNUL
    }

    let kind: Kind
    /// The path, or the abstract name without its `@`/NUL marker, as raw bytes.
    let name: [UInt8]

    /// The longest `sun_path` content: 108 bytes on Linux.
    static let sunPathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// Parses `NOTIFY_SOCKET`-style text: an absolute path, or `@name` for an abstract socket.
    init(parsing text: String) throws(ParseError) {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { throw .empty }
        guard !bytes.contains(0) else { throw .containsNUL }
        switch first {
        case UInt8(ascii: "@"):
            let name = Array(bytes.dropFirst())
            guard !name.isEmpty else { throw .empty }
            // One byte of sun_path holds the leading NUL.
            guard name.count <= Self.sunPathCapacity - 1 else {
                throw .tooLong(maximumBytes: Self.sunPathCapacity - 1)
            }
            self.init(kind: .abstract, name: name)
        case UInt8(ascii: "/"):
            // A path needs its terminating NUL inside sun_path.
            guard bytes.count <= Self.sunPathCapacity - 1 else {
                throw .tooLong(maximumBytes: Self.sunPathCapacity - 1)
            }
            self.init(kind: .path, name: bytes)
        default:
            throw .notAbsolute
        }
    }

    private init(kind: Kind, name: [UInt8]) {
        self.kind = kind
        self.name = name
    }

    var description: String {
        let text = String(decoding: self.name, as: UTF8.self)
        return self.kind == .abstract ? "@" + text : text
    }

    /// Calls `body` with a `sockaddr` pointer and the exact length to pass to `sendto`/`bind`.
    func withSocketAddress<Result>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result
    ) rethrows -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let length: Int
        switch self.kind {
        case .path:
            length = pathOffset + self.name.count + 1
        case .abstract:
            length = pathOffset + 1 + self.name.count
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            let start = self.kind == .abstract ? 1 : 0
            for (index, byte) in self.name.enumerated() {
                raw[start + index] = byte
            }
        }
        return try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                try body(socketAddress, socklen_t(length))
            }
        }
    }
}
