import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Testing

@Suite("WebAdMIT client")
struct WebAdmitClientTests {
    @Test func exportRunIsDedupedPolledAndDownloadedWithoutTheKeyAtStorage() async throws {
        try await withProviders(Fixture.scenario()) { sandbox in
            let client = sandbox.webAdmitClient()
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
            try await Task.sleep(for: .milliseconds(1_050))
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
        try await withProviders(scenario) { sandbox in
            let client = sandbox.webAdmitClient()
            let run = try await client.startExport(userIdentity: Fixture.identity, exportID: "86446")
            var state = try await client.exportFile(exportID: "86446", fileID: run.id)
            while !state.outcome.isTerminal { state = try await client.exportFile(exportID: "86446", fileID: run.id) }
            let url = try #require(state.downloadURL)
            try await Task.sleep(for: .milliseconds(2_100))
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
}
