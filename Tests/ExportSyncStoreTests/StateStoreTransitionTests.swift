import ExportSyncCore
import Foundation
import GRDB
import Testing
@testable import ExportSyncStore

@Suite("StateStore transitions")
struct StateStoreTransitionTests {
    static let location = "https://api.example.test/operations/op-1?X-Amz-Signature=secret"
    static let sha = String(repeating: "ab", count: 32)

    @Test("an export run walks due → starting → polling → downloading → done with its rows")
    func exportLifecycle() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let runID = try await store.dueRun("alpha")
        #expect(try await store.job(named: "alpha")?.lastScheduledAt == Instant.base)

        #expect(try await store.kickoff(runID, at: Instant.at(1)) == .kickoff(at: Instant.at(1), possibleDuplicate: false))
        let accepted = try await store.accept(runID, location: Self.location, xVersion: "2026-01-01", pollAt: Instant.at(10), at: Instant.at(2))
        #expect(accepted.decision.action == .poll(operationURL: Self.location, at: Instant.at(10)))
        #expect(accepted.operation.location == Self.location, "stored exactly as given")
        #expect(accepted.operation.xVersion == "2026-01-01")
        #expect(accepted.operation.deadline == Instant.at(3_600), "defaults to the run's deadline")

        #expect(try await store.pending(runID, status: "started", pollAt: Instant.at(30), at: Instant.at(10))
                == .poll(operationURL: Self.location, at: Instant.at(30)))
        let succeeded = try await store.succeeded(runID, status: "completed", at: Instant.at(30))
        #expect(succeeded.followers.isEmpty)
        #expect(succeeded.action == .download(operationURL: Self.location, at: Instant.at(30), discardTemporaryFile: false))
        let file = try await store.fileWritten(runID, path: "workiva/report.pdf", size: 1_234, sha256: Self.sha.uppercased(), at: Instant.at(40))
        #expect(file.sha256 == Self.sha)
        #expect(file.operationID == accepted.operation.id)

        let run = try #require(try await store.run(id: runID))
        #expect(run.phase == .done)
        #expect(run.finishedAt == Instant.at(40))
        #expect(run.attemptCount == 1)
        #expect(!run.possibleDuplicate)
        let operation = try #require(try await store.operation(id: accepted.operation.id))
        #expect(operation.pollCount == 2)
        #expect(operation.lastStatus == "completed")
        #expect(operation.nextPollAt == nil)
        #expect(try await store.files(producedBy: runID).last?.size == 1_234)
        #expect(try await store.files(producedBy: runID).count == 1)
        #expect(try await store.job(named: "alpha")?.lastRunStartedAt == Instant.at(1))
    }

    @Test("an upload run walks due → starting → uploading → polling → done; no poll time while uploading")
    func uploadLifecycle() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["inbox"])
        let runID = try await store.dueRun("inbox", kind: .upload)
        _ = try await store.kickoff(runID, at: Instant.at(1))
        let accepted = try await store.accept(runID, location: Self.location, xVersion: "2026-01-01", pollAt: Instant.at(5), at: Instant.at(2))
        #expect(accepted.decision.action == .upload(operationURL: Self.location, at: Instant.at(2)))
        #expect(accepted.operation.nextPollAt == nil, "the poller must not poll before the PUT finished")
        #expect(try await store.duePolls(until: nil).isEmpty)
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO uploads (sha256, source_path, run_id, state, created_at, updated_at) VALUES (?, '/in/a', ?, 'pending', '2027-01-01 00:00:00.000', '2027-01-01 00:00:00.000')",
                           arguments: [Self.sha, runID])
        }
        #expect(try await store.recordUploadSent(run: runID, serverWait: 2, policy: .test, at: Instant.at(6)).action
                == .poll(operationURL: Self.location, at: Instant.at(8)))
        #expect(try await store.duePolls(until: nil).map(\.runIDs) == [[runID]])
        let succeeded = try await store.succeeded(runID, status: "completed", at: Instant.at(9))
        #expect(succeeded.action == .done)
        #expect(try await store.run(id: runID)?.phase == .done)
        // No column anywhere can hold an upload URL.
        let columns = try await store.pool.read { db in try db.columns(in: "operations").map(\.name) }
        #expect(!columns.contains { $0.lowercased().contains("upload") || $0.lowercased().contains("download") })
    }

    @Test("an illegal transition throws and writes nothing")
    func illegalTransitionWritesNothing() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let runID = try await store.dueRun("alpha")
        // Polling a run that never started.
        let error = await #expect(throws: StateStoreError.self) {
            _ = try await store.fileWritten(runID, path: "x", size: 1, sha256: Self.sha, at: Instant.at(1))
        }
        #expect(error == .illegalTransition(
            runID: runID, IllegalRunTransition(kind: .export, phase: .due, event: .downloadComplete)))
        #expect(try await store.files(producedBy: runID).isEmpty)
        #expect(try await store.run(id: runID)?.phase == .due)

        // Terminal is terminal.
        _ = try await store.record(.deadlinePassed, run: runID, policy: .test, jitter: 0.5, at: Instant.at(2))
        await #expect(throws: StateStoreError.self) {
            _ = try await store.kickoff(runID, at: Instant.at(3))
        }
        let run = try #require(try await store.run(id: runID))
        #expect(run.phase == .failed)
        #expect(run.attemptCount == 0)
        #expect(run.failureReason == "the run's deadline passed before its export could start")
        #expect(run.failureRetryable == true)
        await #expect(throws: StateStoreError.runNotFound(999)) { _ = try await store.pending(999, status: "x", pollAt: Instant.base, at: Instant.base) }
    }

    @Test("a job never has two unfinished runs; after it finishes a new one can be created")
    func oneUnfinishedRunPerJob() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let first = try await store.dueRun("alpha")
        await #expect(throws: StateStoreError.jobHasUnfinishedRun(job: "alpha", runID: first)) {
            _ = try await store.dueRun("alpha")
        }
        await #expect(throws: StateStoreError.unknownJob("ghost")) { _ = try await store.dueRun("ghost") }
        _ = try await store.abandon(first, reason: "x")
        let second = try await store.dueRun("alpha")
        #expect(second != first)
    }

    @Test("restart in starting sends again, flagged as a possible duplicate, counting attempts")
    func restartInStartingIsPossibleDuplicate() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let runID = try await store.dueRun("alpha")
        _ = try await store.kickoff(runID, at: Instant.at(1))
        #expect(try await store.kickoff(runID, at: Instant.at(5)) == .kickoff(at: Instant.at(5), possibleDuplicate: true))
        let run = try #require(try await store.run(id: runID))
        #expect(run.attemptCount == 2)
        #expect(run.possibleDuplicate)
        #expect(run.kickoffSentAt == Instant.at(5))
    }

    // MARK: One transaction per transition.
    //
    // Each test makes one of the two writes of a transition fail (a trigger installed through a
    // second connection raises) and checks the other write is not visible either. Code that used
    // two transactions leaves the first write behind in one of each pair.

    private func installFailingTrigger(_ temp: TemporaryDatabase, _ sql: String) throws {
        try temp.rawConnection().write { db in try db.execute(sql: sql) }
    }

    private func runInDownloading(_ store: StateStore) async throws -> Int64 {
        try await store.registerJobs(["alpha"])
        let runID = try await store.dueRun("alpha")
        _ = try await store.kickoff(runID, at: Instant.at(1))
        _ = try await store.accept(runID, location: Self.location, xVersion: "2026-01-01", pollAt: Instant.at(2))
        _ = try await store.succeeded(runID, status: "completed")
        return runID
    }

    @Test("recordFileWritten: failing the run update leaves no file row")
    func fileWrittenAtomicRunSide() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let runID = try await runInDownloading(store)
        try installFailingTrigger(temp, """
            CREATE TRIGGER fail_done BEFORE UPDATE OF phase ON runs WHEN NEW.phase = 'done'
            BEGIN SELECT RAISE(ABORT, 'injected'); END
            """)
        await #expect(throws: StateStoreError.self) {
            _ = try await store.fileWritten(runID, path: "a.pdf", size: 1, sha256: Self.sha)
        }
        #expect(try await store.files(producedBy: runID).isEmpty)
        #expect(try await store.run(id: runID)?.phase == .downloading)
    }

    @Test("recordFileWritten: failing the file insert leaves the run in downloading")
    func fileWrittenAtomicFileSide() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let runID = try await runInDownloading(store)
        try installFailingTrigger(temp, "CREATE TRIGGER fail_file BEFORE INSERT ON files BEGIN SELECT RAISE(ABORT, 'injected'); END")
        await #expect(throws: StateStoreError.self) {
            _ = try await store.fileWritten(runID, path: "a.pdf", size: 1, sha256: Self.sha)
        }
        let run = try #require(try await store.run(id: runID))
        #expect(run.phase == .downloading)
        #expect(run.finishedAt == nil)
    }

    @Test("recordOperationAccepted: the operation row and the run's move to polling commit together",
          arguments: [
            "CREATE TRIGGER fail_polling BEFORE UPDATE OF phase ON runs WHEN NEW.phase = 'polling' BEGIN SELECT RAISE(ABORT, 'injected'); END",
            "CREATE TRIGGER fail_operation BEFORE INSERT ON operations BEGIN SELECT RAISE(ABORT, 'injected'); END",
          ])
    func operationAcceptedAtomic(trigger: String) async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let runID = try await store.dueRun("alpha")
        _ = try await store.kickoff(runID, at: Instant.at(1))
        try installFailingTrigger(temp, trigger)
        await #expect(throws: StateStoreError.self) {
            _ = try await store.accept(runID, location: Self.location, xVersion: "2026-01-01", pollAt: Instant.at(2))
        }
        let operations = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operations") }
        #expect(operations == 0)
        let run = try #require(try await store.run(id: runID))
        #expect(run.phase == .starting)
        #expect(run.operationID == nil)
    }

    @Test("createDueRun: the run row and the job's schedule bookkeeping commit together",
          arguments: [
            "CREATE TRIGGER fail_job BEFORE UPDATE OF last_scheduled_at ON jobs BEGIN SELECT RAISE(ABORT, 'injected'); END",
            "CREATE TRIGGER fail_run BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'injected'); END",
          ])
    func createDueRunAtomic(trigger: String) async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        try installFailingTrigger(temp, trigger)
        await #expect(throws: StateStoreError.self) { _ = try await store.dueRun("alpha") }
        let runs = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") }
        #expect(runs == 0)
        let job = try #require(try await store.job(named: "alpha"))
        #expect(job.lastScheduledAt == nil)
        #expect(job.nextDueAt == nil)
    }

    @Test("recordFailure with server details: details, run failure and follower failures commit together")
    func failureAtomic() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha"])
        let runID = try await store.dueRun("alpha")
        _ = try await store.kickoff(runID)
        let accepted = try await store.accept(runID, location: Self.location, xVersion: "2022-01-01", pollAt: Instant.at(2))
        try installFailingTrigger(temp, """
            CREATE TRIGGER fail_failed BEFORE UPDATE OF phase ON runs WHEN NEW.phase = 'failed'
            BEGIN SELECT RAISE(ABORT, 'injected'); END
            """)
        let failure = OperationFailure(
            status: "failed", details: #"[{"code":"E1","message":"bad"}]"#, originalRequest: #"{"format":"pdf"}"#)
        await #expect(throws: StateStoreError.self) {
            _ = try await store.terminal(runID, reason: "server failed", failure: failure)
        }
        var operation = try #require(try await store.operation(id: accepted.operation.id))
        #expect(operation.details == nil)
        #expect(operation.nextPollAt == Instant.at(2))

        try await temp.rawConnection().write { db in try db.execute(sql: "DROP TRIGGER fail_failed") }
        #expect(try await store.terminal(runID, reason: "server failed", failure: failure).action
                == .fail(reason: "server failed", retryable: false))
        operation = try #require(try await store.operation(id: accepted.operation.id))
        #expect(operation.details == failure.details)
        #expect(operation.originalRequest == failure.originalRequest)
        #expect(operation.lastStatus == "failed")
        #expect(operation.nextPollAt == nil, "terminal means terminal: never polled again")
    }

    // MARK: WebAdMIT dedupe

    @Test("two runs getting the same (export_id, export_file_id) share one operation, polled and finished once")
    func webadmitDedupe() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["a", "b"])
        let ids = ProviderOperationIDs(exportID: "77", exportFileID: "9001")
        let statusURL = "https://api.webadmit.test/api/v1/user_identities/1/exports/77/export_files/9001"
        let runA = try await store.dueRun("a")
        let runB = try await store.dueRun("b")
        _ = try await store.kickoff(runA)
        _ = try await store.kickoff(runB)
        let first = try await store.accept(runA, location: statusURL, xVersion: nil, providerIDs: ids, pollAt: Instant.at(10))
        let second = try await store.accept(runB, location: statusURL, xVersion: nil, providerIDs: ids, pollAt: Instant.at(99))
        #expect(!first.joinedExisting)
        #expect(second.joinedExisting)
        #expect(second.operation.id == first.operation.id)
        #expect(second.decision.action == .poll(operationURL: statusURL, at: Instant.at(10)), "joins the existing schedule")
        let count = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operations") }
        #expect(count == 1)

        let targets = try await store.duePolls(until: nil)
        #expect(targets.count == 1)
        #expect(targets.first?.runIDs == [runA, runB])
        #expect(targets.first?.operation.providerIDs == ids)

        let succeeded = try await store.succeeded(runB, status: "Success")
        #expect(succeeded.run.id == runB && succeeded.followers == [runA])
        #expect(try await store.run(id: runA)?.phase == .downloading)
        #expect(try await store.run(id: runB)?.phase == .downloading)
        #expect(try await store.duePolls(until: nil).isEmpty)

        // The schema itself refuses a second row with the same provider ids.
        #expect(throws: DatabaseError.self) {
            try temp.rawConnection().write { db in
                try db.execute(sql: """
                    INSERT INTO operations (run_id, location, provider_export_id, provider_export_file_id, created_at, updated_at)
                    VALUES (?, 'x', '77', '9001', 'x', 'x')
                    """, arguments: [runA])
            }
        }
    }

    @Test("syncJobs adds, updates, reports removed jobs once and keeps their history")
    func syncJobs() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        func job(_ name: String, _ fingerprint: String) -> JobRegistration {
            JobRegistration(name: name, fingerprint: fingerprint, kind: "webadmit-export", source: "admissions")
        }
        var report = try await store.syncJobs([job("a", "1"), job("b", "1")], at: Instant.base)
        #expect(report.added == ["a", "b"])
        let runID = try await store.dueRun("b")
        report = try await store.syncJobs([job("a", "2")], at: Instant.at(1))
        #expect(report.changed == ["a"])
        #expect(report.removedFromConfig == ["b"])
        report = try await store.syncJobs([job("a", "2")], at: Instant.at(2))
        #expect(report.unchanged == ["a"])
        #expect(report.removedFromConfig.isEmpty, "reported once")
        #expect(try await store.job(named: "a")?.fingerprint == "2")
        #expect(try await store.job(named: "b")?.removedFromConfigAt == Instant.at(1))
        #expect(try await store.run(id: runID) != nil, "history kept")
        report = try await store.syncJobs([job("a", "2"), job("b", "1")], at: Instant.at(3))
        #expect(report.added == ["b"])
        #expect(try await store.job(named: "b")?.removedFromConfigAt == nil)
    }
}
