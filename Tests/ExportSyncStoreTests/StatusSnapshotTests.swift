import ExportSyncCore
import Foundation
import Testing
@testable import ExportSyncStore

@Suite("StateStore status snapshot")
struct StatusSnapshotTests {
    @Test("per job: last run, failure and next due; pending operations with URLs stripped of queries")
    func snapshotContents() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["done-job", "failed-job", "polling-job", "idle-job", "gone-job"])

        let done = try await store.dueRun("done-job")
        _ = try await store.abandon(done, reason: "old failure", at: Instant.at(1))
        let done2 = try await store.dueRun(
            "done-job", scheduledFor: Instant.at(100), deadline: Instant.at(200), nextDueAt: Instant.at(500)).id
        _ = try await store.kickoff(done2, at: Instant.at(101))
        _ = try await store.accept(done2, location: "https://h/op/1", xVersion: "2026-01-01", pollAt: Instant.at(102))
        _ = try await store.succeeded(done2, status: "completed")
        _ = try await store.fileWritten(done2, path: "d.pdf", size: 1, sha256: String(repeating: "a", count: 64), at: Instant.at(110))

        let failed = try await store.dueRun("failed-job")
        _ = try await store.abandon(failed, reason: "HTTP 403 from /operations: forbidden", at: Instant.at(5))

        let polling = try await store.dueRun("polling-job")
        _ = try await store.kickoff(polling)
        _ = try await store.accept(polling, location: "https://s3.example.test/bucket/op?X-Amz-Signature=secret#frag",
            xVersion: "2026-01-01", pollAt: Instant.at(60))
        _ = try await store.pending(polling, status: "started", pollAt: Instant.at(90), at: Instant.at(60))
        _ = try await store.syncJobs(
            ["done-job", "failed-job", "polling-job", "idle-job"].map {
                JobRegistration(name: $0, fingerprint: "fp-\($0)", kind: "file-export", source: "workiva")
            }, at: Instant.at(60))

        let snapshot = try await store.statusSnapshot()
        #expect(snapshot.jobs.map(\.name) == ["done-job", "failed-job", "gone-job", "idle-job", "polling-job"])
        let byName = Dictionary(uniqueKeysWithValues: snapshot.jobs.map { ($0.name, $0) })
        #expect(byName["done-job"]?.lastRun?.id == done2)
        #expect(byName["done-job"]?.lastRun?.phase == .done)
        #expect(byName["done-job"]?.lastRun?.finishedAt == Instant.at(110))
        #expect(byName["done-job"]?.nextDueAt == Instant.at(500))
        #expect(byName["done-job"]?.lastScheduledAt == Instant.at(100))
        #expect(byName["failed-job"]?.lastRun?.phase == .failed)
        #expect(byName["failed-job"]?.lastRun?.failureReason == "HTTP 403 from /operations: forbidden")
        #expect(byName["failed-job"]?.lastRun?.failureRetryable == false)
        #expect(byName["idle-job"]?.lastRun == nil)
        #expect(byName["gone-job"]?.inConfig == false)
        #expect(byName["polling-job"]?.inConfig == true)

        #expect(snapshot.pendingOperationCount == 1)
        let pending = try #require(snapshot.pendingOperations.first)
        #expect(pending.runID == polling)
        #expect(pending.job == "polling-job")
        #expect(pending.phase == .polling)
        #expect(pending.nextPollAt == Instant.at(90))
        #expect(pending.pollCount == 1)
        #expect(pending.lastStatus == "started")
        #expect(pending.operationURL == "https://s3.example.test/bucket/op")

        let json = String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self)
        #expect(!json.contains("Signature"), "no query string leaks into status output")
    }

    @Test("the pending list honours its limit but counts everything")
    func pendingLimit() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let names = (1...5).map { "job-\($0)" }
        try await store.registerJobs(names)
        for (index, name) in names.enumerated() {
            let run = try await store.dueRun(name)
            _ = try await store.kickoff(run)
            _ = try await store.accept(run, location: "https://h/op/\(index)", xVersion: nil, pollAt: Instant.at(Double(100 - index)))
        }
        let snapshot = try await store.statusSnapshot(pendingLimit: 2)
        #expect(snapshot.pendingOperationCount == 5)
        #expect(snapshot.pendingOperations.map(\.job) == ["job-5", "job-4"])
    }
}
