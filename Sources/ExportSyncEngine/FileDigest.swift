public import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// The SHA-256 of what the daemon writes and reads back (delivered files, `verify`, removals,
/// upload inboxes), in the one lower-case hex form the database records.
public enum FileDigest {
    /// What a descriptor read to its end held.
    public struct Measured: Sendable, Hashable {
        public var size: Int64
        public var sha256: String
    }

    /// A read's `errno`.
    public struct ReadError: Error, Sendable, Hashable {
        public let code: Int32
    }

    /// Lower-case hex of `digest`.
    public static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }

    /// Reads `descriptor` from its offset to its end: how many bytes, and their SHA-256.
    public static func sha256(of descriptor: Int32) -> Result<Measured, ReadError> {
        var hasher = SHA256()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadError(code: errno))
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            size += Int64(count)
        }
        return .success(Measured(size: size, sha256: hex(hasher.finalize())))
    }
}
