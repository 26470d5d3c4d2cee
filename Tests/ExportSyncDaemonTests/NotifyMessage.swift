/// One sd_notify datagram the daemon sent, split into its `NAME=value` assignments, stamped with
/// the `CLOCK_MONOTONIC` time it was received.
struct NotifyMessage: Sendable, CustomStringConvertible {
    /// The datagram as sent, assignments separated by newlines.
    let text: String
    /// When the listener received it, `CLOCK_MONOTONIC` microseconds.
    let receivedAt: UInt64

    /// The assignments in order, e.g. `[("READY", "1"), ("STATUS", "ready: 2 job(s)")]`.
    var assignments: [(name: String, value: String)] {
        text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            guard let equals = line.firstIndex(of: "=") else { return (String(line), "") }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    /// The value of assignment `name`, if the datagram has one.
    func value(of name: String) -> String? {
        assignments.first { $0.name == name }?.value
    }

    /// The assignment names, e.g. `["READY", "STATUS"]`.
    var names: [String] { assignments.map(\.name) }

    var isReady: Bool { value(of: "READY") == "1" }
    var isReloading: Bool { value(of: "RELOADING") == "1" }
    var isStopping: Bool { value(of: "STOPPING") == "1" }
    var isWatchdogPing: Bool { value(of: "WATCHDOG") == "1" }
    /// Only a `STATUS=` line, nothing else.
    var isStatusOnly: Bool { names == ["STATUS"] }

    var description: String { text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n") }
}
