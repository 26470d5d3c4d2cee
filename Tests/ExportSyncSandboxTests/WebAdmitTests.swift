import ExportSyncSandbox
import Foundation
import Testing

@Suite("WebAdMIT API and its download URLs")
struct WebAdmitTests {
    let key = [("x-api-key", TestScenarios.apiKey)]
    static let startPath = "/api/v1/user_identities/1001/exports/86446/export_files"

    static func exportFile(_ reply: SandboxHarness.Reply) throws -> [String: Any] {
        try #require(try reply.json()["export_files"] as? [String: Any], "not an export_files object: \(reply.text)")
    }

    @Test func missingOrWrongKeyGets401WithAnEmptyBody() async throws {
        try await withSandbox(TestScenarios.fast()) { sandbox in
            for headers in [[], [("x-api-key", "wrong")], [("Authorization", "Bearer \(TestScenarios.apiKey)")]] {
                let reply = try await sandbox.send("GET", "/api/v1/user_identities", headers: headers)
                #expect(reply.status == 401)
                #expect(reply.body.isEmpty)
                #expect(reply.header("X-RateLimit-Limit") != nil)
                #expect(reply.header("X-RateLimit-Remaining") != nil)
            }
        }
    }

    @Test func listsHaveTheDocumentedShapes() async throws {
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let identities = try await sandbox.send("GET", "/api/v1/user_identities", headers: key)
            #expect(identities.status == 200)
            let identity = try #require((try identities.json()["user_identities"] as? [[String: Any]])?.first)
            for field in ["id", "type", "association", "institution", "organization", "cycle"] { #expect(identity[field] != nil) }

            let exports = try await sandbox.send("GET", "/api/v1/user_identities/1001/exports", headers: key)
            let items = try #require(try exports.json()["exports"] as? [[String: Any]])
            #expect(items.count == 3)
            let formats = Set(WebAdmitExport.Format.allCases.map(\.rawValue))
            for item in items {
                #expect(formats.contains(item["format"] as? String ?? ""))
                #expect(item.keys.contains("list_type"))
                #expect(item["mime_type"] is String)
            }
            #expect(try await sandbox.send("GET", "/api/v1/exports", headers: key).status == 200)

            let unknownIdentity = try await sandbox.send("GET", "/api/v1/user_identities/999/exports", headers: key)
            #expect(unknownIdentity.status == 404)
            #expect(try unknownIdentity.json()["message"] as? String == "User identity '999' not found.")
            let unknownExport = try await sandbox.send("POST", "/api/v1/user_identities/1001/exports/1/export_files", headers: key)
            #expect(unknownExport.status == 404)
            #expect(try unknownExport.json()["message"] as? String == "Not Found")
            let unknownFile = try await sandbox.send("GET", "/api/v1/exports/86446/export_files/1", headers: key)
            #expect(unknownFile.status == 404)
            #expect(try unknownFile.json()["message"] as? String == "Not Found")
        }
    }

    @Test func runProgressesWithCapitalisedStatusesAndTheSameIdWhileInFlight() async throws {
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let started = try await sandbox.send("POST", Self.startPath, headers: key)
            #expect(started.status == 201)
            let file = try Self.exportFile(started)
            let id = try #require(file["id"] as? Int)
            #expect(file["href"] as? String == "/api/v1/exports/86446/export_files/\(id)")
            #expect(file["export_id"] as? Int == 86446)
            #expect(file["status"] as? String == "Initializing")
            #expect(file["download_url"] == nil)

            let again = try await sandbox.send("POST", Self.startPath, headers: key)
            #expect(try Self.exportFile(again)["id"] as? Int == id, "a run in flight is returned, not a new one")

            var statuses: [String] = []
            var urls: [String] = []
            for _ in 0..<4 {
                let status = try Self.exportFile(try await sandbox.send("GET", "/api/v1/exports/86446/export_files/\(id)", headers: key))
                statuses.append(status["status"] as? String ?? "?")
                urls.append(status["download_url"] as? String ?? "missing")
            }
            #expect(statuses == ["Initializing", "Queued", "Available", "Available"])
            #expect(urls[0] == "" && urls[1] == "")
            #expect(urls[2].hasPrefix(sandbox.endpoints.storageBaseURL) && urls[3].hasPrefix(sandbox.endpoints.storageBaseURL))

            let batch = try await sandbox.send("GET", "/api/v1/user_identities/1001/export_files", headers: key)
            let listed = try #require(try batch.json()["export_files"] as? [[String: Any]])
            #expect(listed.first?["id"] as? Int == id)
            #expect(listed.allSatisfy { !$0.keys.contains("download_url") })

            let next = try await sandbox.send("POST", Self.startPath, headers: key)
            #expect(try Self.exportFile(next)["id"] as? Int == id + 1, "a finished run is not reused")

            let download = try await sandbox.send("GET", urls[3])
            #expect(download.status == 200)
            #expect(download.header("Content-Type") == "text/csv;charset=iso-8859-1")
            #expect(download.header("Content-Disposition") == "attachment; filename=Nightly-Banner-Export.csv")
            let expected = try #require(sandbox.scenario.expectedWebAdmitContent(export: 86446))
            #expect(sha256Hex(download.body) == expected.sha256Hex())
            #expect(download.body.contains(0xE9), "ISO-8859-1 é")

            let storage = sandbox.server.journal().filter { $0.listener == .storage }
            #expect(storage.count == 1)
            #expect(storage.first?.credentials == [.presignedQuery], "no API key may reach storage")
            #expect(storage.first?.query?.contains("Signature=REDACTED") == true)
            let signature = try #require(URLComponents(string: urls[3])?.queryItems?.first { $0.name == "Signature" }?.value)
            #expect(storage.first?.query?.contains(PercentEncodingForTests.encode(signature)) == false)
        }
    }

    @Test func downloadURLsExpireAndAFreshOneWorks() async throws {
        var scenario = TestScenarios.fast()
        scenario.webadmit.downloadURLLifetimeSeconds = 1
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: .available, polls: 0)
        let clock = SandboxTestClock()
        try await withSandbox(scenario, clock: clock) { sandbox in
            let id = try #require(try Self.exportFile(try await sandbox.send("POST", Self.startPath, headers: key))["id"] as? Int)
            let status = try Self.exportFile(try await sandbox.send("GET", "/api/v1/exports/86446/export_files/\(id)", headers: key))
            let url = try #require(status["download_url"] as? String)
            #expect(url.contains("AWSAccessKeyId=") && url.contains("Expires=") && url.contains("Signature="))
            #expect(url.contains("response-content-disposition=") && url.contains("response-content-type="))

            let head = try await sandbox.send("HEAD", url)
            #expect(head.status == 403)
            let withKey = try await sandbox.send("GET", url, headers: key)
            #expect(withKey.status == 400)
            #expect(withKey.text.contains("<Code>InvalidArgument</Code>"))
            #expect(!withKey.text.contains(TestScenarios.apiKey), "S3 errors must not echo the key")
            let tampered = try await sandbox.send("GET", url.replacingOccurrences(of: "Expires=", with: "Expires=9"))
            #expect(tampered.status == 403)

            // `Expires` is whole seconds: the URL is good through the second it names.
            clock.advance(by: 2.1)
            let expired = try await sandbox.send("GET", url)
            #expect(expired.status == 403)
            #expect(expired.header("Content-Type") == "application/xml")
            #expect(expired.text.contains("<Code>AccessDenied</Code>"))
            #expect(expired.text.contains("<Message>Request has expired</Message>"))
            #expect(expired.text.contains("<Expires>") && expired.text.contains("<ServerTime>"))

            let fresh = try Self.exportFile(try await sandbox.send("GET", "/api/v1/exports/86446/export_files/\(id)", headers: key))
            let freshURL = try #require(fresh["download_url"] as? String)
            #expect(freshURL != url)
            #expect(try await sandbox.send("GET", freshURL).status == 200)
        }
    }

    @Test func legacyStatusesAndTerminalOutcomes() async throws {
        var scenario = TestScenarios.fast()
        scenario.webadmit.legacyStatuses = true
        try await withSandbox(scenario) { sandbox in
            let id = try #require(try Self.exportFile(try await sandbox.send("POST", Self.startPath, headers: key))["id"] as? Int)
            var statuses: [String] = []
            for _ in 0..<3 {
                let file = try Self.exportFile(try await sandbox.send("GET", "/api/v1/exports/86446/export_files/\(id)", headers: key))
                statuses.append(file["status"] as? String ?? "?")
            }
            #expect(statuses == ["initializing", "queued", "available"])

            let empty = try Self.exportFile(
                try await sandbox.send("POST", "/api/v1/user_identities/1001/exports/86448/export_files", headers: key))
            let emptyId = try #require(empty["id"] as? Int)
            var last: [String: Any] = [:]
            for _ in 0..<3 {
                last = try Self.exportFile(try await sandbox.send("GET", "/api/v1/exports/86448/export_files/\(emptyId)", headers: key))
            }
            #expect(last["status"] as? String == "empty_list")
            #expect(last["download_url"] as? String == "")
        }
    }

    @Test(arguments: [ExportFileTimeline.Outcome.successWithErrors, .failed, .emptyList])
    func terminalOutcomesDecideWhetherThereIsAFile(outcome: ExportFileTimeline.Outcome) async throws {
        var scenario = TestScenarios.fast()
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: outcome, polls: 0)
        try await withSandbox(scenario) { sandbox in
            let id = try #require(try Self.exportFile(try await sandbox.send("POST", Self.startPath, headers: key))["id"] as? Int)
            let file = try Self.exportFile(try await sandbox.send("GET", "/api/v1/exports/86446/export_files/\(id)", headers: key))
            #expect(file["status"] as? String == outcome.rawValue)
            let url = try #require(file["download_url"] as? String)
            #expect(url.isEmpty == (outcome != .successWithErrors))
        }
    }

    @Test func hourlyQuotaCountsDownAndThenAnswers429() async throws {
        var scenario = TestScenarios.fast()
        scenario.webadmit.hourlyQuota = 3
        try await withSandbox(scenario) { sandbox in
            var remaining: [String?] = []
            var statuses: [Int] = []
            for _ in 0..<4 {
                let reply = try await sandbox.send("GET", "/api/v1/user_identities", headers: key)
                statuses.append(reply.status)
                remaining.append(reply.header("X-RateLimit-Remaining"))
                #expect(reply.header("X-RateLimit-Limit") == "3")
            }
            #expect(statuses == [200, 200, 200, 429])
            #expect(remaining == ["2", "1", "0", "0"])
        }
    }

    @Test func zipExportAndCallbackDelivery() async throws {
        var scenario = TestScenarios.fast()
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: .available, polls: 0, seconds: 0.2)
        try await withSandbox(scenario) { sandbox in
            let callback = sandbox.base + "/_sandbox/callbacks"
            let started = try await sandbox.post(
                "/api/v1/user_identities/1001/exports/86447/export_files", json: #"{"callback":"\#(callback)"}"#, headers: key)
            #expect(started.status == 201)
            let id = try #require(try Self.exportFile(started)["id"] as? Int)
            var received: [String] = []
            for _ in 0..<40 where received.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                let list = try await sandbox.send("GET", "/_sandbox/callbacks")
                received = (try JSONSerialization.jsonObject(with: Data(list.body)) as? [String]) ?? []
            }
            #expect(received == ["export_file%5Bid%5D=\(id)&export_file%5Bexport_id%5D=86447&export_file%5Bstatus%5D=Available"])

            let status = try Self.exportFile(try await sandbox.send("GET", "/api/v1/exports/86447/export_files/\(id)", headers: key))
            let url = try #require(status["download_url"] as? String)
            let zip = try await sandbox.send("GET", url)
            #expect(zip.header("Content-Type") == "application/zip")
            #expect(try ZIPCheck.entries(zip.body).count == 2)
        }
    }
}

/// Percent-encodes like the sandbox's URLs do (RFC 3986 unreserved set kept).
enum PercentEncodingForTests {
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }
}
