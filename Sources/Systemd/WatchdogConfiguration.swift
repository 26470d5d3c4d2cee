#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The service watchdog systemd armed for this process (`WatchdogSec=`), read from
/// `$WATCHDOG_USEC` and `$WATCHDOG_PID` with the rules of `sd_watchdog_enabled(3)`.
public struct WatchdogConfiguration: Sendable, Hashable {
    /// Why `WATCHDOG_USEC`/`WATCHDOG_PID` could not be understood.
    public enum ParseError: Error, Sendable, Hashable {
        /// `WATCHDOG_USEC` is not a positive decimal integer.
        case invalidTimeout(String)
        /// `WATCHDOG_PID` is not a positive decimal integer.
        case invalidProcessID(String)
    }

    /// How long systemd waits for a `WATCHDOG=1` before it considers the service hung.
    public let timeout: Duration

    /// How often to ping: half the timeout, as `sd_watchdog_enabled(3)` recommends.
    public var pingInterval: Duration { self.timeout / 2 }

    /// Creates a configuration for a known timeout.
    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Reads the watchdog from an environment.
    ///
    /// - Parameters:
    ///   - environment: Where `WATCHDOG_USEC` and `WATCHDOG_PID` are read from.
    ///   - processID: The ID compared with `WATCHDOG_PID`; `nil` means this process (`getpid()`).
    /// - Returns: `nil` when no watchdog is armed for this process: `WATCHDOG_USEC` unset, or
    ///   `WATCHDOG_PID` set to another process (the variables were inherited, not meant for us).
    /// - Throws: ``ParseError`` when a variable is present but malformed.
    public static func fromEnvironment(
        _ environment: [String: String],
        processID: Int32? = nil
    ) throws(ParseError) -> WatchdogConfiguration? {
        guard let timeoutText = environment["WATCHDOG_USEC"] else { return nil }
        guard let microseconds = Self.positiveDecimal(timeoutText, as: UInt64.self),
              microseconds <= UInt64(Int64.max)
        else { throw .invalidTimeout(timeoutText) }

        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = Self.positiveDecimal(pidText, as: Int32.self) else {
                throw .invalidProcessID(pidText)
            }
            guard pid == (processID ?? getpid()) else { return nil }
        }
        return WatchdogConfiguration(timeout: .microseconds(Int64(microseconds)))
    }

    private static func positiveDecimal<Value: FixedWidthInteger>(_ text: String, as _: Value.Type) -> Value? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Value(text, radix: 10), value > 0
        else { return nil }
        return value
    }
}
