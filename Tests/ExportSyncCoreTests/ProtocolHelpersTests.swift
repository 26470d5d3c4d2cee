import ExportSyncCore
import Foundation
import Testing

@Suite("Retry-After, backoff and status normalisation")
struct ProtocolHelpersTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("Retry-After in seconds is clamped; absent or garbage means no server pace")
    func seconds() {
        #expect(RetryAfter.delay(header: "7", now: now) == 7)
        #expect(RetryAfter.delay(header: " 0 ", now: now) == 1)
        #expect(RetryAfter.delay(header: "86400", now: now) == 300)
        #expect(RetryAfter.delay(header: nil, now: now) == nil)
        #expect(RetryAfter.delay(header: "", now: now) == nil)
        #expect(RetryAfter.delay(header: "-3", now: now) == nil)
        #expect(RetryAfter.delay(header: "soon", now: now) == nil)
    }

    @Test("Retry-After as an HTTP-date in all three RFC 9110 forms")
    func httpDate() throws {
        let target = try #require(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT"))
        #expect(target == Date(timeIntervalSince1970: 784_111_777))
        #expect(RetryAfter.httpDate("Sunday, 06-Nov-94 08:49:37 GMT") == target)
        #expect(RetryAfter.httpDate("Sun Nov  6 08:49:37 1994") == target)
        let later = target.addingTimeInterval(42)
        #expect(RetryAfter.delay(header: "Sun, 06 Nov 1994 08:50:19 GMT", now: target) == 42)
        #expect(RetryAfter.delay(header: "Sun, 06 Nov 1994 08:49:37 GMT", now: later) == 1, "a past date never gives a negative wait")
    }

    @Test("backoff grows, is jittered within [d/2, d], is reproducible from its seed and ends")
    func backoff() {
        let seed = UInt64(20_261_124)
        print("backoff seed: \(seed)")
        let policy = RetryPolicy(initialDelay: 1, multiplier: 2, maximumDelay: 5, maximumAttempts: 5)
        var first = SeededRandomNumberGenerator(seed: seed), second = SeededRandomNumberGenerator(seed: seed)
        let delays = (1...5).map { policy.delay(afterAttempt: $0, using: &first) }
        let again = (1...5).map { policy.delay(afterAttempt: $0, using: &second) }
        #expect(delays == again)
        let bases: [Double] = [1, 2, 4, 5]
        for (delay, base) in zip(delays.prefix(4), bases) {
            let value = delay ?? -1
            #expect(value >= base / 2 && value <= base)
        }
        #expect(delays[4] == nil, "the budget is spent after the last attempt")
    }

    @Test("Workiva statuses", arguments: [
        ("acknowledged", OperationOutcome.pending), ("queued", .pending), ("started", .pending),
        ("completed", .succeeded), ("failed", .failed), ("cancelled", .cancelled), ("COMPLETED", .succeeded),
    ])
    func workivaStatus(status: String, outcome: OperationOutcome) {
        #expect(OperationStatus.workiva(status) == outcome)
    }

    @Test("WebAdMIT statuses in both spellings", arguments: [
        ("Initializing", OperationOutcome.pending), ("Queued", .pending), ("In Progress", .pending), ("in_progress", .pending),
        ("Available", .succeeded), ("available", .succeeded), ("Success With Errors", .succeededWithWarnings),
        ("success_with_errors", .succeededWithWarnings), ("Empty List", .succeededEmpty), ("empty_list", .succeededEmpty),
        ("Failed", .failed), ("failed", .failed),
    ])
    func webAdmitStatus(status: String, outcome: OperationOutcome) {
        #expect(OperationStatus.webAdmit(status) == outcome)
        #expect(outcome.isTerminal == (outcome != .pending))
    }

    @Test("an unknown status is not terminal")
    func unknownStatus() {
        #expect(OperationStatus.workiva("paused") == .unknown("paused"))
        #expect(!OperationStatus.workiva("paused").isTerminal)
    }
}

@Suite("Content-Disposition file names")
struct ContentDispositionTests {
    @Test("names are read, preferring filename*, and sanitised", arguments: [
        ("attachment; filename=Test-API-Export.csv", "Test-API-Export.csv"),
        ("attachment; filename=\"report 2026.pdf\"", "report 2026.pdf"),
        ("attachment; filename=\"a\\\"b.pdf\"", "a\"b.pdf"),
        ("attachment; filename=\"plain.pdf\"; filename*=UTF-8''na%C3%AFve.pdf", "naïve.pdf"),
        ("attachment; filename*=iso-8859-1''caf%E9.csv", "café.csv"),
        ("attachment; filename=\"../../etc/passwd\"", "passwd"),
        ("attachment; filename=\"..\\\\..\\\\boot.ini\"", "boot.ini"),
        ("inline; filename=.hidden", "hidden"),
    ])
    func names(header: String, expected: String) {
        #expect(ContentDisposition.fileName(header) == expected)
    }

    @Test("headers without a usable name give nil", arguments: ["attachment", "attachment; filename=\"\"", "attachment; filename=..", "attachment; filename*=bogus"])
    func noName(header: String) {
        #expect(ContentDisposition.fileName(header) == nil)
    }
}

@Suite("Workiva kickoff requests")
struct WorkivaKickoffRequestTests {
    let locator = SampleLocator(testForm: "tf", testPhase: "tp", matrix: "m", sample: "s")

    func body(_ request: WorkivaKickoffRequest?) -> String {
        request.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
    }

    @Test("sample attachment export in all three flavours")
    func attachmentFlavours() throws {
        let modern = try #require(WorkivaKickoffRequest.export(.sampleAttachmentExport(flavour: .v2026, locator: locator, attachment: "a")))
        #expect(modern.path == "/testForms/tf/testPhases/tp/matrices/m/samples/s/attachments/a/export")
        #expect(modern.xVersion == "2026-01-01")
        #expect(body(modern) == #"{"format":"pdf"}"#)
        #expect(modern.scope == "graph:read")
        let v1 = WorkivaKickoffRequest.export(.sampleAttachmentExport(flavour: .platformV1, locator: locator, attachment: "a"))
        #expect(v1?.path == "/platform/v1/testForms/tf/testPhases/tp/matrices/m/samples/s/attachments/a/export")
        #expect(v1?.xVersion == "2022-01-01")
        let prototype = WorkivaKickoffRequest.export(.sampleAttachmentExport(flavour: .prototype, locator: locator, attachment: "a"))
        #expect(prototype?.path == "/prototype/platform/audits/tf/procedures/tp/matrices/m/samples/s/attachments/a/export")
        let phaseLevel = WorkivaKickoffRequest.export(.sampleAttachmentExport(
            flavour: .v2026, locator: SampleLocator(testForm: "tf", testPhase: "tp", matrix: nil, sample: nil), attachment: "a"))
        #expect(phaseLevel?.path == "/testForms/tf/testPhases/tp/attachments/a/export")
    }

    @Test("file exports carry the FileExportById body with nested options")
    func fileExports() {
        let sheet = WorkivaKickoffRequest.export(.fileExport(flavour: .v2026, file: "f1", fileKind: .spreadsheet(
            ContentExportSpec(kind: .spreadsheet, format: "xlsx", parts: ["s1"], options: ["exportAsFormulas": .bool(true)]))))
        #expect(sheet?.path == "/files/f1/export")
        #expect(body(sheet) == #"{"kind":"Spreadsheet","spreadsheetExport":{"format":"xlsx","sheets":["s1"],"xlsxOptions":{"exportAsFormulas":true}}}"#)
        #expect(sheet?.scope == "file:write")
        let folder = WorkivaKickoffRequest.export(.fileExport(flavour: .prototype, file: "f2", fileKind: .folder(["includeXBRL": .bool(true)])))
        #expect(folder?.path == "/prototype/platform/files/f2/export")
        #expect(body(folder) == #"{"folderExport":{"includeXBRL":true},"kind":"Folder"}"#)
        let workiva = WorkivaKickoffRequest.export(.fileExport(flavour: .platformV1, file: "f3", fileKind: .workiva(["emailOnComplete": .bool(false)])))
        #expect(body(workiva) == #"{"kind":"Workiva","workivaFileExport":{"workivaFileExportOptions":{"emailOnComplete":false}}}"#)
        #expect(body(WorkivaKickoffRequest.export(.fileExport(flavour: .v2026, file: "f4", fileKind: .supportingDocument))) == #"{"kind":"SupportingDocument"}"#)
    }

    @Test("content exports and uploads")
    func contentAndUpload() {
        let document = WorkivaKickoffRequest.export(.contentExport(flavour: .platformV1, id: "d 1", export: ContentExportSpec(
            kind: .document, format: "pdf", parts: ["sec"], options: ["includeComments": .bool(true)])))
        #expect(document?.path == "/platform/v1/documents/d%201/export")
        #expect(body(document) == #"{"format":"pdf","pdfOptions":{"includeComments":true},"sections":["sec"]}"#)
        #expect(WorkivaKickoffRequest.export(.webadmitExport(userIdentity: "1", exportID: "2")) == nil)
        let upload = WorkivaKickoffRequest.attachmentUpload(flavour: .v2026, locator: locator, fileName: "évidence.pdf")
        #expect(upload.path == "/testForms/tf/testPhases/tp/matrices/m/samples/s/attachmentUpload")
        #expect(body(upload) == #"{"fileName":"évidence.pdf"}"#)
        #expect(upload.scope == "graph:write")
    }
}
