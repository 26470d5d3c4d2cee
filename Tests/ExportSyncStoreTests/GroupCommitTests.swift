import ExportSyncCore
import Foundation
import GRDB
import Synchronization
import Testing
@testable import ExportSyncStore

@Suite("Group commit, batched scheduling, bounded reads")
struct GroupCommitTests {
    static let location = "https://api.example.test/operations/op"

    @Test("concurrent transitions share transactions, and every one is committed when its call returns")
    func concurrentTransitionsShareCommits() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let names = (0..<300).map { "job-\($0)" }
        try await store.registerJobs(names)
        let runIDs = try await store.createDueRuns(names.map {
            DueRunRequest(job: $0, kind: .export, scheduledFor: Instant.base, deadline: Instant.at(3_600), nextDueAt: nil)
        }, at: Instant.base).map { try $0.get().id }
        let before = store.writeStatistics

        // Each task checks, right after its call returns, that a separate connection sees the row:
        // the answer comes only after the shared transaction committed.
        let raw = try temp.rawConnection()
        let seenCommitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, runID) in runIDs.enumerated() {
                group.addTask {
                    _ = try await store.kickoff(runID, at: Instant.at(1))
                    _ = try await store.accept(runID, location: "\(Self.location)-\(index)", xVersion: "2026-01-01",
                        pollAt: Instant.at(10), at: Instant.at(2))
                    return try await raw.read { db in
                        try String.fetchOne(db, sql: "SELECT phase FROM runs WHERE id = ?", arguments: [runID]) == "polling"
                    }
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(seenCommitted == runIDs.count)
        let after = store.writeStatistics
        let writes = after.writes - before.writes
        let transactions = after.transactions - before.transactions
        print("group commit: \(writes) transitions in \(transactions) transactions")
        #expect(writes == 2 * runIDs.count)
        #expect(transactions < writes, "concurrent transitions must share transactions (\(transactions) for \(writes))")
        let polling = try await store.runs(in: .polling, limit: 1_000)
        #expect(polling.count == runIDs.count)
        #expect(Set(polling.compactMap { $0.operation?.location }).count == runIDs.count)
    }

    @Test("an illegal transition in a shared transaction is undone alone; its neighbours commit")
    func failingWriteIsIsolated() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let names = (0..<40).map { "job-\($0)" }
        try await store.registerJobs(names)
        var runIDs: [Int64] = []
        for name in names { runIDs.append(try await store.dueRun(name)) }
        // Odd runs get a file recorded while still `due`: illegal, must write nothing.
        let outcomes = await withTaskGroup(of: (Int64, Bool).self) { group in
            for (index, runID) in runIDs.enumerated() {
                group.addTask {
                    do {
                        if index.isMultiple(of: 2) {
                            _ = try await store.kickoff(runID, at: Instant.at(1))
                        } else {
                            _ = try await store.fileWritten(runID, path: "f-\(index).pdf", size: 1, sha256: String(repeating: "0", count: 64), at: Instant.at(1))
                        }
                        return (runID, true)
                    } catch {
                        #expect(error is StateStoreError, "\(error)")
                        return (runID, false)
                    }
                }
            }
            return await group.reduce(into: [Int64: Bool]()) { $0[$1.0] = $1.1 }
        }
        for (index, runID) in runIDs.enumerated() {
            let run = try #require(try await store.run(id: runID))
            if index.isMultiple(of: 2) {
                #expect(outcomes[runID] == true)
                #expect(run.phase == .starting)
            } else {
                #expect(outcomes[runID] == false)
                #expect(run.phase == .due)
                #expect(try await store.files(producedBy: runID).isEmpty)
            }
        }
    }

    @Test("a write that makes SQLite abort the shared transaction fails alone; its neighbours commit when retried")
    func abortedSharedTransactionIsRetriedAlone() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let pool = try DatabasePool(path: temp.path)
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE t(v TEXT PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO t VALUES ('taken')")
        }
        let queue = GroupCommitQueue(pool: pool)
        // The writer is held busy, in a batch of its own, until every request below is queued,
        // so they share the next batch.
        let release = DispatchSemaphore(value: 0)
        let holding = QueuedRequests()
        let blocker = Task {
            try await queue.write { _ in
                holding.count.withLock { $0 += 1 }
                release.wait()
            }
        }
        while holding.count.withLock({ $0 }) == 0 { await Task.yield() }
        let queued = QueuedRequests()
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<30 {
                group.addTask {
                    queued.count.withLock { $0 += 1 }
                    do {
                        try await queue.write { db in
                            try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: ["v-\(index)"])
                            // A constraint with OR ROLLBACK: SQLite ends the whole transaction.
                            if index == 17 { try db.execute(sql: "INSERT OR ROLLBACK INTO t VALUES ('taken')") }
                        }
                        return (index, true)
                    } catch {
                        #expect(error is DatabaseError, "\(error)")
                        return (index, false)
                    }
                }
            }
            while queued.count.withLock({ $0 }) < 30 { await Task.yield() }
            release.signal()
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        try await blocker.value
        #expect(outcomes.filter { !$0.value }.map(\.key) == [17])
        let values = Set(try await pool.read { try String.fetchAll($0, sql: "SELECT v FROM t") })
        #expect(values == Set(["taken"] + (0..<30).filter { $0 != 17 }.map { "v-\($0)" }), "nothing of the aborted write is kept")
    }

    @Test("one read of every phase attaches each run's operation, one shared by two runs included")
    func dispatchReadAttachesOperations() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["a", "b", "c", "d"])
        let a = try await store.dueRun("a"), b = try await store.dueRun("b")
        let c = try await store.dueRun("c"), d = try await store.dueRun("d")
        let shared = ProviderOperationIDs(exportID: "90000", exportFileID: "file-1")
        for run in [a, b, c] { _ = try await store.kickoff(run, at: Instant.at(1)) }
        _ = try await store.accept(a, location: "https://api.example.test/op-a", xVersion: nil, providerIDs: shared, pollAt: Instant.at(2), at: Instant.at(1))
        let joined = try await store.accept(b, location: "https://api.example.test/op-b", xVersion: nil, providerIDs: shared, pollAt: Instant.at(2), at: Instant.at(1))
        #expect(joined.joinedExisting)
        _ = try await store.accept(c, location: "https://api.example.test/op-c", xVersion: nil, pollAt: Instant.at(2), at: Instant.at(1))
        _ = try await store.succeeded(a, status: "Available", at: Instant.at(2))
        _ = try await store.succeeded(c, status: "completed", at: Instant.at(2))

        let runs = try await store.dispatchCandidates(
            runLimits: [(.downloading, 10), (.uploading, 10), (.starting, 10), (.due, 10)], pollsUntil: Instant.at(3), pollLimit: 0).runs
        #expect(runs.map(\.run.id) == [a, b, c, d], "downloading by id, then due")
        let byID = Dictionary(uniqueKeysWithValues: runs.map { ($0.run.id, $0) })
        #expect(byID[a]?.operation?.location == "https://api.example.test/op-a")
        #expect(byID[b]?.operation?.id == byID[a]?.operation?.id, "b follows a's operation")
        #expect(byID[c]?.operation?.location == "https://api.example.test/op-c")
        #expect(byID[d]?.operation == nil)
        #expect(byID[b]?.state == .downloading(operationURL: "https://api.example.test/op-a"))
        #expect(byID[d]?.state == .due)
    }

    @Test("createDueRuns: one transaction for many jobs; a job with a run in flight fails alone")
    func batchedScheduling() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["a", "b", "c"])
        let existing = try await store.dueRun("b")
        let before = store.writeStatistics
        let results = try await store.createDueRuns(["a", "b", "c", "missing"].map {
            DueRunRequest(job: $0, kind: .export, scheduledFor: Instant.at(60), deadline: Instant.at(3_660), nextDueAt: Instant.at(7_200))
        }, at: Instant.at(60))
        #expect(store.writeStatistics.transactions - before.transactions == 1)
        #expect(results.count == 4)
        guard case .success(let a) = results[0], case .success(let c) = results[2] else {
            Issue.record("a and c must be scheduled: \(results)")
            return
        }
        #expect(a.job == "a" && c.job == "c")
        guard case .failure(.jobHasUnfinishedRun(let job, let runID)) = results[1] else {
            Issue.record("b has a run in flight: \(results[1])")
            return
        }
        #expect(job == "b" && runID == existing)
        guard case .failure(.unknownJob("missing")) = results[3] else {
            Issue.record("an unknown job must fail alone: \(results[3])")
            return
        }
        #expect(try await store.job(named: "a")?.nextDueAt == Instant.at(7_200))
        #expect(try await store.job(named: "b")?.nextDueAt == Instant.at(7_200), "b's slot is skipped: next due at the following time")
        #expect(try await store.run(id: existing)?.phase == .due, "b's run in flight is untouched")
        #expect(try await store.runs(in: .due, limit: 10).map(\.run.id) == [existing, a.id, c.id])
    }

    @Test("runs(in:limit:) reads one phase oldest first, bounded, from the partial index without a sort")
    func boundedPhaseRead() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let names = (0..<50).map { "job-\($0)" }
        try await store.registerJobs(names)
        var runIDs: [Int64] = []
        for name in names { runIDs.append(try await store.dueRun(name)) }
        for runID in runIDs.prefix(10) { _ = try await store.kickoff(runID, at: Instant.at(1)) }

        #expect(try await store.runs(in: .due, limit: 5).map(\.run.id) == Array(runIDs[10..<15]))
        #expect(try await store.runs(in: .starting, limit: 100).map(\.run.id) == Array(runIDs.prefix(10)))
        #expect(try await store.runs(in: .done, limit: 100).isEmpty, "finished phases are not read")
        #expect(try await store.runs(in: .due, limit: 0).isEmpty)

        let plan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + StateQueries.runsInPhase, arguments: ["due", "2027-01-01 00:00:00.000", "[1,2]", 5])
                .map { $0["detail"] as String? ?? "" }.joined(separator: "; ")
        }
        #expect(plan.contains("runs_unfinished_by_phase") || plan.contains("runs_one_unfinished_per_item"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "the read must not sort the phase's whole backlog: \(plan)")

        // All phases in one statement: each branch reads its phase's range of the partial index
        // in id order, with no sort.
        let unionPlan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + StateQueries.runsInPhases(count: 4),
                             arguments: StatementArguments(Array(repeating: ["due", "2027-01-01 00:00:00.000", "[1,2]", 5] as [any DatabaseValueConvertible], count: 4).flatMap { $0 }))
                .map { $0["detail"] as String? ?? "" }
        }
        #expect(unionPlan.filter { $0.contains("runs_unfinished_by_phase") || $0.contains("runs_one_unfinished_per_item") }.count == 4, "\(unionPlan)")
        #expect(!unionPlan.contains { $0.contains("SCAN runs") }, "no branch scans the table: \(unionPlan)")
        #expect(!unionPlan.contains { $0.contains("TEMP B-TREE") }, "no sort: \(unionPlan)")

        // The union answers what a read per phase answers, phase by phase in the order asked.
        let both = try await store.dispatchCandidates(runLimits: [(.starting, 3), (.due, 2)], pollsUntil: .distantFuture, pollLimit: 0).runs
        #expect(both.map(\.run.id) == Array(runIDs.prefix(3)) + Array(runIDs[10..<12]))
        #expect(both.prefix(3).allSatisfy { $0.run.phase == .starting } && both.suffix(2).allSatisfy { $0.run.phase == .due })
    }
}

/// A count shared by the tasks of one test.
private final class QueuedRequests: Sendable {
    let count = Mutex(0)
}
