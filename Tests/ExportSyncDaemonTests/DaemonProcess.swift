import Foundation
import Glibc
import TestSupport

/// The real `exportsync run` as a child process, as systemd would start it: `NOTIFY_SOCKET` (and
/// `WATCHDOG_USEC` when given) in its environment, logs on stderr (to a file the test reads).
/// Killed with `SIGKILL` when released while still running, so a failed test leaves no daemon.
final class DaemonProcess: @unchecked Sendable {
    private let child: ChildProcess
    /// `CLOCK_MONOTONIC` microseconds just before the process was started.
    let startedAt: UInt64

    /// The secrets `config/demo.toml` and the sandbox's demo scenario agree on.
    static let demoSecrets = ["WORKIVA_CLIENT_SECRET": "demo-secret", "WEBADMIT_API_KEY": "demo-api-key"]

    /// Starts `exportsync run --log-target stderr --config configPath`.
    init(configPath: String, notifySocket: String, watchdogMicroseconds: Int? = nil, logDirectory: URL) throws {
        var environment = Self.demoSecrets
        environment["NOTIFY_SOCKET"] = notifySocket
        if let watchdogMicroseconds { environment["WATCHDOG_USEC"] = String(watchdogMicroseconds) }
        startedAt = MonotonicClock.microseconds()
        child = try ChildProcess(["run", "--log-target", "stderr", "--config", configPath], environment: environment,
                                 logDirectory: logDirectory, name: "daemon-\(UUID().uuidString.prefix(8))")
    }

    var pid: Int32 { child.pid }

    var isRunning: Bool { child.isRunning }

    /// Sends `signal` (`SIGHUP`, `SIGTERM`, `SIGSTOP`, …).
    func send(_ signal: Int32) { child.send(signal) }

    /// Waits at most `timeout` for the process to exit; its exit status (`128 + signal` for a
    /// death by signal), or `nil` if it still runs.
    func waitForExit(timeout: Duration) async -> Int32? {
        await child.waitForExit(timeout: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
    }

    /// Everything the daemon logged so far.
    var standardError: String { child.standardError }

    /// The last `limit` characters of the log, for failure messages.
    func logTail(_ limit: Int = 3_000) -> String {
        String(standardError.suffix(limit))
    }

    /// Waits until the log contains `text` at least `occurrences` times; `false` after `timeout`.
    func waitForLog(_ text: String, occurrences: Int, timeout: Duration) async -> Bool {
        await child.waitForLog(text, occurrences: occurrences,
                               timeout: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
    }

    /// Waits until the log contains `text`; `false` after `timeout`.
    func waitForLog(_ text: String, timeout: Duration) async -> Bool {
        await child.waitForLog(text, timeout: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
    }
}
