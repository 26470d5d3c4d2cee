import ExportSyncCore
import Foundation
import GRDB
import Testing
@testable import ExportSyncStore

/// The hand-written `UPDATE`s of the two records every transition writes must write exactly
/// what GRDB's own `update(_:)` writes: every column, read back equal.
@Suite("Record updates through cached statements")
struct RecordUpdateTests {
    @Test("RunRecord.updateRow and OperationRecord.updateRow write every column; a missing row is an error")
    func everyColumnRoundTrips() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["job-a", "job-b"])
        let runID = try await store.dueRun("job-a")
        _ = try await store.kickoff(runID, at: Instant.at(1))
        try await store.pool.write { db in
            var run = try #require(try RunRecord.fetch(db, id: runID))
            var operation = OperationRecord(
                id: nil, runId: runID, location: "https://api.example.test/operations/op-9", xVersion: "2026-01-01",
                providerExportId: "86446", providerExportFileId: "74780", nextPollAt: Instant.at(30), pollCount: 0,
                lastStatus: nil, details: nil, originalRequest: nil, deadline: Instant.at(3_600),
                createdAt: Instant.at(2), updatedAt: Instant.at(2))
            try operation.insert(db)
            // Every column changed, nullable ones set.
            run.job = "job-b"
            run.kind = .upload
            run.phase = .failed
            run.attemptCount = 3
            run.createdAt = Instant.at(5)
            run.updatedAt = Instant.at(6)
            run.scheduledFor = Instant.at(7)
            run.deadline = Instant.at(8)
            run.kickoffSentAt = Instant.at(9)
            run.possibleDuplicate = true
            run.failureReason = "reason"
            run.failureRetryable = false
            run.finishedAt = Instant.at(10)
            run.operationId = operation.id
            run.nextAttemptAt = Instant.at(11)
            run.stepFailures = 4
            run.lastError = "last error"
            run.item = "attachment-7"
            try run.updateRow(db)
            #expect(try RunRecord.fetch(db, id: runID) == run)

            operation.location = "https://api.example.test/operations/op-10"
            operation.xVersion = nil
            operation.providerExportId = nil
            operation.providerExportFileId = "74781"
            operation.nextPollAt = nil
            operation.pollCount = 12
            operation.lastStatus = "running"
            operation.details = "details"
            operation.originalRequest = "{}"
            operation.deadline = nil
            operation.createdAt = Instant.at(20)
            operation.updatedAt = Instant.at(21)
            try operation.updateRow(db)
            #expect(try OperationRecord.fetch(db, id: try #require(operation.id)) == operation)

            var missing = run
            missing.id = runID + 1_000
            #expect(throws: RecordError.self) { try missing.updateRow(db) }
        }
    }
}
