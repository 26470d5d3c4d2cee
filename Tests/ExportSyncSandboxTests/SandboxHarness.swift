import AsyncHTTPClient
import Crypto
import ExportSyncSandbox
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A started sandbox plus a real HTTP client that does not follow redirects.
struct SandboxHarness {
    let server: SandboxServer
    let endpoints: SandboxServer.Endpoints
    let client: HTTPClient

    var base: String { endpoints.baseURL }
    var scenario: SandboxScenario { server.scenario }

    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        func header(_ name: String) -> String? { headers.first(name: name) }

        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(body))
            return try #require(object as? [String: Any], "not a JSON object: \(text)")
        }
    }

    /// Sends one request and collects the whole answer.
    func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url.hasPrefix("http") ? url : base + url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: timeout)
        let collected = try await response.body.collect(upTo: 256 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
    }

    /// POSTs a JSON body.
    func post(_ path: String, json: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send("POST", path, headers: headers + [("Content-Type", "application/json")], body: Array(json.utf8))
    }

    /// A token for the scenario's first client, via the form flow.
    func token(scope: String? = nil) async throws -> String {
        let client = try #require(scenario.workiva.clients.first)
        var form = "grant_type=client_credentials&client_id=\(client.clientId)&client_secret=\(client.clientSecret)"
        if let scope { form += "&scope=\(scope.replacingOccurrences(of: " ", with: "+"))" }
        let reply = try await send("POST", "/iam/v1/oauth2/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
        try #require(reply.status == 200, "token request failed: \(reply.status) \(reply.text)")
        return try #require(try reply.json()["access_token"] as? String)
    }

    /// Bearer plus the version header a flavour needs.
    static func workivaHeaders(token: String, version: String? = "2026-01-01") -> [(String, String)] {
        var headers = [("Authorization", "Bearer \(token)")]
        if let version { headers.append(("X-Version", version)) }
        return headers
    }
}

/// Starts a sandbox for `scenario`, runs `body`, and always shuts both down.
func withSandbox<T>(_ scenario: SandboxScenario, clock: SandboxTestClock? = nil, _ body: (SandboxHarness) async throws -> T) async throws -> T {
    let server = SandboxServer(scenario: scenario, clock: clock?.sandboxClock ?? .system)
    let endpoints = try await server.start(host: "127.0.0.1", port: 0, storagePort: 0)
    let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30))))
    let harness = SandboxHarness(server: server, endpoints: endpoints, client: client)
    do {
        let result = try await body(harness)
        try await client.shutdown()
        await server.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        await server.shutdown()
        throw error
    }
}

/// The sandbox's time in tests of lifetimes and windows: it moves only when the test says, so
/// "expired after 3 s" is checked at 2.999 s and 3 s, not by sleeping past it.
final class SandboxTestClock: Sendable {
    private let current: Mutex<Date>

    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000.25)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    var sandboxClock: SandboxClock { SandboxClock { [self] in now } }
}

/// Scenarios tuned for fast tests: zero waits, no rate limits unless a test turns them on.
enum TestScenarios {
    static let clientId = "test-client"
    static let clientSecret = "test-secret-value-123"
    static let apiKey = "test-api-key-456"

    static func fast(
        timeline: OperationTimeline = OperationTimeline(polls: 2, seconds: 0, kickoffRetryAfter: 0, retryAfter: [3, 2, 1]),
        faults: [FaultRule] = []
    ) -> SandboxScenario {
        var scenario = SandboxScenario.demo
        scenario.workiva.clients = [WorkivaClient(clientId: clientId, clientSecret: clientSecret)]
        scenario.workiva.pollsPerSecond = 0
        scenario.workiva.requestsPerSecond = 0
        scenario.workiva.defaultTimeline = timeline
        scenario.workiva.resources.append(
            WorkivaResource(id: "spreadsheet-2", kind: .spreadsheet, name: "Ledger", size: 30_000, sheets: 2))
        scenario.webadmit.apiKeys = [WebAdmitAPIKey(key: apiKey)]
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: .available, polls: 2, seconds: 0)
        scenario.faults = faults
        return scenario
    }
}

/// Lower-case hex SHA-256.
func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
