import AsyncHTTPClient
import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Glibc
import Logging
import NIOCore
import Testing

/// The clients make each call once and classify what went wrong; the engine's run core decides
/// every wait (and persists it first), so nothing here sleeps or retries.
@Suite("One attempt per call: transient, ambiguous or final")
struct WorkivaRetryTests {
    @Test func poll429IsTransientWithTheServersWaitInEitherForm() async throws {
        let faults = [
            FaultRule(route: .workivaPoll, requests: [1], kind: .status, status: 429, retryAfter: 7),
            FaultRule(route: .workivaPoll, requests: [2], kind: .status, status: 429),
        ]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let clock = RecordingClock()
            let client = sandbox.workivaClient(clock: clock)
            let handle = try await client.startOperation(attachmentExport())
            let first = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            #expect(first == .transient(reason: try #require(first.map(Self.reason)), retryAfter: 7))
            let second = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            guard case .transient(let reason, nil) = second else {
                Issue.record("a 429 without Retry-After is transient with no wait: \(String(describing: second))")
                return
            }
            #expect(reason.contains("429"))
            let state = try await client.poll(operationURL: handle.location, xVersion: "2026-01-01")
            #expect(!state.status.isEmpty)
            #expect(sandbox.polls.map(\.status) == [429, 429, 200], "one request per call")
            #expect(clock.sleeps.isEmpty, "the client never sleeps: the engine persists the wait first")
        }
    }

    static func reason(_ failure: ProviderFailure) -> String {
        if case .transient(let reason, _) = failure { return reason }
        return ""
    }

    @Test func kickoff429And5xxAreTransientAndSentOnce() async throws {
        let faults = [
            FaultRule(route: .workivaKickoff, resource: "attachment-1", requests: [1], kind: .status, status: 429, retryAfter: 3),
            FaultRule(route: .workivaKickoff, resource: "file-1", kind: .status, status: 503),
        ]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let throttled = await failure { try await client.startOperation(attachmentExport()) }
            #expect(throttled?.serverWait == 3)
            _ = try await client.startOperation(attachmentExport())
            #expect(sandbox.journal.filter { $0.path.hasSuffix("attachment-1/export") }.map(\.status) == [429, 202])

            let file = try #require(WorkivaKickoffRequest.export(.fileExport(flavour: .v2026, file: "file-1", fileKind: .supportingDocument)))
            let failed = await failure { try await client.startOperation(file) }
            guard case .transient(let reason, nil) = failed else {
                Issue.record("a 503 on a kickoff is transient: \(String(describing: failed))")
                return
            }
            #expect(reason.contains("503") && reason.contains("503ServiceUnavailable"))
            #expect(sandbox.journal.filter { $0.path.hasSuffix("file-1/export") }.count == 1)
        }
    }

    @Test func connectionResetIsTransientForPollsAndAmbiguousForKickoffs() async throws {
        let faults = [
            FaultRule(route: .workivaPoll, requests: [1], kind: .reset),
            FaultRule(route: .workivaKickoff, resource: "file-1", kind: .reset),
        ]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let handle = try await client.startOperation(attachmentExport())
            let poll = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            guard case .transient = poll else {
                Issue.record("a reset poll is transient: \(String(describing: poll))")
                return
            }
            #expect(sandbox.polls.map(\.status) == [nil])

            let file = try #require(WorkivaKickoffRequest.export(.fileExport(flavour: .v2026, file: "file-1", fileKind: .supportingDocument)))
            let failed = await failure { try await client.startOperation(file) }
            guard case .ambiguous(let reason) = failed else {
                Issue.record("a kickoff whose answer was lost is ambiguous: \(String(describing: failed))")
                return
            }
            #expect(reason.contains("POST"))
            #expect(sandbox.journal.filter { $0.path.hasSuffix("file-1/export") }.count == 1)
        }
    }

    @Test func truncatedDownloadBodyFailsTheStream() async throws {
        let faults = [FaultRule(route: .workivaDownload, kind: .truncate)]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let (_, state) = try await runToTerminal(client, attachmentExport())
            let download = try await client.openDownload(resourceURL: try #require(state.resourceURL), xVersion: "2026-01-01")
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(download.contentLength == Int64(expected.byteCount))
            await #expect(throws: (any Error).self) { _ = try await collect(download) }
        }
    }

    @Test func aPollThatTimesOutIsTransient() async throws {
        // The first poll hangs far longer than the timeout. The timeout also bounds the token
        // call and the kick-off before it, which a loaded two-core machine was seen to take over
        // 2 s to answer: 10 s leaves them room.
        let faults = [FaultRule(route: .workivaPoll, requests: [1], kind: .hang, seconds: 120)]
        var settings = Fixture.settings
        settings.requestTimeoutSeconds = 10
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient(settings: settings)
            let handle = try await client.startOperation(attachmentExport())
            let failed = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            guard case .transient(_, nil) = failed else {
                Issue.record("a timed-out poll is transient: \(String(describing: failed))")
                return
            }
            #expect(sandbox.polls.first?.status == nil, "the hung poll was never answered")
            #expect(sandbox.log.lines(containing: "failed in transport").first?.metadata["error"] == "timed out waiting for the answer")
        }
    }

    @Test func malformedJSONIsReportedAtOnce() async throws {
        let faults = [FaultRule(route: .workivaPoll, requests: [1], kind: .malformedJSON)]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let handle = try await client.startOperation(attachmentExport())
            let failed = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            guard case .malformedResponse(let detail) = failed else {
                Issue.record("expected malformedResponse, got \(String(describing: failed))")
                return
            }
            #expect(detail.contains("/operations/"))
            #expect(sandbox.polls.count == 1)
        }
    }

    @Test func refusedConnectionIsTransientEvenForAKickoff() async throws {
        try await withProviders(Fixture.scenario()) { sandbox in
            // The API origin is a port nothing listens on (tokens still come from the sandbox):
            // the POST provably never left, so it is transient, not ambiguous.
            let closed = try RefusingPort()
            var source = sandbox.workivaSource()
            source.baseURL = "http://127.0.0.1:\(closed.port)"
            // AsyncHTTPClient retries a refused connect until its connect timeout: a short one here.
            let shortConnect = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: ProviderSettings.httpClientConfiguration(connectTimeout: .seconds(1), readTimeout: .seconds(20)))
            let client = ExportSyncProviders.WorkivaClient(
                source: source, clientSecret: Secret(Fixture.clientSecret), httpClient: shortConnect,
                logger: sandbox.log.logger(), settings: Fixture.settings)
            let failed = await failure { try await client.startOperation(attachmentExport()) }
            try await shortConnect.shutdown()
            guard case .transient = failed else {
                Issue.record("a refused connect is transient: \(String(describing: failed))")
                return
            }
            let attempts = sandbox.log.lines(containing: "failed in transport")
            #expect(attempts.count == 1)
            #expect(attempts.allSatisfy { $0.metadata["method"] == "POST" && $0.metadata["error"] == "connection refused" })
            withExtendedLifetime(closed) {}
        }
    }

    @Test func tokenEndpointDownIsTransientAndSendsNoKickoff() async throws {
        let faults = [FaultRule(route: .workivaToken, requests: [1], kind: .status, status: 503, retryAfter: 4)]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let failed = await failure { try await client.startOperation(attachmentExport()) }
            #expect(failed?.serverWait == 4)
            #expect(failed?.isTransient == true)
            #expect(sandbox.journal.filter { $0.path.hasSuffix("/export") }.isEmpty, "no kickoff left without a token")
            _ = try await client.startOperation(attachmentExport())
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released).
/// A loopback TCP port bound but never listening, held until the value is released: connecting
/// is refused, and no other test's server can take the port meanwhile (a port freed and looked
/// up again could be).
final class RefusingPort {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
