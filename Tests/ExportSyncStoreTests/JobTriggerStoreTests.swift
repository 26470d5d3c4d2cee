import ExportSyncCore
import Foundation
import Testing
@testable import ExportSyncStore

/// `exportsync trigger`'s marks in the database: set without the daemon, cleared by the run
/// that answers them in the same transaction.
@Suite("Job triggers in the store")
struct JobTriggerStoreTests {
    @Test("a trigger marks known jobs, names unknown ones, and the next run of the job clears it")
    func markAndAnswer() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha", "beta"])
        #expect(try await store.triggeredJobs().isEmpty)
        #expect(try await store.trigger(jobs: ["beta", "gamma", "alpha"], at: Instant.at(5)) == ["gamma"])
        #expect(try await store.triggeredJobs() == ["alpha", "beta"])
        _ = try await store.dueRun("alpha", scheduledFor: Instant.at(6), deadline: Instant.at(3_600), nextDueAt: Instant.at(86_400))
        #expect(try await store.triggeredJobs() == ["beta"])
        // The job's own schedule is untouched by the mark itself.
        #expect(try await store.job(named: "beta")?.nextDueAt == nil)
    }

    @Test("a trigger of a job whose run is unfinished is answered by that run, not by a second one")
    func answeredByTheRunInProgress() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let first = try await store.dueRun("alpha")
        _ = try await store.trigger(jobs: ["alpha"], at: Instant.at(5))
        let request = DueRunRequest(job: "alpha", kind: .export, scheduledFor: Instant.at(6), deadline: Instant.at(3_600), nextDueAt: Instant.at(86_400))
        let results = try await store.createDueRuns([request], at: Instant.at(6))
        guard case .failure(.jobHasUnfinishedRun(_, let runID))? = results.first else {
            Issue.record("expected the unfinished run to stand, got \(results)")
            return
        }
        #expect(runID == first)
        #expect(try await store.triggeredJobs().isEmpty)
    }

    @Test("clearing the marks of jobs that cannot run")
    func clear() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha", "beta"])
        _ = try await store.trigger(jobs: ["alpha", "beta"], at: Instant.at(5))
        try await store.clearTriggers(["beta"])
        #expect(try await store.triggeredJobs() == ["alpha"])
    }
}
