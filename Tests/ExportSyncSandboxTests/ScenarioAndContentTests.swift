import AsyncHTTPClient
import ExportSyncSandbox
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("Scenario files and generated content")
struct ScenarioAndContentTests {
    static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    @Test func theShippedDemoFileIsTheBuiltInDemo() throws {
        let path = Self.repositoryRoot.appendingPathComponent("config/sandbox-demo.toml").path
        let file = try SandboxScenario.load(from: path)
        let builtIn = SandboxScenario.demo
        #expect(file.workiva.clients.map(\.clientId) == builtIn.workiva.clients.map(\.clientId))
        #expect(file.workiva.resources.map(\.id) == builtIn.workiva.resources.map(\.id))
        #expect(file.workiva.resources.map(\.size) == builtIn.workiva.resources.map(\.size))
        #expect(file.workiva.defaultTimeline.retryAfter == builtIn.workiva.defaultTimeline.retryAfter)
        #expect(file.workiva.resources.last?.timeline?.outcome == .failed)
        #expect(file.workiva.testForms == builtIn.workiva.testForms)
        #expect(file.workiva.listPageSize == builtIn.workiva.listPageSize)
        #expect(builtIn.workiva.testForms.flatMap(\.attachmentIDs).count == 15)
        #expect(file.webadmit.exports.map(\.id) == builtIn.webadmit.exports.map(\.id))
        #expect(file.webadmit.exports.map(\.format) == builtIn.webadmit.exports.map(\.format))
        #expect(file.webadmit.exports.last?.timeline?.outcome == .emptyList)
        for export in builtIn.webadmit.exports {
            #expect(file.expectedWebAdmitContent(export: export.id)?.sha256Hex() == builtIn.expectedWebAdmitContent(export: export.id)?.sha256Hex())
        }
    }

    @Test func unknownKeysAndBadValuesAreErrorsNamingThePath() throws {
        #expect(throws: SandboxScenario.LoadError.self) {
            try SandboxScenario.decode(toml: "[workiva]\npollsPerSecnd = 2\n")
        }
        do {
            _ = try SandboxScenario.decode(toml: "[[faults]]\nroute = \"workiva.poll\"\nkind = \"status\"\n")
            Issue.record("a status fault without a status must be rejected")
        } catch {
            #expect("\(error)".contains("status"))
        }
        let json = try SandboxScenario.decode(json: Data(#"{"workiva":{"resources":[{"id":"x","kind":"file","size":"3GiB"}]}}"#.utf8))
        #expect(json.workiva.resources.first?.size.bytes == 3 << 30)
        #expect(try SandboxScenario.decode(toml: "[workiva.defaultTimeline]\nseconds = 2\n").workiva.defaultTimeline.seconds == 2)
    }

    @Test(arguments: [0, 700, 1_000, 4_096, 123_457, 1 << 20])
    func pdfsHaveExactSizesAndAValidXrefTable(size: Int) throws {
        let scenario = SandboxScenario(workiva: .init(resources: [WorkivaResource(id: "p", kind: .attachment, size: ByteCount(size))]))
        let content = try #require(scenario.expectedWorkivaContent(resource: "p", format: "pdf"))
        let bytes = content.bytes()
        #expect(bytes.count == content.byteCount)
        if size >= 1_000 { #expect(bytes.count == size) }
        try PDFCheck.validate(bytes)
    }

    /// Generating 8 GiB would take minutes; sizing is arithmetic, so the time limit holds.
    @Test(.timeLimit(.minutes(1)))
    func multiGibibyteFilesAreSizedWithoutGeneratingThem() throws {
        let scenario = SandboxScenario(
            workiva: .init(resources: [WorkivaResource(id: "big", kind: .attachment, size: ByteCount(5 << 30))]),
            webadmit: .init(exports: [WebAdmitExport(id: 1, identityId: 1, name: "Big", size: ByteCount(3 << 30))]))
        let pdf = try #require(scenario.expectedWorkivaContent(resource: "big", format: "pdf"))
        #expect(pdf.byteCount == 5 << 30)
        let csv = try #require(scenario.expectedWebAdmitContent(export: 1))
        #expect(csv.byteCount > (3 << 30) - 100 && csv.byteCount <= 3 << 30)
    }

    @Test func aLargeDownloadStreamsAndMatchesTheHelper() async throws {
        var scenario = TestScenarios.fast()
        scenario.webadmit.exports.append(WebAdmitExport(id: 5, identityId: 1001, name: "Large", size: ByteCount(24 << 20)))
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: .available, polls: 0)
        try await withSandbox(scenario) { sandbox in
            let key = [("x-api-key", TestScenarios.apiKey)]
            let started = try WebAdmitTests.exportFile(try await sandbox.send("POST", "/api/v1/user_identities/1001/exports/5/export_files", headers: key))
            let id = try #require(started["id"] as? Int)
            let status = try WebAdmitTests.exportFile(try await sandbox.send("GET", "/api/v1/exports/5/export_files/\(id)", headers: key))
            let download = try await sandbox.send("GET", try #require(status["download_url"] as? String), timeout: .seconds(30))
            let expected = try #require(sandbox.scenario.expectedWebAdmitContent(export: 5))
            #expect(download.body.count == expected.byteCount)
            #expect(sha256Hex(download.body) == expected.sha256Hex())
        }
    }
}
