import Foundation
import TestSupport
import Testing

/// `run` and `once` on every invalid or hostile configuration of the corpus: exit 78 and create
/// nothing — no state directory, no database, no output or inbox directory.
@Suite("exportsync run/once on the invalid config corpus (real process)")
struct InvalidConfigCorpusTests {
    /// The fixture's text with its absolute directories moved below `root`, so whatever a run
    /// would create lands where the test can see it (and nothing outside the scratch directory).
    static func relocated(_ text: String, below root: String) -> String {
        var text = text
        for directory in ["\"/srv/", "\"/other\"", "\"/var/lib/"] {
            text = text.replacingOccurrences(of: directory, with: "\"" + root + directory.dropFirst())
        }
        return text
    }

    /// Every path below `root`, relative to it.
    static func contents(of root: URL) -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let relative = enumerator?.nextObject() as? String { found.append(relative) }
        return found.sorted()
    }

    /// What went wrong with one fixture, or nothing.
    static func check(_ name: String) async throws -> [String] {
        let text = try String(contentsOf: RepositoryPaths.invalidFixtures.appendingPathComponent(name), encoding: .utf8)
        let scratch = try ScratchDirectory()
        let config = try scratch.write("exportsync.toml", relocated(text, below: scratch.url.path))
        var problems: [String] = []
        for command in ["once", "run"] {
            // The default state directory is relative to the working directory: the scratch one.
            let result = try await ExecutableRunner.run([command, "--log-target", "stderr", "--config", config],
                                                        environment: ["WK_SECRET": "corpus-secret", "WA_KEY": "corpus-key"],
                                                        currentDirectory: scratch.url)
            if result.status != 78 { problems.append("\(name): \(command) exited \(result.status): \(result.standardError.suffix(300))") }
            if !result.standardError.contains("\(config):") { problems.append("\(name): \(command) did not report against the file: \(result.standardError.suffix(300))") }
            let created = contents(of: scratch.url).filter { $0 != "exportsync.toml" }
            if !created.isEmpty { problems.append("\(name): \(command) created \(created)") }
        }
        return problems
    }

    @Test("every invalid fixture: run and once exit 78 and create nothing", .timeLimit(.minutes(3)))
    func corpus() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.invalidFixtures.path)
            .filter { $0.hasSuffix(".toml") }.sorted()
        #expect(names.count >= 70)
        // The relocation catches every absolute directory the corpus names.
        for name in names {
            let text = try String(contentsOf: RepositoryPaths.invalidFixtures.appendingPathComponent(name), encoding: .utf8)
            let relocated = Self.relocated(text, below: "/scratch")
            for key in ["output_directory", "state_directory", "inbox", "done_directory", "failed_directory"] {
                for line in relocated.split(separator: "\n") where line.hasPrefix("\(key) = \"/") {
                    #expect(line.hasPrefix("\(key) = \"/scratch/"), "\(name): \(line) is not relocated")
                }
            }
        }
        // A few processes at a time: each fails at config load.
        var problems: [String] = []
        try await withThrowingTaskGroup(of: [String].self) { group in
            var pending = names[...]
            for _ in 0..<4 {
                guard let name = pending.popFirst() else { break }
                group.addTask { try await Self.check(name) }
            }
            while let found = try await group.next() {
                problems += found
                if let name = pending.popFirst() { group.addTask { try await Self.check(name) } }
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("the corpus check sees a created directory: a valid config's once creates its state and output directories")
    func checkSeesCreation() async throws {
        let scratch = try ScratchDirectory()
        let config = try scratch.write("exportsync.toml", """
            [daemon]
            output_directory = "/srv/exports"
            [sources.wk]
            type = "workiva"
            base_url = "http://127.0.0.1:9"
            client_id = "id"
            client_secret_env = "WK_SECRET"
            """.replacingOccurrences(of: "\"/srv/", with: "\"" + scratch.url.path + "/srv/"))
        let result = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", config],
                                                    environment: ["WK_SECRET": "corpus-secret"], currentDirectory: scratch.url)
        #expect(result.status == 0, "\(result.standardError)")
        let created = Self.contents(of: scratch.url)
        #expect(created.contains("state"), "\(created)")
        #expect(created.contains("srv/exports"), "\(created)")
    }
}
