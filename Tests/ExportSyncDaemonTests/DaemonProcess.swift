import Foundation
import Glibc
import TestSupport

/// The real `exportsync run` as a child process, as systemd would start it: `NOTIFY_SOCKET` (and
/// `WATCHDOG_USEC` when given) in its environment, logs on stderr (to a file the test reads).
/// Killed with `SIGKILL` when released while still running, so a failed test leaves no daemon.
final class DaemonProcess: @unchecked Sendable {
    private let process = Process()
    private let standardErrorPath: String
    /// `CLOCK_MONOTONIC` microseconds just before the process was started.
    let startedAt: UInt64

    /// The secrets `config/demo.toml` and the sandbox's demo scenario agree on.
    static let demoSecrets = ["WORKIVA_CLIENT_SECRET": "demo-secret", "WEBADMIT_API_KEY": "demo-api-key"]

    /// Starts `exportsync run --log-target stderr --config configPath`.
    init(configPath: String, notifySocket: String, watchdogMicroseconds: Int? = nil, logDirectory: URL) throws {
        var environment = Self.demoSecrets
        environment["NOTIFY_SOCKET"] = notifySocket
        if let watchdogMicroseconds { environment["WATCHDOG_USEC"] = String(watchdogMicroseconds) }
        process.executableURL = ExecutableRunner.executable
        process.arguments = ["run", "--log-target", "stderr", "--config", configPath]
        process.environment = childEnvironment(environment)
        standardErrorPath = logDirectory.appendingPathComponent("daemon-\(UUID().uuidString.prefix(8)).stderr").path
        FileManager.default.createFile(atPath: standardErrorPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: standardErrorPath))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        startedAt = MonotonicClock.microseconds()
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    var isRunning: Bool { process.isRunning }

    /// Sends `signal` (`SIGHUP`, `SIGTERM`, `SIGSTOP`, …).
    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits at most `timeout` for the process to exit; its exit status, or `nil` if it still runs.
    /// A death by signal is reported as `128 + signal`, as a shell would.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Everything the daemon logged so far.
    var standardError: String {
        (try? String(contentsOfFile: standardErrorPath, encoding: .utf8)) ?? ""
    }

    /// The last `limit` characters of the log, for failure messages.
    func logTail(_ limit: Int = 3_000) -> String {
        String(standardError.suffix(limit))
    }

    /// Waits until the log contains `text`; `false` after `timeout`.
    func waitForLog(_ text: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !standardError.contains(text) {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
        }
    }
}
