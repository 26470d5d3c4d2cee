import ExportSyncCore
@testable import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Testing

@Suite("WebAdMIT client")
struct WebAdmitClientTests {
    @Test func exportRunIsDedupedPolledAndDownloadedWithoutTheKeyAtStorage() async throws {
        let clock = ManualClock()
        try await withProviders(Fixture.scenario(), clock: clock) { sandbox in
            let client = sandbox.webAdmitClient(clock: clock)
            let first = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            let second = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            #expect(first.id == second.id)
            #expect(first.exportID == "86446")
            #expect(first.outcome == .pending)

            var state = try await client.exportFile(exportID: "86446", fileID: first.id)
            while !state.outcome.isTerminal {
                #expect(state.downloadURL == nil)
                state = try await client.exportFile(exportID: "86446", fileID: first.id)
            }
            #expect(state.outcome == .succeeded)
            let url = try #require(state.downloadURL)
            // Signatures cover the expiry second: a second later every status call mints a new URL.
            clock.advance(by: 1.05)
            let fresh = try #require(try await client.exportFile(exportID: "86446", fileID: first.id).downloadURL)
            #expect(fresh != url)
            #expect(!state.description.contains("Signature"))
            sandbox.log.forbid(String(url.split(separator: "?").last ?? ""))

            let download = try await client.openDownload(url: fresh)
            let expected = try #require(sandbox.scenario.expectedWebAdmitContent(export: 86446))
            #expect(try await collect(download) == expected.bytes())
            #expect(download.fileName == expected.fileName)
            #expect(download.contentType == expected.contentType)

            let api = sandbox.journal.filter { $0.listener == .api }
            #expect(api.allSatisfy { $0.credentials == [.apiKey] })
            let storage = sandbox.journal.filter { $0.listener == .storage }
            #expect(storage.map(\.method) == ["GET"])
            #expect(storage.allSatisfy { $0.credentials == [.presignedQuery] })
            #expect(await client.rateLimitRemaining == sandbox.scenario.webadmit.hourlyQuota - api.count)
        }
    }

    @Test func expiredDownloadURLIsReportedAsExpired() async throws {
        var scenario = Fixture.scenario()
        scenario.webadmit.downloadURLLifetimeSeconds = 1
        let clock = ManualClock()
        try await withProviders(scenario, clock: clock) { sandbox in
            let client = sandbox.webAdmitClient(clock: clock)
            let run = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            var state = try await client.exportFile(exportID: "86446", fileID: run.id)
            while !state.outcome.isTerminal { state = try await client.exportFile(exportID: "86446", fileID: run.id) }
            let url = try #require(state.downloadURL)
            clock.advance(by: 2.1)
            let expired = await failure { try await client.openDownload(url: url) }
            #expect(expired == .expiredURL)
            // One attempt: an expired URL is not retried, the engine fetches a fresh one.
            #expect(sandbox.journal.filter { $0.listener == .storage }.map(\.status) == [403])
        }
    }

    @Test func legacyStatusesAndErrorsAreMapped() async throws {
        var scenario = Fixture.scenario()
        scenario.webadmit.legacyStatuses = true
        try await withProviders(scenario) { sandbox in
            let client = sandbox.webAdmitClient()
            let run = try await client.startExport(userIdentity: Fixture.identity, exportID: "86448")
            var state = try await client.exportFile(exportID: "86448", fileID: run.id)
            while !state.outcome.isTerminal { state = try await client.exportFile(exportID: "86448", fileID: run.id) }
            #expect(state.status == "empty_list")
            #expect(state.outcome == .succeededEmpty)
            #expect(state.downloadURL == nil)

            let unknown = await failure { try await client.startExport(userIdentity: "999", exportID: "86446") }
            #expect(unknown == .rejected(status: 404, code: nil, message: "User identity '999' not found.",
                                         endpoint: "/api/v1/user_identities/999/exports/86446/export_files"))

            let wrongKey = sandbox.webAdmitClient(key: "wrong-key")
            let refused = await failure { try await wrongKey.exportFile(exportID: "86446", fileID: run.id) }
            #expect(refused == .unauthorized(endpoint: "/api/v1/exports/86446/export_files/\(run.id)"))
        }
    }

    @Test func lowRemainingQuotaSpreadsTheCalls() async throws {
        var scenario = Fixture.scenario()
        scenario.webadmit.hourlyQuota = 10
        try await withProviders(scenario) { sandbox in
            let clock = ManualClock()
            let client = sandbox.webAdmitClient(requestsPerHour: 36_000, clock: clock)
            let run = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            for _ in 0..<9 { _ = try await client.exportFile(exportID: "86446", fileID: run.id) }
            #expect(await client.rateLimitRemaining == 0)
            // Below 5 % of the limit: the next call waits (spread over the hour, capped).
            #expect(await client.limiter.quotaSpacing == RequestRateLimiter.maximumSpacing)
            let before = clock.sleeps.count
            _ = await failure { try await client.exportFile(exportID: "86446", fileID: run.id) }
            #expect(clock.sleeps.dropFirst(before).contains { $0 >= RequestRateLimiter.maximumSpacing - 0.001 })
        }
    }

    @Test func listedExportFilesShowEveryRunAndTheOneToAdopt() async throws {
        var scenario = Fixture.scenario()
        // Unknown fields at the top level of every answer are ignored.
        scenario.faults = [FaultRule(route: .webadmitList, requests: [2], kind: .unknownFields)]
        try await withProviders(scenario) { sandbox in
            let client = sandbox.webAdmitClient()
            let empty = try await client.listExportFiles(userIdentity: Fixture.identity)
            #expect(empty == [])

            let first = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            let other = try await client.startExport(userIdentity: Fixture.identity, exportID: "86448")
            let listed = try await client.listExportFiles(userIdentity: Fixture.identity)
            #expect(Set(listed.map(\.id)) == [first.id, other.id])
            #expect(listed.first(where: { $0.id == first.id })?.exportID == "86446")
            #expect(listed.first(where: { $0.id == other.id })?.exportID == "86448")
            #expect(listed.allSatisfy { !$0.outcome.isTerminal })
            // The POST's answer was lost: the run in flight is the one it started.
            #expect(WebAdmitExportFile.adoptable(from: listed, exportID: "86446", knownFileIDs: []) == listed.first(where: { $0.id == first.id }))

            var state = try await client.exportFile(exportID: "86446", fileID: first.id)
            while !state.outcome.isTerminal { state = try await client.exportFile(exportID: "86446", fileID: first.id) }
            let second = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            #expect(second.id != first.id)
            let later = try await client.listExportFiles(userIdentity: Fixture.identity)
            #expect(later.first(where: { $0.id == first.id })?.outcome == .succeeded)
            #expect(later.first(where: { $0.id == first.id })?.status == "Available")
            let adopted = WebAdmitExportFile.adoptable(from: later, exportID: "86446", knownFileIDs: [first.id])
            #expect(adopted?.id == second.id)
            #expect(adopted?.outcome == .pending)

            let lists = sandbox.journal.filter { $0.method == "GET" && $0.path.hasSuffix("/export_files") }
            #expect(lists.map(\.path) == Array(repeating: "/api/v1/user_identities/\(Fixture.identity)/export_files", count: 3))
            #expect(lists.allSatisfy { $0.listener == .api && $0.credentials == [.apiKey] && $0.status == 200 })
            let api = sandbox.journal.filter { $0.listener == .api }
            #expect(await client.rateLimitRemaining == sandbox.scenario.webadmit.hourlyQuota - api.count)
        }
    }

    @Test func aListingAnswered429IsTransientAndSentOnce() async throws {
        let scenario = Fixture.scenario(faults: [
            FaultRule(route: .webadmitList, requests: [1], kind: .status, status: 429, retryAfter: 6),
        ])
        try await withProviders(scenario) { sandbox in
            let client = sandbox.webAdmitClient()
            let run = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            let throttled = await failure { try await client.listExportFiles(userIdentity: Fixture.identity) }
            #expect(throttled?.isTransient == true)
            #expect(throttled?.serverWait == 6)
            let listed = try await client.listExportFiles(userIdentity: Fixture.identity)
            #expect(listed.map(\.id) == [run.id])
            let lists = sandbox.journal.filter { $0.path.hasSuffix("/user_identities/\(Fixture.identity)/export_files") }
            #expect(lists.map(\.status) == [429, 200], "one request per call: the engine decides the wait")
        }
    }

    @Test func malformedListsAndUnknownIdentitiesAreReported() async throws {
        let scenario = Fixture.scenario(faults: [FaultRule(route: .webadmitList, requests: [1], kind: .malformedJSON)])
        try await withProviders(scenario) { sandbox in
            let client = sandbox.webAdmitClient()
            let malformed = await failure { try await client.listExportFiles(userIdentity: Fixture.identity) }
            #expect(malformed == .malformedResponse(
                "HTTP 200 from GET /api/v1/user_identities/\(Fixture.identity)/export_files holds no export_files list"))
            let empty = try await client.listExportFiles(userIdentity: Fixture.identity)
            #expect(empty == [])

            let unknown = await failure { try await client.listExportFiles(userIdentity: "999") }
            #expect(unknown == .rejected(status: 404, code: nil, message: "User identity '999' not found.",
                                         endpoint: "/api/v1/user_identities/999/export_files"))
            let refused = await failure { try await sandbox.webAdmitClient(key: "wrong-key").listExportFiles(userIdentity: Fixture.identity) }
            #expect(refused == .unauthorized(endpoint: "/api/v1/user_identities/\(Fixture.identity)/export_files"))
        }
    }

    @Test(arguments: [
        ListBody(#"{"href":"/x","export_files":[{"id":74780,"href":"/h","export_id":86446,"status":"Queued","extra":{"a":1}}],"page":1}"#,
                 [WebAdmitExportFile(id: "74780", exportID: "86446", status: "Queued")]),
        ListBody(#"{"export_files":[{"id":"74781","export_id":"86447","status":"Available"},{"ID":74782,"Export_ID":86448}]}"#,
                 [WebAdmitExportFile(id: "74781", exportID: "86447", status: "Available"),
                  WebAdmitExportFile(id: "74782", exportID: "86448", status: "")]),
        ListBody(#"{"href":"/x","export_files":[]}"#, []),
        ListBody(#"{"href":"/x"}"#, nil),
        ListBody(#"{"href":"/x","export_files":null}"#, nil),
        ListBody(#"{"href":"/x","export_files":{"id":1,"export_id":2,"status":"Queued"}}"#, nil),
        ListBody(#"{"href":"/x","export_files":"none"}"#, nil),
        ListBody(#"{"export_files":[{"id":1,"export_id":2},7]}"#, nil),
        ListBody(#"{"export_files":[{"export_id":2,"status":"Queued"}]}"#, nil),
        ListBody(#"{"export_files":[{"id":1,"status":"Queued"}]}"#, nil),
        ListBody(#"[{"id":1,"export_id":2,"status":"Queued"}]"#, nil),
    ])
    func listDecoding(_ body: ListBody) {
        #expect(WebAdmitExportFileDecoding.list(Array(body.json.utf8)) == body.expected, "\(body.json)")
    }

    @Test(arguments: AdoptionCase.table)
    func adoption(_ row: AdoptionCase) {
        let adopted = WebAdmitExportFile.adoptable(from: row.files, exportID: row.exportID, knownFileIDs: row.known)
        #expect(adopted?.id == row.expected, "\(row.name)")
    }
}

/// A list answer and what decoding it gives (`nil`: malformed).
struct ListBody: Sendable, CustomTestStringConvertible {
    let json: String
    let expected: [WebAdmitExportFile]?
    init(_ json: String, _ expected: [WebAdmitExportFile]?) {
        self.json = json
        self.expected = expected
    }
    var testDescription: String { json }
}

/// One row of the adoption table: files listed (`id:export:status`), known ids, the id adopted.
struct AdoptionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let files: [WebAdmitExportFile]
    let exportID: String
    let known: Set<String>
    let expected: String?

    init(_ name: String, _ files: [String], export: String = "86446", known: Set<String> = [], _ expected: String?) {
        self.name = name
        self.files = files.map { text in
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            return WebAdmitExportFile(id: parts[0], exportID: parts[1], status: parts[2])
        }
        self.exportID = export
        self.known = known
        self.expected = expected
    }

    var testDescription: String { name }

    static let table: [AdoptionCase] = [
        AdoptionCase("nothing listed", [], nil),
        AdoptionCase("only other exports", ["101:86447:Queued", "102:86448:Available"], nil),
        AdoptionCase("the run in flight", ["101:86446:Queued"], "101"),
        AdoptionCase("in flight, legacy spelling", ["101:86446:in_progress"], "101"),
        AdoptionCase("an unknown status counts as in flight", ["101:86446:Exporting", "102:86446:Available"], "101"),
        AdoptionCase("no status counts as in flight", ["99:86446:", "100:86446:Failed"], "99"),
        AdoptionCase("in flight wins over a newer finished file", ["101:86446:In Progress", "102:86446:Available"], "101"),
        AdoptionCase("in flight, even older than a known id", ["90:86446:Queued", "100:86446:Available"], known: ["100"], "90"),
        AdoptionCase("a known run in flight is not adopted", ["101:86446:Queued"], known: ["101"], nil),
        AdoptionCase("known in flight, newer finished adopted", ["101:86446:Queued", "102:86446:Available"], known: ["101"], "102"),
        AdoptionCase("several in flight: the newest", ["101:86446:Queued", "103:86446:Initializing", "102:86446:In Progress"], "103"),
        AdoptionCase("several in flight, none numeric: the first", ["a:86446:Queued", "b:86446:Queued"], "a"),
        AdoptionCase("finished, newer than every known id", ["100:86446:Available", "101:86446:Failed"], known: ["100"], "101"),
        AdoptionCase("finished: the largest new id", ["102:86446:Available", "103:86446:Empty List", "101:86446:Available"],
                     known: ["100"], "103"),
        AdoptionCase("finished but older than a known id", ["99:86446:Available", "100:86446:Available"], known: ["100"], nil),
        AdoptionCase("finished, between known ids", ["100:86446:Available", "105:86446:Available"], known: ["100", "110"], nil),
        AdoptionCase("finished, nothing known", ["100:86446:Success With Errors", "98:86446:Available"], "100"),
        AdoptionCase("ids compare as numbers", ["1000:86446:Available"], known: ["999"], "1000"),
        AdoptionCase("a finished non-numeric id is never adopted", ["x-1:86446:Available"], nil),
        AdoptionCase("a non-numeric known id bounds nothing", ["101:86446:Available"], known: ["legacy"], "101"),
        AdoptionCase("a known id of another export does not bound", ["101:86446:Available", "200:86447:Available"],
                     known: ["200"], "101"),
        AdoptionCase("a known id no longer listed bounds", ["101:86446:Available"], known: ["200"], nil),
        AdoptionCase("another export's run in flight is not adopted", ["101:86447:Queued", "100:86446:Available"],
                     known: ["100"], nil),
        AdoptionCase("the export named by the caller", ["101:86447:Queued", "100:86446:Available"], export: "86447", "101"),
    ]
}
