import AsyncHTTPClient
import ExportSyncSandbox
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("Request journal, control endpoints, uploads")
struct JournalAndUploadTests {
    static let uploadPath = "/testForms/tf/testPhases/tp/matrices/m/samples/sample-1/attachmentUpload"

    /// Deterministic upload bytes from a printed seed.
    static func uploadBytes(count: Int, seed: UInt64) -> [UInt8] {
        print("upload bytes seed: \(seed)")
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test func journalRecordsCredentialKindsStatusesAndTimesButNoSecrets() async throws {
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 0))) { sandbox in
            let token = try await sandbox.token()
            _ = try await sandbox.send("GET", "/api/v1/user_identities", headers: [("x-api-key", TestScenarios.apiKey)])
            _ = try await sandbox.post(WorkivaExportTests.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            _ = try await sandbox.send("GET", "/nothing/here")

            let entries = sandbox.server.journal()
            #expect(entries.map(\.status) == [200, 200, 202, 404])
            #expect(entries.map(\.credentials) == [[], [.apiKey], [.bearer], []])
            #expect(entries[2].method == "POST")
            #expect(entries[2].path == WorkivaExportTests.attachmentPath)
            #expect(entries[2].xVersion == "2026-01-01")
            for entry in entries {
                let end = try #require(entry.end)
                #expect(end >= entry.start)
            }

            let health = try await sandbox.send("GET", "/_sandbox/health")
            #expect(try health.json()["status"] as? String == "ok")
            let http = try await sandbox.send("GET", "/_sandbox/journal")
            #expect(http.status == 200)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(http.body)) as? [[String: Any]])
            #expect(list.count == 4, "control endpoints are not journaled")
            #expect((list[1]["credentials"] as? [String]) == ["apiKey"])
            #expect((list[0]["start"] as? String)?.contains(".") == true, "fractional seconds")
            for secret in [TestScenarios.clientSecret, TestScenarios.apiKey, token] {
                #expect(!http.text.contains(secret), "the journal must not contain credential values")
            }
            #expect(try await sandbox.send("DELETE", "/_sandbox/journal").status == 204)
            #expect(sandbox.server.journal().isEmpty)
        }
    }

    @Test func uploadCompletesOnlyAfterThePutArrives() async throws {
        let seed = UInt64(20_261_124)
        let bytes = Self.uploadBytes(count: 100_000, seed: seed)
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 0))) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post(Self.uploadPath, json: #"{"fileName":"signature.jpg"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(kickoff.status == 202)
            let location = try #require(kickoff.header("Location"))
            #expect(location.hasPrefix(sandbox.base + "/operations/"))
            #expect(Int(kickoff.header("Retry-After") ?? "") != nil)
            let uploadUrl = try #require(try kickoff.json()["uploadUrl"] as? String)
            #expect(uploadUrl.hasPrefix(sandbox.endpoints.storageBaseURL))

            let before = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(["acknowledged", "queued", "started"].contains(try before.json()["status"] as? String ?? ""))

            // The documented example sends the Bearer along; the default mode tolerates it.
            let put = try await sandbox.send(
                "PUT", uploadUrl, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/octet-stream")], body: bytes)
            #expect(put.status == 200)
            let after = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            #expect(try after.json()["status"] as? String == "completed")
            let received = await sandbox.server.receivedUploads()
            #expect(received.count == 1)
            #expect(received.first?.sha256 == sha256Hex(bytes))
            #expect(received.first?.fileName == "signature.jpg")
            #expect(received.first?.byteCount == bytes.count)
        }
    }

    @Test func strictUploadsRejectTheBearerAndUploadURLsExpire() async throws {
        var scenario = TestScenarios.fast(timeline: OperationTimeline(polls: 0))
        scenario.workiva.strictUploadAuthorization = true
        scenario.workiva.uploadURLLifetimeSeconds = 1
        scenario.workiva.uploadDeadlineSeconds = 1.5
        let clock = SandboxTestClock()
        try await withSandbox(scenario, clock: clock) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post(Self.uploadPath, json: #"{"fileName":"a.pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            let uploadUrl = try #require(try kickoff.json()["uploadUrl"] as? String)
            let location = try #require(kickoff.header("Location"))
            let rejected = try await sandbox.send("PUT", uploadUrl, headers: [("Authorization", "Bearer \(token)")], body: [1, 2, 3])
            #expect(rejected.status == 400)
            #expect(rejected.text.contains("InvalidArgument"))

            clock.advance(by: 2.1)
            let expired = try await sandbox.send("PUT", uploadUrl, body: [1, 2, 3])
            #expect(expired.status == 403)
            #expect(expired.text.contains("Request has expired"))
            let failed = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            let json = try failed.json()
            #expect(json["status"] as? String == "failed")
            #expect(((json["details"] as? [[String: Any]])?.first?["code"] as? String) == "UploadNotReceived")
            #expect(await sandbox.server.receivedUploads().isEmpty)
        }
    }

    @Test func stateSurvivesAClientRestart() async throws {
        try await withSandbox(TestScenarios.fast(timeline: OperationTimeline(polls: 1))) { sandbox in
            let token = try await sandbox.token()
            let kickoff = try await sandbox.post(WorkivaExportTests.attachmentPath, json: #"{"format":"pdf"}"#, headers: SandboxHarness.workivaHeaders(token: token))
            let location = try #require(kickoff.header("Location"))
            _ = try await sandbox.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            // A brand-new client (new connections, as after a daemon restart) continues the operation.
            let restarted = SandboxHarness(server: sandbox.server, endpoints: sandbox.endpoints, client: .init(eventLoopGroupProvider: .singleton))
            let reply = try await restarted.send("GET", location, headers: SandboxHarness.workivaHeaders(token: token))
            try await restarted.client.shutdown()
            #expect(try reply.json()["status"] as? String == "completed")
        }
    }
}
