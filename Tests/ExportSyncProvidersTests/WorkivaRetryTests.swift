import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Glibc
import Logging
import Testing

@Suite("Per-request retries")
struct WorkivaRetryTests {
    @Test func pollRetries429WithAndWithoutRetryAfter() async throws {
        let faults = [
            FaultRule(route: .workivaPoll, requests: [1], kind: .status, status: 429, retryAfter: 1),
            FaultRule(route: .workivaPoll, requests: [2], kind: .status, status: 429),
        ]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let clock = RecordingClock()
            let client = sandbox.workivaClient(clock: clock)
            let handle = try await client.startOperation(attachmentExport())
            let waitsBeforePolling = clock.sleeps.count
            let state = try await client.poll(operationURL: handle.location, xVersion: "2026-01-01")
            #expect(!state.status.isEmpty)
            let polls = sandbox.polls
            #expect(polls.map(\.status) == [429, 429, 200])
            // The waits asked for: Retry-After: 1 honoured; without it, the backoff after the second
            // attempt (0.1 s × 2, full jitter: 0.1–0.2 s), not some default second.
            let waits = Array(clock.sleeps.dropFirst(waitsBeforePolling))
            #expect(waits.count == 2)
            #expect(waits.first == 1)
            #expect(waits.last.map { (0.1...0.2).contains($0) } == true, "backoff wait \(waits)")
            // And the server saw them: wall-clock gaps are at least the waits (only lower bounds,
            // since a loaded machine may add any delay on top).
            let firstGap = polls[1].start.timeIntervalSince(try #require(polls[0].end))
            let secondGap = polls[2].start.timeIntervalSince(try #require(polls[1].end))
            #expect(firstGap >= 0.98)
            #expect(secondGap >= 0.095)
            let retried = sandbox.log.lines(containing: "will be retried")
            #expect(retried.count == 2)
            #expect(retried.allSatisfy { $0.metadata["http_status"] == "429" && $0.metadata["source"] == "workiva-test" })
        }
    }

    @Test func kickoffIsRetriedOn429ButNotOn5xx() async throws {
        let faults = [
            FaultRule(route: .workivaKickoff, resource: "attachment-1", requests: [1], kind: .status, status: 429),
            FaultRule(route: .workivaKickoff, resource: "file-1", kind: .status, status: 500),
        ]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            _ = try await client.startOperation(attachmentExport())
            #expect(sandbox.journal.filter { $0.path.hasSuffix("attachment-1/export") }.map(\.status) == [429, 202])

            let file = try #require(WorkivaKickoffRequest.export(.fileExport(flavour: .v2026, file: "file-1", fileKind: .supportingDocument)))
            let failed = await failure { try await client.startOperation(file) }
            #expect(failed?.isTransient == true)
            #expect(sandbox.journal.filter { $0.path.hasSuffix("file-1/export") }.count == 1)
            #expect(!sandbox.log.lines(containing: "gave up").isEmpty)
        }
    }

    @Test func pollGivesUpAfterFourAttemptsOn503() async throws {
        let faults = [FaultRule(route: .workivaPoll, kind: .status, status: 503)]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let handle = try await client.startOperation(attachmentExport())
            let failed = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            guard case .transient(let reason, _) = failed else {
                Issue.record("expected transient, got \(String(describing: failed))")
                return
            }
            #expect(reason.contains("503"))
            #expect(reason.contains("503ServiceUnavailable"))
            #expect(sandbox.polls.count == 4)
            let gaveUp = sandbox.log.lines.filter { $0.level == .warning && $0.message.contains("gave up") }
            #expect(gaveUp.count == 1)
            #expect(gaveUp.first?.metadata["http_status"] == "503")
            #expect(gaveUp.first?.metadata["endpoint"]?.hasPrefix("/operations/") == true)
        }
    }

    @Test func tooLongRetryAfterEndsTheCallWithTheServersWait() async throws {
        let faults = [FaultRule(route: .workivaPoll, kind: .status, status: 503, retryAfter: 30)]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let handle = try await client.startOperation(attachmentExport())
            let failed = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            guard case .transient(_, let retryAfter) = failed else {
                Issue.record("expected transient, got \(String(describing: failed))")
                return
            }
            #expect(retryAfter == 30)
            #expect(sandbox.polls.count == 1)
        }
    }

    @Test func connectionResetIsRetriedForPollsButNotForKickoffs() async throws {
        let faults = [
            FaultRule(route: .workivaPoll, requests: [1], kind: .reset),
            FaultRule(route: .workivaKickoff, resource: "file-1", kind: .reset),
        ]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let handle = try await client.startOperation(attachmentExport())
            let state = try await client.poll(operationURL: handle.location, xVersion: "2026-01-01")
            #expect(!state.status.isEmpty)
            #expect(sandbox.polls.map(\.status) == [nil, 200])

            let file = try #require(WorkivaKickoffRequest.export(.fileExport(flavour: .v2026, file: "file-1", fileKind: .supportingDocument)))
            let failed = await failure { try await client.startOperation(file) }
            #expect(failed?.isTransient == true)
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

    @Test func aPollThatTimesOutIsRetried() async throws {
        // The first poll hangs far longer than the timeout; 2 s is enough for the kickoff and the
        // retried poll to answer even while the whole suite loads both cores.
        let faults = [FaultRule(route: .workivaPoll, requests: [1], kind: .hang, seconds: 30)]
        var settings = Fixture.settings
        settings.requestTimeoutSeconds = 2
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient(settings: settings)
            let handle = try await client.startOperation(attachmentExport())
            let state = try await client.poll(operationURL: handle.location, xVersion: "2026-01-01")
            #expect(!state.status.isEmpty)
            // The first poll hung unanswered and was retried; on a loaded machine the retry may
            // itself time out once more, so at least two.
            let polls = sandbox.polls
            #expect(polls.count >= 2)
            #expect(polls.first?.status == nil, "the hung poll was never answered")
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

    @Test func refusedConnectionIsRetriedEvenForAKickoff() async throws {
        try await withProviders(Fixture.scenario()) { sandbox in
            // The API origin is a port nothing listens on (tokens still come from the sandbox):
            // the POST provably never left, so it is retried up to the attempt limit.
            let closed = try RefusingPort()
            var source = sandbox.workivaSource()
            source.baseURL = "http://127.0.0.1:\(closed.port)"
            let client = ExportSyncProviders.WorkivaClient(
                source: source, clientSecret: Secret(Fixture.clientSecret), httpClient: sandbox.httpClient,
                logger: sandbox.log.logger(), random: SeededRandomNumberGenerator(seed: Fixture.seed), settings: Fixture.settings)
            let failed = await failure { try await client.startOperation(attachmentExport()) }
            #expect(failed?.isTransient == true)
            let attempts = sandbox.log.lines(containing: "failed in transport")
            #expect(attempts.count == 4)
            #expect(attempts.allSatisfy { $0.metadata["method"] == "POST" })
            #expect(attempts.allSatisfy { $0.metadata["error"] == "connection refused" })
            withExtendedLifetime(closed) {}
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
