import Foundation
import TestSupport
import Testing

@Suite("exportsync validate (real process)")
struct ValidateCommandTests {
    @Test("a valid configuration exits 0 and summarises every job")
    func valid() async throws {
        let result = try await ExecutableRunner.run(["validate", "--config", RepositoryPaths.exampleConfig.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("valid — 2 source(s), 8 job(s)"))
        #expect(result.standardOutput.contains("job sample-42-evidence: sample-attachment-export via workiva, every 6h → workiva/{test_form}/{sample}/{attachment}.pdf"))
        #expect(result.standardOutput.contains("job controls-sheet-csv: spreadsheet-export via workiva, at 06:00, 18:00 on mon, tue, wed, thu, fri (UTC-05:00)"))
        #expect(result.standardError.isEmpty)
    }

    @Test("--quiet prints nothing on success")
    func quiet() async throws {
        let result = try await ExecutableRunner.run(["validate", "--quiet", "--config", RepositoryPaths.exampleConfig.path])
        #expect(result.status == 0)
        #expect(result.standardOutput.isEmpty)
    }

    @Test("every invalid fixture exits 78 with exactly its expected lines on stderr")
    func invalidFixtures() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.invalidFixtures.path).filter { $0.hasSuffix(".toml") }.sorted()
        #expect(names.count >= 30)
        let scratch = try ScratchDirectory()
        for name in names {
            let text = try String(contentsOf: RepositoryPaths.invalidFixtures.appendingPathComponent(name), encoding: .utf8)
            let path = try scratch.write(name, text, mode: 0o644)
            let expected = text.split(separator: "\n").filter { $0.hasPrefix("# expect: ") }
                .map { line -> String in
                    let issue = line.dropFirst("# expect: ".count).replacingOccurrences(of: "FILE", with: path)
                    return (issue.first?.isNumber == true ? "\(path):" : "\(path): ") + issue
                }
            let result = try await ExecutableRunner.run(["validate", "--config", path])
            #expect(result.status == 78, "\(name)")
            #expect(result.standardOutput.isEmpty, "\(name)")
            let lines = result.standardError.split(separator: "\n").map(String.init)
            #expect(Array(lines.dropLast()) == expected, "\(name)")
            #expect(lines.last == "\(path): \(expected.count) problem\(expected.count == 1 ? "" : "s") found; nothing was run", "\(name)")
        }
    }

    @Test("a missing file exits 78 and names the file")
    func missingFile() async throws {
        let result = try await ExecutableRunner.run(["validate", "--config", "/nonexistent/exportsync.toml"])
        #expect(result.status == 78)
        #expect(result.standardError.hasPrefix("/nonexistent/exportsync.toml: cannot read the configuration file"))
    }

    @Test("an inline secret never reaches the output, valid or not")
    func secretNeverPrinted() async throws {
        let scratch = try ScratchDirectory()
        let text = """
            [daemon]
            output_directory = "out"
            log_level = "chatty"
            [sources.wa]
            type = "webadmit"
            user_identity = "1"
            api_key = "super-secret-key-value"
            """
        let readable = try scratch.write("readable.toml", text, mode: 0o644)
        let result = try await ExecutableRunner.run(["validate", "--config", readable])
        #expect(result.status == 78)
        #expect(result.standardError.contains("api_key: the API key is written inline"))
        #expect(!result.standardError.contains("super-secret-key-value"))
        #expect(!result.standardOutput.contains("super-secret-key-value"))
    }

    @Test("help explains the commands")
    func help() async throws {
        let result = try await ExecutableRunner.run(["--help"])
        #expect(result.status == 0)
        for command in ["run", "once", "validate", "status", "sandbox"] {
            #expect(result.standardOutput.contains("  \(command) "), "help lacks \(command)")
        }
    }

    @Test("run and once refuse an invalid configuration before doing anything")
    func engineRefusesBadConfig() async throws {
        for command in ["run", "once"] {
            let broken = try await ExecutableRunner.run([command, "--config", "/nonexistent.toml"])
            #expect(broken.status == 78)
            #expect(broken.standardError.contains("cannot read the configuration file"))
        }
    }

    @Test("run refuses to start when a secret cannot be read, naming where it looked")
    func missingSecret() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratch.write("demo.toml", String(contentsOf: RepositoryPaths.demoConfig, encoding: .utf8))
        let result = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", config])
        #expect(result.status == 78)
        #expect(result.standardError.contains("source \"workiva\": cannot read its secret from environment variable WORKIVA_CLIENT_SECRET"))
        #expect(!FileManager.default.fileExists(atPath: scratch.url.path + "/demo-state"), "nothing is created before the secrets are read")
    }
}
