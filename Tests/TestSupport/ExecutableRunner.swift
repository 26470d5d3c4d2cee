public import Foundation

/// Runs the real `exportsync` binary as a child process and captures what it prints.
public struct ExecutableRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// The binary SwiftPM built next to this test bundle.
    public static var executable: URL {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for directory in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
            let candidate = directory.appendingPathComponent("exportsync")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        // `swift test` runs the bundle from the build products directory; fall back to the
        // symlinked default build folder relative to the package root.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/exportsync")
    }

    /// Runs the binary to completion. The waiting happens on a thread of its own: the suite runs
    /// its tests in parallel on a cooperative pool as wide as the machine has cores (2 here), and
    /// a test blocked in `waitUntilExit` there would stall every other test's tasks, the
    /// in-process sandboxes' request handlers among them.
    public static func run(_ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let worker = Thread {
                continuation.resume(with: Swift.Result<Self.Result, any Error> {
                    try runBlocking(arguments, environment: environment, currentDirectory: currentDirectory)
                })
            }
            worker.start()
        }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String], currentDirectory: URL?) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = childEnvironment(environment)
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        let errorData = LockedData()
        let drain = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
        drain.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1_000) }
        return Result(status: process.terminationStatus,
                      standardOutput: String(decoding: outputData, as: UTF8.self),
                      standardError: String(decoding: errorData.value, as: UTF8.self))
    }
}

/// The test process's environment without what systemd would have set, plus `overrides`.
public func childEnvironment(_ overrides: [String: String]) -> [String: String] {
    var merged = ProcessInfo.processInfo.environment
    for key in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "STATE_DIRECTORY", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY"] {
        merged.removeValue(forKey: key)
    }
    for (key, value) in overrides { merged[key] = value }
    return merged
}

/// A tiny lock-protected box for the data a draining thread reads.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?

    func set(_ newValue: Data) { lock.withLock { data = newValue } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// A scratch directory removed at the end of a test.
public struct ScratchDirectory: ~Copyable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("exportsync-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
        let file = url.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
        return file.path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

public enum RepositoryPaths {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let exampleConfig = root.appendingPathComponent("config/example.toml")
    public static let invalidFixtures = root.appendingPathComponent("Tests/ExportSyncConfigTests/Fixtures/invalid")
    public static let demoConfig = root.appendingPathComponent("config/demo.toml")
}
