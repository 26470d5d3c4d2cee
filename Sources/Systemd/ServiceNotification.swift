/// One `KEY=VALUE` assignment of the sd_notify protocol (see `sd_notify(3)`).
public enum ServiceNotification: Sendable, Hashable {
    /// `READY=1`: start-up finished; systemd moves a `Type=notify` unit to "active".
    case ready
    /// `RELOADING=1`: a reload began; must be followed by ``ready`` when done.
    /// Pair with ``monotonicTime(microseconds:)`` (``ServiceNotifier/reloading(status:)`` does).
    case reloading
    /// `MONOTONIC_USEC=…`: the `CLOCK_MONOTONIC` time of a reload, required by `Type=notify-reload`.
    case monotonicTime(microseconds: UInt64)
    /// `STOPPING=1`: shutdown began.
    case stopping
    /// `STATUS=…`: a one-line status shown by `systemctl status`. Line breaks become spaces.
    case status(String)
    /// `WATCHDOG=1`: the service is alive (see ``WatchdogKeeper``).
    case watchdog
    /// `WATCHDOG=trigger`: asks systemd to act as if the watchdog timed out.
    case watchdogTrigger
    /// `ERRNO=…`: the `errno`-style reason for a failure.
    case errno(Int32)
    /// `EXTEND_TIMEOUT_USEC=…`: asks for more time in the current start, reload or stop phase.
    case extendTimeout(microseconds: UInt64)
    /// `MAINPID=…`: the main process of the service.
    case mainPID(Int32)
    /// Any other `NAME=value` assignment; line breaks in `value` become spaces.
    case custom(name: String, value: String)

    /// The assignment as it appears in the datagram, one line, no trailing newline.
    public var assignment: String {
        switch self {
        case .ready: "READY=1"
        case .reloading: "RELOADING=1"
        case .monotonicTime(let microseconds): "MONOTONIC_USEC=\(microseconds)"
        case .stopping: "STOPPING=1"
        case .status(let text): "STATUS=\(Self.singleLine(text))"
        case .watchdog: "WATCHDOG=1"
        case .watchdogTrigger: "WATCHDOG=trigger"
        case .errno(let code): "ERRNO=\(code)"
        case .extendTimeout(let microseconds): "EXTEND_TIMEOUT_USEC=\(microseconds)"
        case .mainPID(let pid): "MAINPID=\(pid)"
        case .custom(let name, let value): "\(Self.singleLine(name))=\(Self.singleLine(value))"
        }
    }

    /// A newline would start a new assignment (e.g. a status text forging `READY=1`), so none
    /// survive.
    private static func singleLine(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n", "\r", "\0": result.unicodeScalars.append(" ")
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
