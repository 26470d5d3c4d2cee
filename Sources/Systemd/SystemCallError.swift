#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: which one, and the `errno` it set.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name of the call that failed, such as `"sendto"`.
    public let call: String
    /// The `errno` value the call left.
    public let code: Int32

    /// Creates an error for `call` with `code` (an `errno` value).
    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// Captures the current `errno` for `call`.
    static func lastError(_ call: String) -> SystemCallError {
        SystemCallError(call: call, code: errno)
    }

    public var description: String {
        "\(self.call): \(String(cString: strerror(self.code))) (errno \(self.code))"
    }
}
