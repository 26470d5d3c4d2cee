public import Foundation

/// The real `exportsync` binary running in the background, its output going to files, so a
/// test can signal it (`SIGKILL`, `SIGTERM`, `SIGHUP`) at any moment and read what it logged.
public final class ChildProcess: @unchecked Sendable {
    /// The process; owned by this object.
    public let process = Process()
    /// Where standard error goes.
    public let standardErrorPath: String

    /// Starts `exportsync arguments…` with `environment` added to a clean environment.
    public init(_ arguments: [String], environment: [String: String], logDirectory: URL, name: String) throws {
        process.executableURL = ExecutableRunner.executable
        process.arguments = arguments
        process.environment = childEnvironment(environment)
        standardErrorPath = logDirectory.appendingPathComponent("\(name).stderr").path
        _ = FileManager.default.createFile(atPath: standardErrorPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: standardErrorPath))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal` (e.g. `SIGKILL`).
    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Whether it still runs.
    public var isRunning: Bool { process.isRunning }

    /// Waits for the process to exit, at most `timeout` seconds; `nil` if it is still running.
    /// A death by signal is reported as `128 + signal`, as a shell would.
    @discardableResult
    public func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Waits until standard error contains `text` (at least `occurrences` times); `false` after `timeout` seconds.
    public func waitForLog(_ text: String, occurrences: Int = 1, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while standardError.components(separatedBy: text).count - 1 < occurrences {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Everything written to standard error so far.
    public var standardError: String {
        (try? String(contentsOfFile: standardErrorPath, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
        }
    }
}
