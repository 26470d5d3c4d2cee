import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

/// The scenario most engine tests share: one Workiva client and one WebAdMIT key, resources for
/// every export kind, one poll before completion, `Retry-After: 1` everywhere.
func testScenario(downloadMode: String = "redirect", faults: String = "", extraResources: String = "", pollsPerSecond: Int = 0) -> String {
    """
    [workiva]
    tokenLifetimeSeconds = 599
    requestsPerSecond = 0
    pollsPerSecond = \(pollsPerSecond)
    downloadMode = "\(downloadMode)"

    [workiva.defaultTimeline]
    outcome = "completed"
    polls = 1
    seconds = 0
    kickoffRetryAfter = 1
    retryAfter = [1]

    [[workiva.clients]]
    clientId = "test-client"
    clientSecret = "test-secret-0001"

    [[workiva.resources]]
    id = "att-a"
    kind = "attachment"
    size = 30000

    [[workiva.resources]]
    id = "doc-a"
    kind = "document"
    size = 40000

    [[workiva.resources]]
    id = "sheet-a"
    kind = "spreadsheet"
    size = 50000
    sheets = 3

    [[workiva.resources]]
    id = "deck-a"
    kind = "presentation"
    size = 20000

    [[workiva.resources]]
    id = "file-a"
    kind = "file"
    size = 60000

    [[workiva.resources]]
    id = "att-broken"
    kind = "attachment"
    timeline = { outcome = "failed", polls = 1, seconds = 0, kickoffRetryAfter = 1, retryAfter = [1] }

    \(extraResources)

    [webadmit]
    downloadURLLifetimeSeconds = 20
    firstExportFileId = 500

    [webadmit.defaultTimeline]
    outcome = "Available"
    polls = 1
    seconds = 0

    [[webadmit.apiKeys]]
    key = "test-api-key-0001"

    [[webadmit.identities]]
    id = 1001

    [[webadmit.exports]]
    id = 86446
    identityId = 1001
    name = "Nightly Banner Export"
    format = "Comma-Separated Values"
    size = 30000

    [[webadmit.exports]]
    id = 86447
    identityId = 1001
    name = "Program Documents"
    format = "Comma-Separated Values in Multiple Files"
    size = 30000
    files = 2

    [[webadmit.exports]]
    id = 86448
    identityId = 1001
    name = "Empty Clipboard"
    timeline = { outcome = "Empty List", polls = 1, seconds = 0 }

    \(faults)
    """
}

/// A sample-attachment export job of `name` for the test scenario's attachment `attachment`.
func attachmentJob(_ name: String, attachment: String) -> String {
    job(name, "sample-attachment-export", sampleLocator + "attachment = \"\(attachment)\"")
}

/// The test form, phase, matrix and sample every attachment job of the test scenario uses.
let sampleLocator = "test_form = \"tf\"\ntest_phase = \"tp\"\nmatrix = \"mx\"\nsample = \"sm\"\n"

/// A Workiva export job of `kind` with `keys`, writing `<job>.<ext>`.
func job(_ name: String, _ kind: String, _ keys: String, source: String = "workiva") -> String {
    """
    [[jobs]]
    name = "\(name)"
    source = "\(source)"
    kind = "\(kind)"
    every = "1d"
    deadline = "2m"
    output = "{job}.{ext}"
    \(keys)

    """
}

@Suite("Engine end to end (real binary, sandbox on 127.0.0.1, real SQLite)", .serialized)
struct EndToEndTests {
    /// Every job kind and path flavour, each file checked byte for byte (SHA-256) against what
    /// the sandbox serves, plus the wire rules read back from the sandbox's journal.
    @Test("every job kind and path flavour produces the exact bytes; the wire rules hold")
    func everyKind() async throws {
        let harness = try await SandboxHarness(scenarioTOML: testScenario())
        defer { Task { await harness.shutdown() } }
        let locator = sampleLocator
        let scenario = harness.scenario
        // (job, kind, keys, source, the sandbox's content for it, the extension the file gets)
        let cases: [(String, String, String, String, SandboxContent?, String)] = [
            ("attachment-2026", "sample-attachment-export", locator + "attachment = \"att-a\"", "workiva",
             scenario.expectedWorkivaContent(resource: "att-a", format: "pdf"), "pdf"),
            ("attachment-v1", "sample-attachment-export", "flavour = \"platform-v1\"\ntest_form = \"tf\"\ntest_phase = \"tp\"\nmatrix = \"mx\"\nattachment = \"att-a\"", "workiva",
             scenario.expectedWorkivaContent(resource: "att-a", format: "pdf"), "pdf"),
            ("attachment-prototype", "sample-attachment-export", "flavour = \"prototype\"\naudit = \"au\"\nprocedure = \"pr\"\nmatrix = \"mx\"\nsample = \"sm\"\nattachment = \"att-a\"", "workiva",
             scenario.expectedWorkivaContent(resource: "att-a", format: "pdf"), "pdf"),
            ("document-pdf", "document-export", "document = \"doc-a\"\nformat = \"pdf\"", "workiva",
             scenario.expectedWorkivaContent(resource: "doc-a", format: "pdf"), "pdf"),
            ("document-docx-v1", "document-export", "flavour = \"platform-v1\"\ndocument = \"doc-a\"\nformat = \"docx\"", "workiva",
             scenario.expectedWorkivaContent(resource: "doc-a", format: "docx"), "docx"),
            ("sheet-zip", "spreadsheet-export", "spreadsheet = \"sheet-a\"\nformat = \"csv\"", "workiva",
             scenario.expectedWorkivaContent(resource: "sheet-a", format: "csv"), "zip"),
            ("sheet-one-csv", "spreadsheet-export", "spreadsheet = \"sheet-a\"\nformat = \"csv\"\nsheets = [\"sheet-1\"]", "workiva",
             scenario.expectedWorkivaContent(resource: "sheet-a", format: "csv", singleSheet: true), "csv"),
            ("sheet-xlsx", "spreadsheet-export", "spreadsheet = \"sheet-a\"\nformat = \"xlsx\"", "workiva",
             scenario.expectedWorkivaContent(resource: "sheet-a", format: "xlsx"), "xlsx"),
            ("deck-pptx", "presentation-export", "presentation = \"deck-a\"\nformat = \"pptx\"", "workiva",
             scenario.expectedWorkivaContent(resource: "deck-a", format: "pptx"), "pptx"),
            ("file-document", "file-export", "file = \"file-a\"\nfile_kind = \"Document\"\nformat = \"pdf\"", "workiva",
             scenario.expectedWorkivaContent(resource: "file-a", format: "pdf"), "pdf"),
            ("file-folder-prototype", "file-export", "flavour = \"prototype\"\nfile = \"file-a\"\nfile_kind = \"Folder\"", "workiva",
             scenario.expectedWorkivaContent(resource: "file-a", format: "zip"), "zip"),
            ("file-supporting", "file-export", "file = \"file-a\"\nfile_kind = \"SupportingDocument\"", "workiva",
             scenario.expectedWorkivaContent(resource: "file-a", format: "pdf"), "pdf"),
            ("file-workiva", "file-export", "file = \"file-a\"\nfile_kind = \"Workiva\"", "workiva",
             scenario.expectedWorkivaContent(resource: "file-a", format: "zip"), "zip"),
            ("webadmit-csv", "webadmit-export", "export = 86446", "admissions", scenario.expectedWebAdmitContent(export: 86446), "csv"),
            ("webadmit-zip", "webadmit-export", "export = 86447", "admissions", scenario.expectedWebAdmitContent(export: 86447), "zip"),
        ]
        try harness.writeConfig(jobs: cases.map { job($0.0, $0.1, $0.2, source: $0.3) }.joined())
        let result = try await harness.runOnce()
        #expect(result.status == 0, "exportsync once failed:\n\(result.log.suffix(3_000))")

        for (name, _, _, _, content, ext) in cases {
            let content = try #require(content, "the sandbox has no expected content for \(name)")
            #expect(harness.sha256(of: "\(name).\(ext)") == content.sha256Hex(), "\(name).\(ext)")
        }
        #expect(harness.temporaryFiles().isEmpty)
        let runs = try await harness.lastRuns()
        #expect(runs.count == cases.count)
        #expect(runs.values.allSatisfy { $0["phase"] as? String == "done" && $0["attempt_count"] as? Int == 1 })

        let journal = harness.server.journal()
        // Credentials go only where they belong: nothing but the pre-signed query at storage.
        let storage = journal.filter { $0.listener == .storage }
        #expect(!storage.isEmpty, "downloads went through storage (redirect mode and WebAdMIT)")
        #expect(storage.allSatisfy { $0.credentials.allSatisfy { $0 == .presignedQuery } }, "\(storage.map(\.credentials))")
        // One token for the whole invocation.
        #expect(journal.filter { $0.path.hasSuffix("/oauth2/token") }.count == 1)
        // Exactly one accepted kickoff per job.
        let workivaKickoffs = journal.filter { $0.method == "POST" && $0.path.hasSuffix("/export") && $0.status == 202 }
        #expect(workivaKickoffs.count == 13)
        #expect(journal.filter { $0.method == "POST" && $0.path.hasSuffix("/export_files") && ($0.status ?? 0) / 100 == 2 }.count == 2)
        // No poll before the Retry-After the previous answer asked for (1 s, 50 ms slack for clocks).
        let polls = Dictionary(grouping: journal.filter { $0.method == "GET" && $0.path.contains("/operations/") }, by: \.path)
        #expect(polls.count == 13, "every Workiva operation was polled")
        let firstKickoffEnd = try #require(workivaKickoffs.compactMap(\.end).min())
        for (path, entries) in polls {
            let ordered = entries.sorted { $0.start < $1.start }
            #expect(ordered[0].start.timeIntervalSince(firstKickoffEnd) >= 0.95, "first poll of \(path) came early")
            for (previous, next) in zip(ordered, ordered.dropFirst()) {
                let gap = next.start.timeIntervalSince(previous.end ?? previous.start)
                #expect(gap >= 0.95, "poll of \(path) \(gap) s after the previous answer")
            }
        }
        #expect(!result.log.contains("test-secret-0001") && !result.log.contains("test-api-key-0001"), "a secret reached the log")
    }
}
