import ExportSyncCore
import Foundation
import GRDB
import Testing
@testable import ExportSyncStore

/// Delivery hooks in the database: recorded with the file, due at once, attempts and their
/// outcomes, the wait before the next, and what `status` and `check` read.
@Suite("File hooks in the store")
struct FileHookStoreTests {
    static let sha = String(repeating: "cd", count: 32)

    /// A run of `job` taken to `downloading` (kick-off, accepted, completed).
    static func downloadingRun(_ store: StateStore, job: String = "alpha") async throws -> Int64 {
        let runID = try await store.dueRun(job)
        _ = try await store.kickoff(runID, at: Instant.at(1))
        _ = try await store.accept(runID, location: "https://api.example.test/operations/\(job)", xVersion: nil, pollAt: Instant.at(2))
        _ = try await store.succeeded(runID, status: "completed")
        return runID
    }

    /// Runs `sql` through a second connection (not the store's pool).
    static func execute(_ temp: TemporaryDatabase, _ sql: String) throws {
        try temp.rawConnection().write { db in try db.execute(sql: sql) }
    }

    @Test("a file recorded with its hook has a pending hook due at once; without, none")
    func recordedWithTheFile() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha", "beta"])
        let hooked = try await Self.downloadingRun(store, job: "alpha")
        let plain = try await Self.downloadingRun(store, job: "beta")
        let file = try await store.recordFileWritten(run: hooked, path: "a/one.pdf", size: 10, sha256: Self.sha, policy: .test,
                                                     hook: true, at: Instant.at(10))
        _ = try await store.recordFileWritten(run: plain, path: "b/two.pdf", size: 20, sha256: Self.sha, policy: .test, at: Instant.at(10))
        #expect(try await store.dueHooks(until: Instant.at(9.999), limit: 10).isEmpty)
        let due = try await store.dueHooks(until: Instant.at(10), limit: 10)
        #expect(due.map(\.file) == [file])
        #expect(due.map(\.job) == ["alpha"])
        #expect(due.map(\.attempts) == [0])
        #expect(try await store.pendingHookCount() == 1)
        #expect(try await store.jobsWithPendingHooks() == ["alpha"])
        #expect(try await store.earliestScheduledWork(after: Instant.at(5)) == Instant.at(10))
        // Postponed (its job is not configured): not due, not counted as an attempt.
        try await store.postponeHook(due[0].id, until: Instant.at(3_600), at: Instant.at(10))
        #expect(try await store.dueHooks(until: Instant.at(3_599), limit: 10).isEmpty)
        #expect(try await store.dueHooks(until: Instant.at(3_600), limit: 10).map(\.attempts) == [0])
    }

    @Test("the hook row commits with the file: a failing hook insert leaves neither the file nor the run's move to done")
    func oneTransaction() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let runID = try await Self.downloadingRun(store)
        try Self.execute(temp, "CREATE TRIGGER fail_hook BEFORE INSERT ON file_hooks BEGIN SELECT RAISE(ABORT, 'injected'); END")
        await #expect(throws: StateStoreError.self) {
            _ = try await store.recordFileWritten(run: runID, path: "a.pdf", size: 1, sha256: Self.sha, policy: .test, hook: true, at: Instant.at(10))
        }
        #expect(try await store.files(producedBy: runID).isEmpty)
        #expect(try await store.run(id: runID)?.phase == .downloading)
    }

    @Test("attempts: a retry waits until its time, a success or a last failure ends it; status and counts follow")
    func attempts() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let first = try await Self.downloadingRun(store)
        _ = try await store.recordFileWritten(run: first, path: "a/one.pdf", size: 10, sha256: Self.sha, policy: .test, hook: true, at: Instant.at(10))
        let hook = try #require(try await store.dueHooks(until: Instant.at(10), limit: 1).first)

        let failure = HookAttemptOutcome.failed(reason: "/bin/load exited with status 1")
        // An attempt counts from its start, and the hook is not due meanwhile.
        #expect(try await store.beginHookAttempt(hook.id, retryAt: Instant.at(40), at: Instant.at(10)) == 1)
        #expect(try await store.dueHooks(until: Instant.at(39.999), limit: 1).isEmpty, "due again while its attempt runs")
        #expect(try await store.recordHookAttempt(hook.id, decision: HookRetryPolicy.decide(after: failure, attempt: 1, maximumAttempts: 2, now: Instant.at(11)),
                                                  at: Instant.at(11)))
        #expect(try await store.dueHooks(until: Instant.at(40.999), limit: 1).isEmpty, "due again before its 30 s wait")
        #expect(try await store.earliestScheduledWork(after: Instant.at(11)) == Instant.at(41))
        let again = try #require(try await store.dueHooks(until: Instant.at(41), limit: 1).first)
        #expect(again.attempts == 1)
        var summary = try #require(try await store.statusSnapshot().jobs.first { $0.name == "alpha" }?.hooks)
        #expect(summary == HookSummary(pending: 1, failed: 0, lastFinished: nil))

        #expect(try await store.beginHookAttempt(hook.id, retryAt: Instant.at(101), at: Instant.at(41)) == 2)
        #expect(try await store.recordHookAttempt(hook.id, decision: HookRetryPolicy.decide(after: failure, attempt: 2, maximumAttempts: 2, now: Instant.at(41)),
                                                  at: Instant.at(41)))
        #expect(try await store.pendingHookCount() == 0)
        #expect(try await store.dueHooks(until: .distantFuture, limit: 10).isEmpty)
        summary = try #require(try await store.statusSnapshot().jobs.first { $0.name == "alpha" }?.hooks)
        #expect(summary.pending == 0 && summary.failed == 1)
        #expect(summary.lastFinished?.state == .failed)
        #expect(summary.lastFinished?.path == "a/one.pdf")
        #expect(summary.lastFinished?.attempts == 2)
        #expect(summary.lastFinished?.finishedAt == Instant.at(41))
        #expect(summary.lastFinished?.lastError == "/bin/load exited with status 1 (attempt 2 of 2; no attempts left)")
        // A finished hook takes no further attempt.
        #expect(try await store.beginHookAttempt(hook.id, retryAt: Instant.at(90), at: Instant.at(50)) == nil)
        #expect(try await store.recordHookAttempt(hook.id, decision: .succeeded, at: Instant.at(50)) == false)

        // The next file's hook succeeds: the latest finished hook is a success, the old failure still counts.
        let second = try await Self.downloadingRun(store)
        _ = try await store.recordFileWritten(run: second, path: "a/two.pdf", size: 10, sha256: Self.sha, policy: .test, hook: true, at: Instant.at(60))
        let next = try #require(try await store.dueHooks(until: Instant.at(60), limit: 1).first)
        #expect(try await store.beginHookAttempt(next.id, retryAt: Instant.at(90), at: Instant.at(60)) == 1)
        #expect(try await store.recordHookAttempt(next.id, decision: .succeeded, at: Instant.at(61)))
        #expect(try await store.jobsWithPendingHooks().isEmpty)
        summary = try #require(try await store.statusSnapshot().jobs.first { $0.name == "alpha" }?.hooks)
        #expect(summary.failed == 1)
        #expect(summary.lastFinished?.state == .succeeded)
        #expect(summary.lastFinished?.path == "a/two.pdf")
    }

    @Test("a cancelled hook is never due again and says why")
    func cancelled() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let runID = try await Self.downloadingRun(store)
        _ = try await store.recordFileWritten(run: runID, path: "a.pdf", size: 1, sha256: Self.sha, policy: .test, hook: true, at: Instant.at(10))
        let hook = try #require(try await store.dueHooks(until: Instant.at(10), limit: 1).first)
        try await store.cancelHook(hook.id, reason: "job alpha no longer has on_file", at: Instant.at(12))
        #expect(try await store.dueHooks(until: .distantFuture, limit: 10).isEmpty)
        let summary = try #require(try await store.statusSnapshot().jobs.first { $0.name == "alpha" }?.hooks)
        #expect(summary.lastFinished?.state == .cancelled)
        #expect(summary.lastFinished?.lastError == "job alpha no longer has on_file")
    }
}
