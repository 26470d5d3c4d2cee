public import Logging

/// A syslog priority (0 = emergency … 7 = debug), as journald's `PRIORITY=` and the sd-daemon
/// `<N>` line prefix use it.
public enum SyslogPriority: Int, Sendable, Hashable, CaseIterable {
    case emergency = 0
    case alert = 1
    case critical = 2
    case error = 3
    case warning = 4
    case notice = 5
    case informational = 6
    case debug = 7

    /// Maps a swift-log level: `trace`/`debug` → 7, `info` → 6, `notice` → 5, `warning` → 4,
    /// `error` → 3, `critical` → 2. Emergency and alert are left to the system.
    public init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info: self = .informational
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }

    /// The sd-daemon line prefix, e.g. `<3>` (see `sd-daemon(3)`).
    public var linePrefix: String { "<\(self.rawValue)>" }
}
