import AsyncHTTPClient
import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing

/// Identifiers and secrets the test scenarios use (the secrets are scanned for in logs).
enum Fixture {
    static let clientID = "providers-client"
    static let clientSecret = "s3cr3t&value=with spaces+plus"
    static let apiKey = "webadmit-key-9f8e7d6c5b4a"
    static let identity = "1001"
    static let locator = SampleLocator(testForm: "tf1", testPhase: "tp1", matrix: "m1", sample: "s1")
    static let uploadLocator = SampleLocator(testForm: "tf1", testPhase: "tp1", matrix: "m1", sample: "sample-1")

    /// The seed of this run's backoff jitter: `PROVIDERS_TEST_SEED` or the time; printed.
    static let seed: UInt64 = {
        let seed = ProcessInfo.processInfo.environment["PROVIDERS_TEST_SEED"].flatMap(UInt64.init)
            ?? UInt64(Date().timeIntervalSince1970 * 1000)
        print("ExportSyncProvidersTests seed: \(seed) (set PROVIDERS_TEST_SEED to repeat)")
        return seed
    }()

    /// A scenario with fast timings, no server-side rate limits, and the fixture credentials.
    static func scenario(
        timeline: OperationTimeline = OperationTimeline(polls: 1, seconds: 0, kickoffRetryAfter: 0, retryAfter: [0]),
        faults: [FaultRule] = []
    ) -> SandboxScenario {
        var scenario = SandboxScenario.demo
        scenario.workiva.clients = [ExportSyncSandbox.WorkivaClient(clientId: clientID, clientSecret: clientSecret)]
        scenario.workiva.pollsPerSecond = 0
        scenario.workiva.requestsPerSecond = 0
        scenario.workiva.defaultTimeline = timeline
        scenario.webadmit.apiKeys = [WebAdmitAPIKey(key: apiKey)]
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: .available, polls: 1, seconds: 0)
        scenario.faults = faults
        return scenario
    }

    /// Timeouts are generous (20 s): with the whole suite sharing 2 cores, an answer from the
    /// in-process sandbox was seen to take over 5 s; tests about timeouts set their own.
    static let settings = ProviderSettings(requestTimeoutSeconds: 20, uploadTimeoutSeconds: 20)
}

/// A running sandbox, an HTTP client configured as the providers expect, and a captured log.
struct ProviderHarness: Sendable {
    let server: SandboxServer
    let endpoints: SandboxServer.Endpoints
    let httpClient: HTTPClient
    let log: CapturedLog

    var scenario: SandboxScenario { server.scenario }
    var journal: [JournalEntry] { server.journal() }

    func workivaSource(flavourVersion: WorkivaAPIVersion = .v2026, requestsPerSecond: Double = 0, pollsPerSecond: Double = 0) -> WorkivaSourceSpec {
        WorkivaSourceSpec(
            name: "workiva-test", baseURL: endpoints.baseURL, apiVersion: flavourVersion,
            tokenURL: endpoints.baseURL + "/iam/v1/oauth2/token", clientID: Fixture.clientID,
            clientSecret: .inline(Secret(Fixture.clientSecret)), requestsPerSecond: requestsPerSecond,
            pollsPerSecond: pollsPerSecond, sendAuthorizationOnUpload: true)
    }

    func workivaClient(
        secret: String = Fixture.clientSecret, settings: ProviderSettings = Fixture.settings, clock: any ProviderClock = SystemProviderClock()
    ) -> ExportSyncProviders.WorkivaClient {
        ExportSyncProviders.WorkivaClient(
            source: workivaSource(), clientSecret: Secret(secret), httpClient: httpClient, logger: log.logger(),
            clock: clock, settings: settings)
    }

    func webAdmitClient(
        key: String = Fixture.apiKey, requestsPerHour: Int = 5_000, clock: any ProviderClock = SystemProviderClock()
    ) -> WebAdmitClient {
        let source = WebAdmitSourceSpec(
            name: "webadmit-test", baseURL: endpoints.baseURL, userIdentity: Fixture.identity, apiKey: .inline(Secret(key)),
            requestsPerHour: requestsPerHour)
        return WebAdmitClient(
            source: source, apiKey: Secret(key), httpClient: httpClient, logger: log.logger(),
            clock: clock, settings: Fixture.settings)
    }

    /// Journal entries of Workiva operation polls.
    var polls: [JournalEntry] { journal.filter { $0.listener == .api && $0.method == "GET" && $0.path.contains("/operations/") } }
    /// Journal entries of token requests.
    var tokenRequests: [JournalEntry] { journal.filter { $0.path.hasSuffix("/oauth2/token") } }
}

/// Starts a sandbox for `scenario`, runs `body`, and always shuts everything down. With a
/// `clock`, the sandbox runs on it (give the clients the same one: lifetimes then pass when the
/// test advances it, not by sleeping).
func withProviders<T>(_ scenario: SandboxScenario, clock: ManualClock? = nil, _ body: (ProviderHarness) async throws -> T) async throws -> T {
    let server = SandboxServer(scenario: scenario, clock: clock.map { clock in SandboxClock { clock.now } } ?? .system)
    let endpoints = try await server.start(host: "127.0.0.1", port: 0, storagePort: 0)
    let httpClient = HTTPClient(
        eventLoopGroupProvider: .singleton,
        // A loopback connect on a loaded two-core machine was seen to take over 1 s; the
        // refused-connection test has a client of its own with a short connect timeout.
        configuration: ProviderSettings.httpClientConfiguration(connectTimeout: .seconds(10), readTimeout: .seconds(20)))
    let harness = ProviderHarness(server: server, endpoints: endpoints, httpClient: httpClient, log: CapturedLog())
    do {
        let result = try await body(harness)
        try await httpClient.shutdown()
        await server.shutdown()
        harness.log.assertNoSecrets()
        return result
    } catch {
        try? await httpClient.shutdown()
        await server.shutdown()
        throw error
    }
}

/// Runs `body` and returns the ``ProviderFailure`` it threw (failing the test if it succeeded).
func failure<T>(
    _ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation
) async -> ProviderFailure? {
    do {
        _ = try await body()
        Issue.record("expected a ProviderFailure", sourceLocation: sourceLocation)
        return nil
    } catch let failure as ProviderFailure {
        return failure
    } catch {
        Issue.record("expected a ProviderFailure, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Kicks off an attachment export (2026 paths) and polls it to a terminal state, honouring each
/// `Retry-After`.
func runToTerminal(
    _ client: ExportSyncProviders.WorkivaClient, _ request: WorkivaKickoffRequest, maximumPolls: Int = 20
) async throws -> (WorkivaOperationHandle, WorkivaOperationState) {
    let handle = try await client.startOperation(request)
    try await Task.sleep(for: .milliseconds(Int((handle.retryAfter ?? 0) * 1000)))
    for _ in 0..<maximumPolls {
        let state = try await client.poll(operationURL: handle.location, xVersion: request.xVersion)
        if state.outcome.isTerminal { return (handle, state) }
        try await Task.sleep(for: .milliseconds(Int((state.retryAfter ?? 0.1) * 1000)))
    }
    throw ProviderFailure.malformedResponse("operation did not finish after \(maximumPolls) polls")
}

/// The attachment export of `attachment-1` in a flavour.
func attachmentExport(_ flavour: WorkivaPathFlavour = .v2026, attachment: String = "attachment-1") -> WorkivaKickoffRequest {
    let locator = flavour == .prototype
        ? SampleLocator(testForm: "audit-1", testPhase: "procedure-1", matrix: "m1", sample: "s1") : Fixture.locator
    guard let request = WorkivaKickoffRequest.export(.sampleAttachmentExport(flavour: flavour, locator: locator, attachment: attachment))
    else { preconditionFailure("an attachment export payload always has a kickoff") }
    return request
}

/// Reads a whole download into memory (test sizes are small).
func collect(_ download: DownloadStream) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    for try await buffer in download.body { bytes.append(contentsOf: buffer.readableBytesView) }
    return bytes
}

/// A clock that only moves when told to, or when someone sleeps on it (instantly).
final class ManualClock: ProviderClock {
    private let state: Mutex<(now: Date, sleeps: [Double])>

    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex((start, []))
    }

    var now: Date { state.withLock { $0.now } }
    var sleeps: [Double] { state.withLock { $0.sleeps } }

    func sleep(seconds: Double) async throws {
        state.withLock {
            $0.sleeps.append(seconds)
            $0.now = $0.now.addingTimeInterval(max(0, seconds))
        }
    }

    func advance(by seconds: Double) {
        state.withLock { $0.now = $0.now.addingTimeInterval(seconds) }
    }
}

/// The real clock, remembering every wait asked of it, so tests check the waits a client chose
/// rather than wall-clock gaps that a loaded machine stretches.
final class RecordingClock: ProviderClock {
    private let system = SystemProviderClock()
    private let recorded = Mutex<[Double]>([])

    var now: Date { system.now }
    var sleeps: [Double] { recorded.withLock { $0 } }

    func sleep(seconds: Double) async throws {
        recorded.withLock { $0.append(seconds) }
        try await system.sleep(seconds: seconds)
    }
}
