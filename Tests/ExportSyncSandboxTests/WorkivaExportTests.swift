import ExportSyncSandbox
import Foundation
import Testing

@Suite("Workiva kick-off, operations, downloads")
struct WorkivaExportTests {
    static let attachmentPath = "/testForms/tf1/testPhases/tp1/matrices/m1/samples/s1/attachments/attachment-1/export"

    /// Polls `location` until terminal (no waiting: the test scenario answers Retry-After but
    /// has no poll rate limit); returns every answer.
    static func pollToEnd(_ sandbox: SandboxHarness, _ location: String, token: String, version: String? = "2026-01-01") async throws
        -> [SandboxHarness.Reply]
    {
        var replies: [SandboxHarness.Reply] = []
        for _ in 0..<20 {
            let reply = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token, version: version))
            replies.append(reply)
            guard reply.status == 200, let status = try reply.json()["status"] as? String else { continue }
            if ["completed", "failed", "cancelled"].contains(status) { break }
        }
        return replies
    }

    @Test func kickoffAnswers202WithEmptyBodyAbsoluteLocationAndIntegerRetryAfter() async throws {
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 1, kickoffRetryAfter: 7))) { sandbox in
            let token = try await sandbox.token()
            let reply = try await sandbox.post(Self.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(reply.status == 202)
            #expect(reply.body.isEmpty)
            #expect(reply.header("Content-Length") == "0")
            let location = try #require(reply.header("Location"))
            #expect(location.hasPrefix(sandbox.base + "/operations/"))
            #expect(reply.header("Retry-After") == "7")
        }
    }

    @Test func operationProgressesToCompletedAndTheDownloadMatchesTheExpectedBytes() async throws {
        let scenario = TestScenarios.fast(timeline: OperationTimeline(polls: 3, kickoffRetryAfter: 0, retryAfter: [5, 3, 1]))
        try await withSandbox(scenario) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post(Self.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            let location = try #require(kickoff.header("Location"))
            let polls = try await Self.pollToEnd(sandbox, location, token: token)
            let statuses = try polls.map { try $0.json()["status"] as? String ?? "?" }
            #expect(statuses.count == 4)
            #expect(statuses.last == "completed")
            #expect(statuses.dropLast().allSatisfy { ["acknowledged", "queued", "started"].contains($0) })
            #expect(polls.map { $0.header("Retry-After") } == ["5", "3", "1", "1"])

            let allowed = OpenAPIFacts.enumValues(schema: "Operation", property: "status")
            #expect(allowed.count == 6)
            for status in statuses { #expect(allowed.contains(status)) }

            let final = try polls.last!.json()
            #expect(UUID(uuidString: final["originalRequest"] as? String ?? "") != nil)
            let created = try #require((final["created"] as? [String: Any])?["dateTime"] as? String)
            let updated = try #require((final["updated"] as? [String: Any])?["dateTime"] as? String)
            let style = Date.ISO8601FormatStyle()
            #expect(try style.parse(updated) >= style.parse(created))
            let resourceUrl = try #require(final["resourceUrl"] as? String)
            #expect(resourceUrl.hasPrefix(sandbox.base + "/exports/"))

            let unauthenticated = try await sandbox.send("GET", resourceUrl, headers: [("X-Version", "2026-01-01")])
            #expect(unauthenticated.status == 401)
            let download = try await sandbox.send("GET", resourceUrl, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(download.status == 200)
            #expect(download.header("Content-Type") == "application/pdf")
            #expect(download.header("Content-Disposition") == "attachment; filename=\"Sample evidence.pdf\"")
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(sha256Hex(download.body) == expected.sha256Hex())
            #expect(download.body.count == expected.byteCount)
            try PDFCheck.validate(download.body)
        }
    }

    @Test(arguments: [
        ("/platform/v1", nil as String?), ("/platform/v1", "2022-01-01"), ("/prototype/platform", nil), ("/prototype/platform", "2022-01-01"),
    ])
    func the2022FlavoursAnswerLocationsInTheirOwnFlavour(prefix: String, version: String?) async throws {
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 0))) { sandbox in
            let token = try await sandbox.token()
            let path = prefix == "/prototype/platform"
                ? "/prototype/platform/audits/a1/procedures/p1/matrices/m1/samples/s1/attachments/attachment-1/export"
                : "/platform/v1" + Self.attachmentPath
            let kickoff = try await sandbox.post(path, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token, version: version))
            #expect(kickoff.status == 202)
            let location = try #require(kickoff.header("Location"))
            #expect(location.hasPrefix(sandbox.base + prefix + "/operations/"))
            let polls = try await Self.pollToEnd(sandbox, location, token: token, version: version)
            #expect(try polls.last?.json()["status"] as? String == "completed")
            // An operation exists only in the flavour that created it.
            let operationId = try #require(location.split(separator: "/").last)
            let crossFlavour = try await sandbox.send("GET", "/operations/\(operationId)", headers: SandboxHarness.workivaHeaders(token: token))
            #expect(crossFlavour.status == 404)
            let resourceUrl = try #require(try polls.last?.json()["resourceUrl"] as? String)
            #expect(resourceUrl.hasPrefix(sandbox.base + prefix + "/exports/"))

            let fileExport = try await sandbox.post(
                prefix + "/files/file-1/export", json: #"{"kind":"SupportingDocument"}"#,
                headers: SandboxHarness.workivaHeaders(token: token, version: version))
            #expect(fileExport.status == 202)
            #expect(fileExport.header("Location")?.hasPrefix(sandbox.base + prefix + "/operations/") == true)
        }
    }

    @Test func the2026PathsRequireTheVersionHeader() async throws {
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let token = try await sandbox.token()
            let missing = try await sandbox.post(Self.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token, version: nil))
            #expect(missing.status == 404)
            #expect(try missing.json()["code"] as? String == "404NotFound")
            let wrong = try await sandbox.post(Self.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token, version: "2031-01-01"))
            #expect(wrong.status == 400)
            #expect(try wrong.json()["code"] as? String == "400BadRequest")
        }
    }

    @Test func failedOperationsCarryDetailsAndANullResourceUrl() async throws {
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post(
                "/testForms/tf/testPhases/tp/attachments/attachment-broken/export", json: #"{"format":"pdf"}"#,
                headers: SandboxHarness.workivaHeaders(token: token))
            #expect(kickoff.status == 202)
            let polls = try await Self.pollToEnd(sandbox, try #require(kickoff.header("Location")), token: token)
            let final = try #require(try polls.last?.json())
            #expect(final["status"] as? String == "failed")
            #expect(final.keys.contains("resourceUrl"))
            #expect(final["resourceUrl"] is NSNull)
            let details = try #require(final["details"] as? [[String: Any]])
            #expect(details.first?["code"] as? String == "ExportFailed")
            #expect(details.first?["target"] is String)
        }
    }

    @Test func bodyEnumsFromTheOpenAPISchemasAreAcceptedAndOthersRejected() async throws {
        let oas = OpenAPIFacts.self
        let cases: [(path: String, schema: String, property: String, body: (String) -> String)] = [
            ("/documents/document-1/export", "DocumentExport", "format", { #"{"format":"\#($0)"}"# }),
            ("/spreadsheets/spreadsheet-1/export", "SpreadsheetExport", "format", { #"{"format":"\#($0)"}"# }),
            ("/presentations/presentation-1/export", "PresentationExport", "format", { #"{"format":"\#($0)"}"# }),
            ("/files/file-1/export", "FileExportById", "kind", { #"{"kind":"\#($0)"}"# }),
            (Self.attachmentPath, "GraphAttachmentExport", "format", { #"{"format":"\#($0)"}"# }),
        ]
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let token = try await sandbox.token()
            for (path, schema, property, body) in cases {
                let values = oas.enumValues(schema: schema, property: property)
                #expect(!values.isEmpty, "no enum for \(schema).\(property)")
                for value in values {
                    let reply = try await sandbox.post(path, json: body(value), headers: SandboxHarness.workivaHeaders(token: token))
                    #expect(reply.status == 202, "\(schema).\(property)=\(value): \(reply.status) \(reply.text)")
                }
                let rejected = try await sandbox.post(path, json: body("bogus"), headers: SandboxHarness.workivaHeaders(token: token))
                #expect(rejected.status == 400)
                let error = try rejected.json()
                #expect(error["code"] as? String == "400BadRequest")
                #expect(error["message"] is String)
                #expect(((error["details"] as? [[String: Any]])?.first?["target"] as? String)?.hasSuffix(property) == true)
                for key in error.keys { #expect(oas.propertyNames(schema: "ErrorResponse").contains(key), "unexpected \(key)") }
            }
            let noBody = try await sandbox.send("POST", "/documents/document-1/export", headers: SandboxHarness.workivaHeaders(token: token))
            #expect(noBody.status == 400)
            let badOption = try await sandbox.post(
                "/spreadsheets/spreadsheet-1/export", json: #"{"format":"xlsx","xlsxOptions":{"exportPrecision":"exact"}}"#,
                headers: SandboxHarness.workivaHeaders(token: token))
            #expect(badOption.status == 400)
            let twoSheetCSV = try await sandbox.post(
                "/spreadsheets/spreadsheet-1/export", json: #"{"format":"csv","sheets":["a","b"]}"#,
                headers: SandboxHarness.workivaHeaders(token: token))
            #expect(twoSheetCSV.status == 400)
            let upload = try await sandbox.post(
                "/testForms/t/testPhases/p/matrices/m/samples/sample-1/attachmentUpload", json: #"{"name":"x"}"#,
                headers: SandboxHarness.workivaHeaders(token: token))
            #expect(upload.status == 400)
        }
    }

    @Test func scopesUnknownResourcesAndUnknownOperations() async throws {
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let readOnly = try await sandbox.token(scope: "file:read")
            let forbidden = try await sandbox.post(Self.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: readOnly))
            #expect(forbidden.status == 403)
            #expect(try forbidden.json()["code"] as? String == "403Forbidden")
            let fileExport = try await sandbox.post("/files/file-1/export", json: #"{"kind":"Document"}"#, headers: SandboxHarness.workivaHeaders(token: readOnly))
            #expect(fileExport.status == 403, "files/{id}/export needs file:write")

            let token = try await sandbox.token()
            let unknownResource = try await sandbox.post(
                "/documents/no-such-document/export", json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(unknownResource.status == 404)
            let unknownOperation = try await sandbox.send("GET", "/operations/0123456789abcdef", headers: SandboxHarness.workivaHeaders(token: token))
            #expect(unknownOperation.status == 404)
            #expect(try unknownOperation.json()["code"] as? String == "404NotFound")
            let unknownRoute = try await sandbox.send("GET", "/no/such/route", headers: SandboxHarness.workivaHeaders(token: token))
            #expect(unknownRoute.status == 404)
        }
    }

    @Test func pollsAreRateLimitedPerTokenWithAndWithoutRetryAfter() async throws {
        // One poll per 4 s per token, on a clock that moves only when the test says.
        var scenario = TestScenarios.fast(timeline: OperationTimeline(polls: 50))
        scenario.workiva.pollsPerSecond = 0.25
        scenario.workiva.retryAfterOn429 = .alternate
        let clock = SandboxTestClock()
        try await withSandbox(scenario, clock: clock) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post(Self.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            let location = try #require(kickoff.header("Location"))
            let first = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            let second = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            let third = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(first.status == 200)
            #expect(second.status == 429)
            #expect(try second.json()["code"] as? String == "429TooManyRequests")
            let wait = try #require(second.header("Retry-After").flatMap(Int.init))
            #expect((1...4).contains(wait), "Retry-After \(wait)")
            #expect(third.status == 429)
            #expect(third.header("Retry-After") == nil)
            // Another token has its own budget.
            let other = try await sandbox.token()
            #expect(try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: other)).status == 200)
            clock.advance(by: 3.9)
            #expect(try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token)).status == 429, "the bucket refilled early")
            clock.advance(by: 0.1)
            #expect(try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token)).status == 200)
        }
    }

    @Test func wholeWorkbookCSVIsAZipOfLatin1CSVsWithCorrectCRCs() async throws {
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 0))) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post("/spreadsheets/spreadsheet-2/export", json: #"{"format":"csv"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            let polls = try await Self.pollToEnd(sandbox, try #require(kickoff.header("Location")), token: token)
            let resourceUrl = try #require(try polls.last?.json()["resourceUrl"] as? String)
            let download = try await sandbox.send("GET", resourceUrl, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(download.header("Content-Type") == "application/zip")
            let entries = try ZIPCheck.entries(download.body)
            #expect(entries.map(\.name) == ["Ledger-sheet1.csv", "Ledger-sheet2.csv"])
            for entry in entries {
                #expect(entry.data.contains(0xE9), "expected a Latin-1 é byte")
                #expect(String(validating: entry.data, as: UTF8.self) == nil, "Latin-1 bytes are not valid UTF-8")
            }
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "spreadsheet-2", format: "csv"))
            #expect(sha256Hex(download.body) == expected.sha256Hex())

            let single = try await sandbox.post(
                "/spreadsheets/spreadsheet-2/export", json: #"{"format":"csv","sheets":["s1"]}"#, headers: SandboxHarness.workivaHeaders(token: token))
            let singlePolls = try await Self.pollToEnd(sandbox, try #require(single.header("Location")), token: token)
            let singleUrl = try #require(try singlePolls.last?.json()["resourceUrl"] as? String)
            let csv = try await sandbox.send("GET", singleUrl, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(csv.header("Content-Type") == "text/csv")
            let expectedCSV = try #require(sandbox.scenario.expectedWorkivaContent(resource: "spreadsheet-2", format: "csv", singleSheet: true))
            #expect(sha256Hex(csv.body) == expectedCSV.sha256Hex())
        }
    }

    @Test func redirectModeSendsAPresignedStorageURLThatRejectsTheBearer() async throws {
        var scenario = TestScenarios.fast(timeline: OperationTimeline(polls: 0))
        scenario.workiva.downloadMode = .redirect
        try await withSandbox(scenario) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post("/documents/document-1/export", json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            let polls = try await Self.pollToEnd(sandbox, try #require(kickoff.header("Location")), token: token)
            let resourceUrl = try #require(try polls.last?.json()["resourceUrl"] as? String)
            let redirect = try await sandbox.send("GET", resourceUrl, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(redirect.status == 302)
            let target = try #require(redirect.header("Location"))
            #expect(target.hasPrefix(sandbox.endpoints.storageBaseURL), "storage is another origin")
            #expect(target.contains("Signature=") && target.contains("Expires="))

            let leaked = try await sandbox.send("GET", target, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(leaked.status == 400)
            #expect(leaked.header("Content-Type") == "application/xml")
            #expect(leaked.text.contains("<Code>InvalidArgument</Code>"))
            #expect(leaked.text.contains("Only one auth mechanism allowed"))

            let clean = try await sandbox.send("GET", target)
            #expect(clean.status == 200)
            #expect(clean.header("Content-Disposition") == "attachment; filename=\"Board memo.pdf\"")
            #expect(clean.header("Content-Type") == "application/pdf")
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "document-1", format: "pdf"))
            #expect(sha256Hex(clean.body) == expected.sha256Hex())
        }
    }

    @Test func preparedOperationsExistFromTheStartAndFollowTheirTimeline() async throws {
        var scenario = TestScenarios.fast(timeline: OperationTimeline(polls: 1, seconds: 0, kickoffRetryAfter: 0, retryAfter: [4]))
        scenario.workiva.preparedOperations = [
            PreparedOperations(idPrefix: "backlog-", count: 1_200, resource: "attachment-1", clientId: TestScenarios.clientId)
        ]
        try await withSandbox(scenario) { sandbox in
            let token = try await sandbox.token()
            let replies = try await Self.pollToEnd(sandbox, "/operations/backlog-001199", token: token)
            #expect(replies.map(\.status) == [200, 200])
            #expect(try replies.map { try $0.json()["status"] as? String } == ["acknowledged", "completed"])
            #expect(replies.first?.header("Retry-After") == "4")
            let resource = try #require(try replies.last?.json()["resourceUrl"] as? String)
            let content = try await sandbox.send("GET", resource, headers: SandboxHarness.workivaHeaders(token: token))
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(sha256Hex(content.body) == expected.sha256Hex())
            #expect(try await sandbox.send("GET", "/operations/backlog-001200", headers: SandboxHarness.workivaHeaders(token: token)).status == 404,
                    "ids run from 000000 to count - 1")
        }
    }

    @Test func preparedOperationsMustNameAnExportableResource() throws {
        let toml = """
            [[workiva.resources]]
            id = "sample-1"
            kind = "sample"

            [[workiva.preparedOperations]]
            idPrefix = "b-"
            count = 3
            resource = "sample-1"
            clientId = "c"
            """
        do {
            _ = try SandboxScenario.decode(toml: toml)
            Issue.record("a sample cannot be exported")
        } catch let error as SandboxScenario.LoadError {
            #expect(error.description.contains("preparedOperations"), "\(error.description)")
            #expect(error.description.contains("sample-1"), "\(error.description)")
        }
    }
}
