import ExportSyncSandbox
import Foundation
import Glibc
import Testing

/// What the daemon writes while it runs is byte for byte what the sandbox serves.
@Suite("exportsync run: the files it writes")
struct DaemonOutputTests {
    @Test("every kind of export lands with the sandbox's exact bytes, no partial files left")
    func filesHaveTheSandboxBytes() async throws {
        let scenario = DaemonScenario.instant()
        try await DaemonFixture.with(scenario) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(), DaemonJobs.boardMemoPDF(), DaemonJobs.trialBalanceCSV,
                                           DaemonJobs.annualReportFile, DaemonJobs.nightlyApplicantsCSV])
            let daemon = try fixture.launchDaemon()
            let allWritten = await waitUntil(timeout: .seconds(40)) {
                daemon.standardError.components(separatedBy: "<5>wrote ").count - 1 >= 5
            }
            try #require(allWritten, "not every job wrote its file:\n\(daemon.logTail())")

            let expectations: [(path: String, content: SandboxContent?)] = [
                (DaemonJobs.evidencePDFPath, scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf")),
                (DaemonJobs.boardMemoPDFPath, scenario.expectedWorkivaContent(resource: "document-1", format: "pdf")),
                (DaemonJobs.trialBalanceCSVPath, scenario.expectedWorkivaContent(resource: "spreadsheet-1", format: "csv")),
                (DaemonJobs.annualReportFilePath, scenario.expectedWorkivaContent(resource: "file-1", format: "pdf")),
            ]
            for (path, content) in expectations {
                let expected = try #require(content, "the scenario has no content for \(path)")
                let written = try #require(fixture.output(path), "\(path) missing; files: \(fixture.outputFiles())")
                #expect(written == Data(expected.bytes()), "\(path): \(written.count) bytes, expected \(expected.byteCount)")
                #expect(daemon.standardError.contains("path=\(path) run_id="), "no log line for \(path)")
                #expect(daemon.standardError.contains("sha256=\(expected.sha256Hex())"), "logged sha256 of \(path) differs")
            }
            let nightly = try #require(scenario.expectedWebAdmitContent(export: 86446))
            let webadmitFiles = fixture.outputFiles().filter { $0.hasPrefix("webadmit/") }
            #expect(webadmitFiles.count == 1 && webadmitFiles.first?.hasSuffix("/\(nightly.fileName)") == true, "\(webadmitFiles)")
            if let file = webadmitFiles.first {
                #expect(fixture.output(file) == Data(nightly.bytes()))
            }
            #expect(fixture.outputFiles().count == 5, "\(fixture.outputFiles())")

            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(10)) == 0, "\(daemon.logTail())")
        }
    }
}
