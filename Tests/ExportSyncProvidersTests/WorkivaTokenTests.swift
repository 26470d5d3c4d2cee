import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Testing

@Suite("Workiva token cache")
struct WorkivaTokenTests {
    @Test func concurrentCallersShareOneTokenRequest() async throws {
        try await withProviders(Fixture.scenario()) { sandbox in
            let client = sandbox.workivaClient()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { _ = try await client.startOperation(attachmentExport()) }
                }
                try await group.waitForAll()
            }
            #expect(await client.tokenRequestCount == 1)
            #expect(sandbox.tokenRequests.count == 1)
            #expect(sandbox.journal.filter { $0.path.hasSuffix("/export") }.allSatisfy { $0.status == 202 })
        }
    }

    @Test func tokenIsRefreshedBeforeItExpires() async throws {
        // The client's clock is a manual one, so the token's age is exactly what the test says,
        // however slow the machine is; the sandbox's own expiry (60 s) is never reached.
        var scenario = Fixture.scenario()
        scenario.workiva.tokenLifetimeSeconds = 60
        try await withProviders(scenario) { sandbox in
            let clock = ManualClock()
            let client = sandbox.workivaClient(clock: clock)
            _ = try await client.startOperation(attachmentExport())
            _ = try await client.startOperation(attachmentExport())
            #expect(await client.tokenRequestCount == 1)
            // expires_in 60 s: refreshed at half-life (the 60 s margin would be at once).
            clock.advance(by: 29)
            _ = try await client.startOperation(attachmentExport())
            #expect(await client.tokenRequestCount == 1, "a token half a minute from its refresh point is reused")
            clock.advance(by: 2)
            _ = try await client.startOperation(attachmentExport())
            #expect(await client.tokenRequestCount == 2)
            #expect(sandbox.tokenRequests.count == 2)
            #expect(!sandbox.journal.contains { $0.status == 401 })
        }
    }

    @Test func a401RefreshesTheTokenExactlyOnce() async throws {
        // Poll 1 → 401, refreshed, poll 2 succeeds; polls 3 and 4 → 401: one refresh, then unauthorized.
        let faults = [FaultRule(route: .workivaPoll, requests: [1, 3, 4], kind: .status, status: 401)]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let handle = try await client.startOperation(attachmentExport())
            let state = try await client.poll(operationURL: handle.location, xVersion: "2026-01-01")
            #expect(!state.status.isEmpty)
            #expect(await client.tokenRequestCount == 2)

            let refused = await failure { try await client.poll(operationURL: handle.location, xVersion: "2026-01-01") }
            #expect(refused == .unauthorized(endpoint: URL(string: handle.location)?.path ?? ""))
            #expect(await client.tokenRequestCount == 3)
            #expect(sandbox.polls.map(\.status) == [401, 200, 401, 401])
        }
    }

    @Test func wrongClientSecretIsUnauthorizedAtTheTokenEndpoint() async throws {
        try await withProviders(Fixture.scenario()) { sandbox in
            let client = sandbox.workivaClient(secret: "not-the-secret")
            let refused = await failure { try await client.startOperation(attachmentExport()) }
            #expect(refused == .unauthorized(endpoint: "/iam/v1/oauth2/token"))
            #expect(sandbox.tokenRequests.count == 1)
            #expect(!sandbox.journal.contains { $0.path.hasSuffix("/export") })
        }
    }

    @Test func tokenRequestIsAPercentEncodedForm() async throws {
        // The fixture secret holds '&', '=', ' ' and '+': a sloppy encoder gets 401 from the sandbox.
        try await withProviders(Fixture.scenario()) { sandbox in
            let client = sandbox.workivaClient()
            _ = try await client.startOperation(attachmentExport())
            #expect(sandbox.tokenRequests.map(\.status) == [200])
            #expect(sandbox.tokenRequests.first?.credentials == [])
        }
    }
}
