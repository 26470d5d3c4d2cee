import ExportSyncCore
import Foundation
import TestSupport
import Testing

@Suite("exportsync validate (real process)")
struct ValidateCommandTests {
    @Test("a valid configuration exits 0 and summarises every job")
    func valid() async throws {
        let result = try await ExecutableRunner.run(["validate", "--config", RepositoryPaths.exampleConfig.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("valid — 2 source(s), 10 job(s)"))
        #expect(result.standardOutput.contains("job audit-2026-evidence: test-form-attachments via workiva, every 6h → workiva/audit/{test_phase}/{matrix}/{sample}/{attachment}-{attachment_name}.pdf"))
        #expect(result.standardOutput.contains("job admissions-nightly: webadmit-exports via admissions, at 02:00"))
        #expect(result.standardOutput.contains("job sample-42-evidence: sample-attachment-export via workiva, every 6h → workiva/{test_form}/{sample}/{attachment}.pdf"))
        #expect(result.standardOutput.contains("job controls-sheet-csv: spreadsheet-export via workiva, at 06:00, 18:00 on mon, tue, wed, thu, fri (UTC-05:00)"))
        #expect(Self.sunsetWarnings(result.standardError).count == 1, "\(result.standardError)")
    }

    /// The `warning:` lines of `validate`'s standard error.
    static func sunsetWarnings(_ standardError: String) -> [Substring] {
        standardError.split(separator: "\n").filter { $0.contains(": warning: ") }
    }

    @Test("--quiet prints nothing on standard output on success; warnings still go to standard error")
    func quiet() async throws {
        let result = try await ExecutableRunner.run(["validate", "--quiet", "--config", RepositoryPaths.exampleConfig.path])
        #expect(result.status == 0)
        #expect(result.standardOutput.isEmpty)
        #expect(Self.sunsetWarnings(result.standardError).count == 1)
    }

    @Test("jobs on paths with a sunset are warned about, with the day, the days left and the 2026 replacement; the file is still valid")
    func sunsetWarningsAtValidate() async throws {
        let result = try await ExecutableRunner.run(["validate", "--config", RepositoryPaths.exampleConfig.path])
        #expect(result.status == 0)
        let warnings = Self.sunsetWarnings(result.standardError)
        let line = try #require(warnings.first, "\(result.standardError)")
        // Days left as of now (the command ran between these two readings).
        let before = PathSunset.prototype.daysLeft(at: Date())
        #expect(line.hasPrefix("\(RepositoryPaths.exampleConfig.path): warning: job legacy-audit-evidence: its paths (/prototype/platform/…) "))
        let expected = Date() >= PathSunset.prototype.date ? ["were retired on 2027-01-31"]
            : ["are retired on 2027-01-31, in \(before) day(s)", "are retired on 2027-01-31, in \(before + 1) day(s)"]
        #expect(expected.contains { line.contains($0) }, "\(line)")
        #expect(line.hasSuffix("set flavour = \"2026-01-01\" and name the attachment by test_form, test_phase, matrix and sample (the 2026 graph) instead of audit and procedure"))
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
