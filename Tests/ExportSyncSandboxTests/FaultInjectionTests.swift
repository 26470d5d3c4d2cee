import AsyncHTTPClient
import ExportSyncSandbox
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("Scripted faults")
struct FaultInjectionTests {
    static let path = WorkivaExportTests.attachmentPath

    /// Kicks off an attachment export and returns (token, Location).
    static func kickoff(_ sandbox: SandboxHarness) async throws -> (String, String) {
        let token = try await sandbox.token()
        let reply = try await sandbox.post(path, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
        try #require(reply.status == 202, "\(reply.status) \(reply.text)")
        return (token, try #require(reply.header("Location")))
    }

    @Test func theSecondPollOfAResourceAnswers503AndOnlyThatOne() async throws {
        let faults = [FaultRule(route: .workivaPoll, resource: "attachment-1", requests: [2], kind: .status, status: 503, retryAfter: 4)]
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 5), faults: faults)) { sandbox in
            let (token, location) = try await Self.kickoff(sandbox)
            var statuses: [Int] = []
            var second: SandboxHarness.Reply?
            for _ in 0..<3 {
                let reply = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
                statuses.append(reply.status)
                if statuses.count == 2 { second = reply }
            }
            #expect(statuses == [200, 503, 200])
            #expect(try second?.json()["code"] as? String == "503ServiceUnavailable")
            #expect(second?.header("Retry-After") == "4")
        }
    }

    @Test(arguments: [(429, nil as Int?), (429, 2), (500, nil), (409, nil)])
    func statusFaultsUseTheWorkivaErrorBody(status: Int, retryAfter: Int?) async throws {
        let faults = [FaultRule(route: .workivaKickoff, requests: [1], kind: .status, status: status, retryAfter: retryAfter)]
        try await withSandbox(TestScenarios.fast(faults: faults)) { sandbox in
            let token = try await sandbox.token()
            let reply = try await sandbox.post(Self.path, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(reply.status == status)
            #expect((try reply.json()["code"] as? String)?.hasPrefix(String(status)) == true)
            #expect(reply.header("Retry-After") == retryAfter.map(String.init))
            let retried = try await sandbox.post(Self.path, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(retried.status == 202)
        }
    }

    @Test(arguments: [502, 504])
    func gatewayErrorsAreHTMLNotJSON(status: Int) async throws {
        let faults = [FaultRule(route: .webadmitStart, resource: "86446", kind: .status, status: status)]
        try await withSandbox(TestScenarios.fast(faults: faults)) { sandbox in
            let reply = try await sandbox.send("POST", WebAdmitTests.startPath, headers: [("x-api-key", TestScenarios.apiKey)])
            #expect(reply.status == status)
            #expect(reply.header("Content-Type") == "text/html")
            #expect(reply.header("X-RateLimit-Remaining") != nil)
            #expect((try? JSONSerialization.jsonObject(with: Data(reply.body))) == nil)
        }
    }

    @Test func resetDropsTheConnectionWithoutAnAnswer() async throws {
        let faults = [FaultRule(route: .workivaPoll, requests: [1], kind: .reset)]
        try await withSandbox(TestScenarios.fast(faults: faults)) { sandbox in
            let (token, location) = try await Self.kickoff(sandbox)
            await #expect(throws: (any Error).self) {
                _ = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            }
            let after = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(after.status == 200)
            let polls = sandbox.server.journal().filter { $0.path.hasPrefix("/operations/") }
            #expect(polls.map(\.status) == [nil, 200])
        }
    }

    @Test func resetAfterEffectLosesTheReplyButKeepsTheEffect() async throws {
        let faults = [
            FaultRule(route: .workivaKickoff, requests: [1], kind: .resetAfterEffect),
            FaultRule(route: .webadmitStart, resource: "86446", requests: [1], kind: .resetAfterEffect),
        ]
        try await withSandbox(TestScenarios.fast(faults: faults)) { sandbox in
            let token = try await sandbox.token()
            await #expect(throws: (any Error).self) {
                _ = try await sandbox.post(Self.path, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            }
            #expect(await sandbox.server.operationCount(resource: "attachment-1") == 1, "the kickoff took effect")
            let key = [("x-api-key", TestScenarios.apiKey)]
            await #expect(throws: (any Error).self) {
                _ = try await sandbox.send("POST", WebAdmitTests.startPath, headers: key)
            }
            let listing = try await sandbox.send("GET", "/api/v1/user_identities/1001/export_files", headers: key)
            #expect(listing.status == 200)
            #expect(listing.text.contains("86446"), "the lost create's export file is listed: \(listing.text)")
            let journal = sandbox.server.journal().filter { $0.method == "POST" && !$0.path.hasSuffix("/oauth2/token") }
            #expect(journal.map(\.status) == [nil, nil], "no answer was sent for either")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func forSecondsFiresForAWindowThenNeverAgain() async throws {
        let faults = [FaultRule(route: .webadmitIdentities, kind: .status, status: 503, forSeconds: 1.5)]
        let clock = SandboxTestClock()
        try await withSandbox(TestScenarios.fast(faults: faults), clock: clock) { sandbox in
            let key = [("x-api-key", TestScenarios.apiKey)]
            let first = try await sandbox.send("GET", "/api/v1/user_identities", headers: key)
            clock.advance(by: 1.499)
            let second = try await sandbox.send("GET", "/api/v1/user_identities", headers: key)
            #expect(first.status == 503 && second.status == 503, "\(first.status), \(second.status)")
            // The rule answers 503 until 1.5 s after its first match, then never again.
            clock.advance(by: 0.001)
            #expect(try await sandbox.send("GET", "/api/v1/user_identities", headers: key).status == 200)
            clock.advance(by: 3_600)
            #expect(try await sandbox.send("GET", "/api/v1/user_identities", headers: key).status == 200)
            let journal = sandbox.server.journal().filter { $0.path == "/api/v1/user_identities" }
            #expect(journal.map(\.status) == [503, 503, 200, 200])
        }
    }

    @Test func retryAfterCanBeAnHTTPDate() async throws {
        let faults = [FaultRule(route: .workivaKickoff, requests: [1], kind: .status, status: 503, retryAfter: 120, retryAfterDate: true)]
        let clock = SandboxTestClock(start: Date(timeIntervalSince1970: 1_800_000_000.25))
        try await withSandbox(TestScenarios.fast(faults: faults), clock: clock) { sandbox in
            let token = try await sandbox.token()
            let reply = try await sandbox.post(Self.path, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(reply.status == 503)
            let header: String = try #require(reply.header("Retry-After"))
            #expect(header.hasSuffix(" GMT") && header.count == 29, "IMF-fixdate: \(header)")
            let date = try #require(RetryAfterDateParser.parse(header), "not an IMF-fixdate: \(header)")
            // 120 s from the server's now, rounded up to the whole second: never earlier than asked.
            #expect(date == Date(timeIntervalSince1970: 1_800_000_121), "\(header)")
        }
    }

    @Test func aRuleDecodesItsWindowAndRejectsContradictions() throws {
        let decoder = JSONDecoder()
        let rule = try decoder.decode(FaultRule.self, from: Data(#"{"route":"workiva.token","kind":"status","status":503,"forSeconds":60}"#.utf8))
        #expect(rule.forSeconds == 60)
        #expect(throws: DecodingError.self) {
            try decoder.decode(FaultRule.self, from: Data(#"{"route":"workiva.token","kind":"reset","requests":[1],"forSeconds":60}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try decoder.decode(FaultRule.self, from: Data(#"{"route":"workiva.token","kind":"status","status":503,"retryAfterDate":true}"#.utf8))
        }
    }

    /// A hung request is held (no status, no end) while a later request is answered; nothing
    /// here depends on how fast the request arrives.
    @Test(.timeLimit(.minutes(1)))
    func hangNeverAnswers() async throws {
        let faults = [FaultRule(route: .webadmitIdentities, requests: [1], kind: .hang, seconds: 30)]
        try await withSandbox(TestScenarios.fast(faults: faults)) { sandbox in
            let key = [("x-api-key", TestScenarios.apiKey)]
            let hanging = Task { try await sandbox.send("GET", "/api/v1/user_identities", headers: key, timeout: .seconds(50)) }
            let arrived = await sandbox.server.arrival { $0.path == "/api/v1/user_identities" }
            #expect(arrived?.status == nil, "seen as it arrived, before any answer")
            let after = try await sandbox.send("GET", "/api/v1/user_identities", headers: key)
            #expect(after.status == 200)
            let hung = sandbox.server.journal().first { $0.path == "/api/v1/user_identities" }
            #expect(hung?.status == nil && hung?.end == nil, "the hang answered: \(String(describing: hung))")
            hanging.cancel()
            _ = try? await hanging.value
            #expect(await sandbox.server.arrival(where: { $0.path == "/never" }, timeout: .milliseconds(50)) == nil, "a wait ends at its timeout")
        }
    }

    @Test func truncatedDownloadAnnouncesMoreThanItSends() async throws {
        var scenario = TestScenarios.fast(timeline: OperationTimeline(polls: 0))
        scenario.faults = [FaultRule(route: .workivaDownload, requests: [1], kind: .truncate)]
        try await withSandbox(scenario) { sandbox in
            let (token, location) = try await Self.kickoff(sandbox)
            let done = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            let resourceUrl = try #require(try done.json()["resourceUrl"] as? String)

            var request = HTTPClientRequest(url: resourceUrl)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "X-Version", value: "2026-01-01")
            let response = try await sandbox.client.execute(request, timeout: .seconds(10))
            let announced = Int(response.headers.first(name: "Content-Length") ?? "") ?? 0
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(announced == expected.byteCount)
            var received = 0
            await #expect(throws: (any Error).self) {
                for try await chunk in response.body { received += chunk.readableBytes }
            }
            #expect(received < announced)

            let retry = try await sandbox.send("GET", resourceUrl, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(sha256Hex(retry.body) == expected.sha256Hex())
        }
    }

    @Test func malformedJSONUnknownFieldsRelativeLocationAndKeyCasing() async throws {
        let faults = [
            FaultRule(route: .workivaKickoff, requests: [1], kind: .relativeLocation),
            FaultRule(route: .workivaPoll, requests: [1], kind: .malformedJSON),
            FaultRule(route: .workivaPoll, requests: [2], kind: .unknownFields),
            FaultRule(route: .workivaPoll, requests: [3], kind: .resourceURLCasing),
        ]
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 1), faults: faults)) { sandbox in
            let (token, location) = try await Self.kickoff(sandbox)
            #expect(location.hasPrefix("/operations/"), "relative Location: \(location)")
            let malformed = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(malformed.status == 200)
            #expect(malformed.header("Content-Type") == "application/json")
            #expect((try? JSONSerialization.jsonObject(with: Data(malformed.body))) == nil)
            let extra = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            let json = try extra.json()
            #expect(json["x_sandbox_unknown"] != nil)
            #expect(json["status"] as? String == "completed")
            let cased = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            let casedJSON = try cased.json()
            #expect(casedJSON["resourceURL"] is String)
            #expect(casedJSON["resourceUrl"] == nil)
        }
    }

    /// A delayed request is answered normally after its delay, and only it is held: an
    /// undelayed request sent meanwhile is answered while the delayed one still waits.
    @Test(.timeLimit(.minutes(1)))
    func delayWaitsThenAnswersNormally() async throws {
        let faults = [FaultRule(route: .webadmitExports, requests: [1], kind: .delay, seconds: 3)]
        try await withSandbox(TestScenarios.fast(faults: faults)) { sandbox in
            let key = [("x-api-key", TestScenarios.apiKey)]
            let started = Date()
            let slow = Task { try await sandbox.send("GET", "/api/v1/exports", headers: key) }
            while !sandbox.server.journal().contains(where: { $0.path == "/api/v1/exports" }) {
                try await Task.sleep(for: .milliseconds(5))
            }
            let quick = try await sandbox.send("GET", "/api/v1/exports", headers: key)
            #expect(quick.status == 200)
            let entries = sandbox.server.journal().filter { $0.path == "/api/v1/exports" }
            #expect(entries.count == 2 && entries[0].status == nil, "the first request was answered before its delay: \(entries)")
            let slowReply = try await slow.value
            #expect(slowReply.status == 200)
            #expect(Date().timeIntervalSince(started) >= 3)
        }
    }

    @Test func storageFaultsAnswerInXML() async throws {
        let faults = [FaultRule(route: .storageGet, resource: "86446", requests: [1], kind: .status, status: 503)]
        var scenario = TestScenarios.fast(faults: faults)
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: .available, polls: 0)
        try await withSandbox(scenario) { sandbox in
            let key = [("x-api-key", TestScenarios.apiKey)]
            let started = try WebAdmitTests.exportFile(try await sandbox.send("POST", WebAdmitTests.startPath, headers: key))
            let id = try #require(started["id"] as? Int)
            let status = try WebAdmitTests.exportFile(try await sandbox.send("GET", "/api/v1/exports/86446/export_files/\(id)", headers: key))
            let url = try #require(status["download_url"] as? String)
            let first = try await sandbox.send("GET", url)
            #expect(first.status == 503)
            #expect(first.header("Content-Type") == "application/xml")
            #expect(first.text.contains("<Code>SlowDown</Code>"))
            #expect(try await sandbox.send("GET", url).status == 200)
        }
    }
}

/// Reads an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only form the sandbox sends.
enum RetryAfterDateParser {
    static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: text)
    }
}
