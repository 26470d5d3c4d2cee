import ArgumentParser
import Dispatch
import ExportSyncSandbox
import Foundation

/// `exportsync sandbox`: the local Workiva + WebAdMIT + S3 simulator, for demos, tests and
/// trying a configuration before pointing it at production.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the local Workiva + WebAdMIT + S3 simulator until interrupted.",
        discussion: """
            Serves the Workiva Platform API (token endpoint, kick-offs, operations, downloads) and the \
            WebAdMIT API on --port, and a fake S3 for pre-signed URLs on --storage-port. Without \
            --scenario it serves the built-in demo (config/sandbox-demo.toml is the same scenario as a \
            file). The request journal is at /_sandbox/journal. See docs/sandbox.md.
            """
    )

    @Option(help: ArgumentHelp("A scenario file (.toml or .json); default: the built-in demo.", valueName: "file"))
    var scenario: String?

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The API port.")
    var port: Int = 8080

    @Option(help: "The fake-storage port (0: any free port).")
    var storagePort: Int = 0

    func run() async throws {
        let loaded: SandboxScenario
        if let scenario {
            do {
                loaded = try SandboxScenario.load(from: scenario)
            } catch {
                printError("\(error)")
                throw ExitCode(SysExit.config)
            }
        } else {
            loaded = .demo
        }
        let server = SandboxServer(scenario: loaded)
        let endpoints: SandboxServer.Endpoints
        do {
            endpoints = try await server.start(host: host, port: port, storagePort: storagePort)
        } catch {
            printError("sandbox: \(error)")
            throw ExitCode(SysExit.unavailable)
        }
        // Written unbuffered: under systemd or `| tee` stdout is a pipe, and the banner must show now.
        FileHandle.standardOutput.write(Data((Self.banner(endpoints: endpoints, scenario: loaded) + "\n").utf8))
        await Self.waitForTerminationSignal()
        FileHandle.standardOutput.write(Data("sandbox: shutting down\n".utf8))
        await server.shutdown()
    }

    private static func banner(endpoints: SandboxServer.Endpoints, scenario: SandboxScenario) -> String {
        var lines = [
            "exportsync sandbox listening",
            "  API (Workiva + WebAdMIT): \(endpoints.baseURL)",
            "  storage (fake S3):        \(endpoints.storageBaseURL)",
            "  journal:                  \(endpoints.baseURL)/_sandbox/journal",
        ]
        for client in scenario.workiva.clients {
            lines.append("  Workiva client:  client_id=\(client.clientId) client_secret=\(client.clientSecret) scopes=\(client.scopes.joined(separator: ","))")
        }
        for key in scenario.webadmit.apiKeys {
            lines.append("  WebAdMIT key:    x-api-key: \(key.key)")
        }
        for resource in scenario.workiva.resources {
            lines.append("  Workiva \(resource.kind.rawValue): \(resource.id)")
        }
        for export in scenario.webadmit.exports {
            lines.append("  WebAdMIT export: identity \(export.identityId), export \(export.id) (\(export.name))")
        }
        lines.append("Press Ctrl-C to stop.")
        return lines.joined(separator: "\n")
    }

    /// Returns on the first SIGINT or SIGTERM.
    private static func waitForTerminationSignal() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        for source in sources { source.cancel() }
    }
}
