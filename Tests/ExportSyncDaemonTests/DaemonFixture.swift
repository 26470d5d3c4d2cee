import ExportSyncCore
import ExportSyncSandbox
import ExportSyncStore
import Foundation
import Testing

/// What every daemon test needs: the sandbox running in-process on 127.0.0.1, a scratch
/// directory holding the configuration, state and output, and the notify socket.
final class DaemonFixture: Sendable {
    let server: SandboxServer
    let scenario: SandboxScenario
    let endpoints: SandboxServer.Endpoints
    let directory: URL
    let notifySocket: NotifySocketListener
    /// The clock the sandbox runs on, when a test gave one (the in-process daemon shares it).
    let clock: SteppedClock?

    /// Starts a sandbox for `scenario`, runs `body`, and always shuts it down and removes the
    /// scratch directory (a daemon `body` started is killed when its `DaemonProcess` is released).
    /// With a `clock`, the sandbox runs on it, and an ``InProcessDaemon`` started on this
    /// fixture runs on it too: both sides of every timed exchange move together.
    static func with<T>(_ scenario: SandboxScenario, clock: SteppedClock? = nil, _ body: (DaemonFixture) async throws -> T) async throws -> T {
        let fixture = try await DaemonFixture(scenario: scenario, clock: clock)
        do {
            let result = try await body(fixture)
            await fixture.tearDown()
            return result
        } catch {
            await fixture.tearDown()
            throw error
        }
    }

    private init(scenario: SandboxScenario, clock: SteppedClock?) async throws {
        self.scenario = scenario
        self.clock = clock
        server = SandboxServer(scenario: scenario, clock: clock.map { clock in SandboxClock { clock.now } } ?? .system)
        endpoints = try await server.start(host: "127.0.0.1", port: 0, storagePort: 0)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("exportsync-daemon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        notifySocket = try NotifySocketListener()
    }

    private func tearDown() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Files

    var configPath: String { directory.appendingPathComponent("exportsync.toml").path }
    var stateDirectory: URL { directory.appendingPathComponent("state") }
    var databasePath: String { stateDirectory.appendingPathComponent("exportsync.sqlite3").path }
    var outputDirectory: URL { directory.appendingPathComponent("out") }

    /// Writes the configuration: `[daemon]`, both sources pointed at the sandbox, then `jobs`.
    ///
    /// - Parameter daemon: more `[daemon]` keys (`metrics_listen = "127.0.0.1:0"`).
    func writeConfig(jobs: [String], daemon: String = "") throws {
        let text = """
            [daemon]
            state_directory = "state"
            output_directory = "out"
            log_level = "info"
            \(daemon)

            [sources.workiva]
            type = "workiva"
            base_url = "\(endpoints.baseURL)"
            client_id = "demo-client"
            client_secret_env = "WORKIVA_CLIENT_SECRET"
            requests_per_second = 200
            polls_per_second = 200

            [sources.admissions]
            type = "webadmit"
            base_url = "\(endpoints.baseURL)"
            user_identity = 1001
            api_key_env = "WEBADMIT_API_KEY"

            """ + jobs.joined(separator: "\n")
        try writeConfig(text: text)
    }

    /// Replaces the configuration file with `text` (atomically, as an editor would).
    func writeConfig(text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `exportsync run` on this fixture's configuration and notify socket.
    func launchDaemon(watchdogMicroseconds: Int? = nil) throws -> DaemonProcess {
        try DaemonProcess(configPath: configPath, notifySocket: notifySocket.path,
                          watchdogMicroseconds: watchdogMicroseconds, logDirectory: directory)
    }

    // MARK: State

    /// Creates the state database as a daemon killed mid-run would leave it: `job` registered
    /// and one `due` run, with the job's next slot a day away (so only that run is pending).
    /// The store is closed again before this returns.
    func seedDueRun(job: String, kind: JobKind, source: String) async throws -> Int64 {
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        let store = try StateStore(path: databasePath)
        let now = Date()
        _ = try await store.syncJobs([JobRegistration(name: job, fingerprint: "seeded-by-test", kind: kind.rawValue, source: source)], at: now)
        let due = DueRunRequest(job: job, kind: .export, scheduledFor: now, deadline: now.addingTimeInterval(3_600),
                                nextDueAt: now.addingTimeInterval(86_400))
        let run = try #require(try await store.createDueRuns([due], at: now).first).get()
        return run.id
    }

    /// The run's phase, read through a read-only store that is closed again at once.
    func phase(ofRun id: Int64) async throws -> RunPhase? {
        let store = try StateStore(path: databasePath, mode: .readOnly)
        return try await store.run(id: id)?.phase
    }

    /// The bytes of a file below the output directory, or `nil`.
    func output(_ relativePath: String) -> Data? {
        FileManager.default.contents(atPath: outputDirectory.appendingPathComponent(relativePath).path)
    }

    /// Every file below the output directory, as relative paths.
    func outputFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: outputDirectory.path)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: outputDirectory.appendingPathComponent(relative).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }
}
