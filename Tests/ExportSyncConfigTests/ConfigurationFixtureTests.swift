import ExportSyncConfig
import ExportSyncCore
import Foundation
import Testing

/// Where the fixture files live, found from this source file so no bundle is needed.
enum FixturePaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func files(in folder: String) -> [String] {
        let directory = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".toml") }.sorted()
    }

    static func copyToTemporaryFile(_ source: URL, mode: Int) throws -> (file: String, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exportsync-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let target = directory.appendingPathComponent(source.lastPathComponent)
        try FileManager.default.copyItem(at: source, to: target)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
        return (target.path, directory)
    }
}

@Suite("Configuration fixtures")
struct ConfigurationFixtureTests {
    let loader = ConfigurationLoader(environment: [:], workingDirectory: "/work")

    @Test("the invalid corpus is large enough")
    func corpusSize() {
        #expect(FixturePaths.files(in: "invalid").count >= 30)
        #expect(FixturePaths.files(in: "valid").count >= 3)
    }

    /// Each invalid fixture ends with `# expect:` lines; the loader must report exactly those
    /// problems, in that order, with those lines, columns, key paths and words.
    @Test("invalid configurations give exactly the expected errors", arguments: FixturePaths.files(in: "invalid"))
    func invalidFixture(name: String) throws {
        let source = FixturePaths.root.appendingPathComponent("invalid").appendingPathComponent(name)
        let text = try String(contentsOf: source, encoding: .utf8)
        let expected = text.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("# expect: ") ? String(line.dropFirst("# expect: ".count)) : nil
        }
        #expect(!expected.isEmpty, "fixture \(name) states no expectation")
        // A fresh copy with a known mode: git checkouts differ in umask.
        let copy = try FixturePaths.copyToTemporaryFile(source, mode: 0o644)
        defer { try? FileManager.default.removeItem(at: copy.directory) }
        do {
            let configuration = try loader.load(path: copy.file)
            Issue.record("\(name) was accepted: \(configuration.jobs.count) jobs")
        } catch {
            #expect(error.file == copy.file)
            let actual = error.issues.map { $0.description.replacingOccurrences(of: copy.file, with: "FILE") }
            #expect(actual == expected, "\(name)")
            #expect(error.description.hasPrefix("\(copy.file):"))
            #expect(error.description.split(separator: "\n").count == expected.count)
        }
    }

    @Test("valid configurations load", arguments: FixturePaths.files(in: "valid"))
    func validFixture(name: String) throws {
        let path = FixturePaths.root.appendingPathComponent("valid").appendingPathComponent(name).path
        let configuration = try loader.load(path: path)
        #expect(!configuration.jobs.isEmpty)
        #expect(!configuration.sources.isEmpty)
    }

    @Test("the valid corpus covers every job kind and every Workiva path flavour")
    func coverage() throws {
        var kinds = Set<JobKind>()
        var flavours = Set<WorkivaPathFlavour>()
        for name in FixturePaths.files(in: "valid") {
            let path = FixturePaths.root.appendingPathComponent("valid").appendingPathComponent(name).path
            for job in try loader.load(path: path).jobs {
                kinds.insert(job.kind)
                if let flavour = job.workivaFlavour { flavours.insert(flavour) }
            }
        }
        #expect(kinds == Set(JobKind.allCases))
        #expect(flavours == Set(WorkivaPathFlavour.allCases))
    }

    @Test("the shipped example configuration is valid")
    func shippedExample() throws {
        let example = FixturePaths.root.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/example.toml")
        let configuration = try loader.load(path: example.path)
        #expect(configuration.jobs.count == 10)
        let copy = FixturePaths.root.appendingPathComponent("valid/all-kinds.toml")
        #expect(try String(contentsOf: example, encoding: .utf8) == String(contentsOf: copy, encoding: .utf8),
                "Fixtures/valid/all-kinds.toml must stay a copy of config/example.toml")
    }
}
