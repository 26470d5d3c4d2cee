import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

/// A sandbox on 127.0.0.1 plus a scratch directory with a configuration pointing at it: what
/// every engine test runs the real `exportsync` binary against.
final class SandboxHarness: @unchecked Sendable {
    let server: SandboxServer
    let endpoints: SandboxServer.Endpoints
    let directory: URL
    let scenario: SandboxScenario

    /// The secrets the test scenarios issue, passed to the daemon through its environment.
    static let secretsEnvironment = ["WORKIVA_CLIENT_SECRET": "test-secret-0001", "WEBADMIT_API_KEY": "test-api-key-0001"]

    init(scenarioTOML: String) async throws {
        scenario = try SandboxScenario.decode(toml: scenarioTOML, origin: "test scenario")
        server = SandboxServer(scenario: scenario)
        endpoints = try await server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("exportsync-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes `exportsync.toml`: `[daemon]`, both sources pointed at the sandbox, then `jobs`.
    @discardableResult
    func writeConfig(jobs: String, workivaExtra: String = "", logLevel: String = "info") throws -> String {
        let text = """
            [daemon]
            state_directory = "state"
            output_directory = "out"
            log_level = "\(logLevel)"
            max_concurrent_downloads = 8

            [sources.workiva]
            type = "workiva"
            base_url = "\(endpoints.baseURL)"
            client_id = "test-client"
            client_secret_env = "WORKIVA_CLIENT_SECRET"
            requests_per_second = 500
            polls_per_second = 500
            \(workivaExtra)

            [sources.admissions]
            type = "webadmit"
            base_url = "\(endpoints.baseURL)"
            user_identity = 1001
            api_key_env = "WEBADMIT_API_KEY"

            \(jobs)
            """
        let path = directory.appendingPathComponent("exportsync.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var configPath: String { directory.appendingPathComponent("exportsync.toml").path }
    var outputRoot: URL { directory.appendingPathComponent("out") }

    /// Runs `exportsync once` to completion (bounded) and returns its result.
    func runOnce(timeout: Double = 120) async throws -> (status: Int32, log: String) {
        let child = try ChildProcess(["once", "--log-target", "stderr", "--config", configPath],
                                     environment: Self.secretsEnvironment, logDirectory: directory, name: "once-\(UUID().uuidString.prefix(8))")
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.send(SIGKILL)
            Issue.record("exportsync once did not finish within \(timeout) s:\n\(child.standardError.suffix(4_000))")
            return (-1, child.standardError)
        }
        return (status, child.standardError)
    }

    /// `exportsync status --json`, decoded.
    func status() async throws -> [String: Any] {
        let result = try await ExecutableRunner.run(["status", "--json", "--config", configPath])
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
        return try #require(object as? [String: Any], "status output: \(result.standardOutput) \(result.standardError)")
    }

    /// Each job's last run, by job name.
    func lastRuns() async throws -> [String: [String: Any]] {
        let jobs = try #require(try await status()["jobs"] as? [[String: Any]])
        var result: [String: [String: Any]] = [:]
        for job in jobs {
            if let name = job["name"] as? String, let run = job["last_run"] as? [String: Any] { result[name] = run }
        }
        return result
    }

    /// SHA-256 of a file below the output root, or nil when absent.
    func sha256(of relative: String) -> String? {
        let path = outputRoot.appendingPathComponent(relative).path
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256Hex.of(data)
    }

    /// Files below the output root that are not finished outputs (temp files).
    func temporaryFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: outputRoot.path)
        var found: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if relative.contains("exportsync-part") { found.append(relative) }
        }
        return found
    }

    func shutdown() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}
