public import ExportSyncCore
public import Foundation
import GRDB

/// A run to create for a job that came due: the arguments of ``StateStore/createDueRun(job:kind:scheduledFor:deadline:nextDueAt:at:)``.
public struct DueRunRequest: Sendable, Hashable {
    public var job: String
    public var kind: RunKind
    public var scheduledFor: Date
    public var deadline: Date
    /// The job's following due time (`nil`: never again).
    public var nextDueAt: Date?

    /// Creates a request.
    public init(job: String, kind: RunKind, scheduledFor: Date, deadline: Date, nextDueAt: Date?) {
        self.job = job
        self.kind = kind
        self.scheduledFor = scheduledFor
        self.deadline = deadline
        self.nextDueAt = nextDueAt
    }

    /// The export run of `job` due at `now`: its deadline from the job's `deadline`, its next
    /// due time from the job's schedule.
    public init(exportOf job: JobSpec, at now: Date) {
        self.init(job: job.name, kind: .export, scheduledFor: now,
                  deadline: now.addingTimeInterval(TimeInterval(job.deadlineSeconds)),
                  nextDueAt: job.schedule.nextDue(lastScheduled: Int64(now.timeIntervalSince1970))
                      .map { Date(timeIntervalSince1970: TimeInterval($0)) })
    }
}

/// Server-side details of an operation that ended in a terminal failure (Workiva `failed` or
/// `cancelled`, WebAdMIT `Failed`, `Empty List`, …).
public struct OperationFailure: Sendable, Hashable {
    /// The terminal status as the server spelled it.
    public var status: String
    /// JSON text of Workiva's `details[]`, as received.
    public var details: String?
    /// JSON text of Workiva's `originalRequest`, as received.
    public var originalRequest: String?

    /// Creates the failure details.
    public init(status: String, details: String? = nil, originalRequest: String? = nil) {
        self.status = status
        self.details = details
        self.originalRequest = originalRequest
    }
}

extension StateStore {
    /// Creates a `due` run for `job` and, in the same transaction, advances the job's schedule
    /// bookkeeping (`last_scheduled_at = scheduledFor`, `next_due_at = nextDueAt`), so a restart
    /// neither forgets the run nor schedules the same slot again.
    ///
    /// - Throws: ``StateStoreError/unknownJob(_:)``, or ``StateStoreError/jobHasUnfinishedRun(job:runID:)``
    ///   when the job already has a run in flight.
    public func createDueRun(
        job: String, kind: RunKind, scheduledFor: Date, deadline: Date, nextDueAt: Date?, at now: Date = Date()
    ) async throws -> StoredRun {
        let request = DueRunRequest(job: job, kind: kind, scheduledFor: scheduledFor, deadline: deadline, nextDueAt: nextDueAt)
        return try await write { db in try Self.insertDueRun(db, request, now: now) }
    }

    /// ``createDueRun(job:kind:scheduledFor:deadline:nextDueAt:at:)`` for many jobs in one
    /// transaction (a restart or a shared schedule brings thousands due at once). Each request
    /// succeeds or fails on its own; the answers are in the order of `requests`. A job that still
    /// has a run in flight fails with ``StateStoreError/jobHasUnfinishedRun(job:runID:)`` and, in
    /// the same transaction, its `next_due_at` moves to the request's `nextDueAt`: the slot is
    /// skipped, not retried on every pass.
    public func createDueRuns(_ requests: [DueRunRequest], at now: Date = Date()) async throws -> [Result<StoredRun, StateStoreError>] {
        let path = self.path
        return try await write { db in
            try requests.map { request -> Result<StoredRun, StateStoreError> in
                var created: StoredRun?
                do {
                    try db.inSavepoint {
                        created = try Self.insertDueRun(db, request, now: now)
                        return .commit
                    }
                } catch let error as StateStoreError {
                    if case .jobHasUnfinishedRun = error {
                        // The slot is skipped: the job is next due at its following time.
                        try db.cachedStatement(sql: "UPDATE jobs SET next_due_at = ?, updated_at = ? WHERE name = ?")
                            .execute(arguments: [StorageDate.wrap(request.nextDueAt), StorageDate(now), request.job])
                    }
                    return .failure(error)
                } catch let error as DatabaseError where db.isInsideTransaction {
                    return .failure(.sqlite(path: path, detail: error.message ?? "\(error.resultCode)"))
                }
                guard let created else { throw StateStoreError.unknownJob(request.job) }
                return .success(created)
            }
        }
    }

    private static func insertDueRun(_ db: Database, _ request: DueRunRequest, now: Date) throws -> StoredRun {
        let job = request.job
        guard var jobRecord = try JobRecord.fetch(db, name: job) else { throw StateStoreError.unknownJob(job) }
        if let id = try unfinishedRunID(db, job: job) {
            throw StateStoreError.jobHasUnfinishedRun(job: job, runID: id)
        }
        var run = RunRecord(
            id: nil, job: job, kind: request.kind, phase: .due, attemptCount: 0, createdAt: now, updatedAt: now,
            scheduledFor: request.scheduledFor, deadline: request.deadline, kickoffSentAt: nil, possibleDuplicate: false,
            failureReason: nil, failureRetryable: nil, finishedAt: nil, operationId: nil)
        try run.insert(db)
        jobRecord.lastScheduledAt = request.scheduledFor
        jobRecord.nextDueAt = request.nextDueAt
        jobRecord.updatedAt = now
        try jobRecord.update(db)
        return try StoredRun(run, id: Self.id(of: run))
    }

    /// Records that the kickoff is about to be sent: `due → starting`, or again after a restart
    /// in `starting`/`uploading` (then flagged as a possible duplicate). Call it *before* the
    /// POST, so a crash after sending is always seen on restart.
    ///
    /// - Returns: ``RunAction/sendKickoff(possibleDuplicate:)``.
    public func recordKickoffSent(run runID: Int64, at now: Date = Date()) async throws -> RunAction {
        try await write { db in
            let (loaded, operation) = try Self.loadRun(db, runID)
            var run = loaded
            var machine = try Self.machine(for: run, operation: operation, runID: runID)
            let event: RunEvent = [.starting, .uploading].contains(run.phase) ? .restart : .begin
            let action = try Self.apply(event, to: &machine, runID: runID)
            guard case .sendKickoff(let possibleDuplicate) = action else {
                throw StateStoreError.illegalTransition(
                    runID: runID, IllegalRunTransition(kind: run.kind, phase: run.phase, event: event))
            }
            run.phase = machine.state.phase
            run.attemptCount += 1
            run.kickoffSentAt = now
            run.possibleDuplicate = run.possibleDuplicate || possibleDuplicate
            run.operationId = nil
            run.updatedAt = now
            try run.update(db)
            try db.cachedStatement(sql: "UPDATE jobs SET last_run_started_at = ?, updated_at = ? WHERE name = ?")
                .execute(arguments: [StorageDate(now), StorageDate(now), run.job])
            return action
        }
    }

    /// Records the kickoff's answer in one transaction: the operation row (exact `location`,
    /// resolved by the caller if relative; the `xVersion` used; `providerIDs` when the provider
    /// has them) and the run's move to `polling` (export) or `uploading` (upload).
    ///
    /// With `providerIDs` matching an existing operation, the run joins that operation instead
    /// of creating a second one (WebAdMIT: the same export file is polled and fetched once).
    /// Uploads get no `next_poll_at` until ``recordUploadFinished(run:nextPollAt:at:)``.
    public func recordOperationAccepted(
        run runID: Int64, location: String, xVersion: String?, providerIDs: ProviderOperationIDs? = nil,
        nextPollAt: Date, deadline: Date? = nil, at now: Date = Date()
    ) async throws -> OperationAcceptance {
        try await write { db in
            var (run, _) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: nil, runID: runID)
            var existing: OperationRecord?
            if let providerIDs {
                existing = try OperationRecord
                    .filter(Column("provider_export_id") == providerIDs.exportID
                            && Column("provider_export_file_id") == providerIDs.exportFileID)
                    .fetchOne(db)
            }
            let firstPollAt = existing?.nextPollAt ?? nextPollAt
            let action = try Self.apply(
                .kickoffAccepted(operationURL: existing?.location ?? location, firstPollAt: firstPollAt),
                to: &machine, runID: runID)
            let pollAt: Date? = run.kind == .export ? firstPollAt : nil
            var operation: OperationRecord
            if var found = existing {
                if found.nextPollAt == nil { found.nextPollAt = pollAt }
                found.updatedAt = now
                try found.update(db)
                operation = found
            } else {
                operation = OperationRecord(
                    id: nil, runId: runID, location: location, xVersion: xVersion,
                    providerExportId: providerIDs?.exportID, providerExportFileId: providerIDs?.exportFileID,
                    nextPollAt: pollAt, pollCount: 0, lastStatus: nil, details: nil, originalRequest: nil,
                    deadline: deadline ?? run.deadline, createdAt: now, updatedAt: now)
                try operation.insert(db)
            }
            let operationID = try Self.id(of: operation)
            run.phase = machine.state.phase
            run.operationId = operationID
            run.updatedAt = now
            try run.update(db)
            return OperationAcceptance(
                operation: StoredOperation(operation, id: operationID), joinedExisting: existing != nil, action: action)
        }
    }

    /// Records that an upload's PUT finished: `uploading → polling`, polled first at `nextPollAt`.
    public func recordUploadFinished(run runID: Int64, nextPollAt: Date, at now: Date = Date()) async throws -> RunAction {
        try await write { db in try Self.applyUploadFinished(db, runID: runID, nextPollAt: nextPollAt, now: now).action }
    }

    /// The `uploading → polling` step inside a caller's transaction; answers the run's action and
    /// its operation (``recordUploadSent(run:nextPollAt:at:)`` also updates the uploads row).
    static func applyUploadFinished(_ db: Database, runID: Int64, nextPollAt: Date, now: Date) throws -> (action: RunAction, operation: OperationRecord) {
        var (run, operation) = try loadRun(db, runID)
        var stateMachine = try Self.machine(for: run, operation: operation, runID: runID)
        let action = try apply(.uploadFinished(nextPollAt: nextPollAt), to: &stateMachine, runID: runID)
        var op = try require(operation, runID: runID)
        op.nextPollAt = nextPollAt
        op.updatedAt = now
        try op.update(db)
        run.phase = stateMachine.state.phase
        run.updatedAt = now
        try run.update(db)
        return (action, op)
    }

    /// Records a poll answer saying the operation is still running: poll count, status, and the
    /// next poll time (from `Retry-After` or backoff), so a restart never polls early.
    /// Runs sharing the operation see the same `next_poll_at`.
    public func recordPoll(run runID: Int64, status: String, nextPollAt: Date, at now: Date = Date()) async throws -> RunAction {
        try await write { db in
            var (run, operation) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: operation, runID: runID)
            let action = try Self.apply(.operationPending(nextPollAt: nextPollAt), to: &machine, runID: runID)
            var op = try Self.require(operation, runID: runID)
            op.pollCount += 1
            op.lastStatus = status
            op.nextPollAt = nextPollAt
            op.updatedAt = now
            try op.update(db)
            run.updatedAt = now
            try run.update(db)
            return action
        }
    }

    /// Records that the run's operation succeeded, in one transaction: the operation stops being
    /// polled and every run in `polling` that follows it moves on — exports to `downloading`,
    /// uploads to `done`.
    ///
    /// - Returns: the ids of the runs moved (the given run first) and the given run's action.
    public func recordOperationSucceeded(
        run runID: Int64, status: String, at now: Date = Date()
    ) async throws -> (runIDs: [Int64], action: RunAction) {
        try await write { db in
            let (run, operation) = try Self.loadRun(db, runID)
            var op = try Self.require(operation, runID: runID)
            guard run.phase == .polling else {
                throw StateStoreError.illegalTransition(
                    runID: runID, IllegalRunTransition(kind: run.kind, phase: run.phase, event: .operationSucceeded))
            }
            let operationID = try Self.id(of: op)
            let followers = try RunRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM runs WHERE operation_id = ? AND phase = 'polling' ORDER BY id"),
                arguments: [operationID])
            var moved: [Int64] = [runID]
            var firstAction: RunAction?
            for var follower in [run] + followers.filter({ $0.id != runID }) {
                let followerID = try Self.id(of: follower)
                var machine = try Self.machine(for: follower, operation: op, runID: followerID)
                let action = try Self.apply(.operationSucceeded, to: &machine, runID: followerID)
                firstAction = firstAction ?? action
                if followerID != runID { moved.append(followerID) }
                follower.phase = machine.state.phase
                if machine.state.phase == .done { follower.finishedAt = now }
                follower.updatedAt = now
                try follower.update(db)
            }
            op.pollCount += 1
            op.lastStatus = status
            op.nextPollAt = nil
            op.updatedAt = now
            try op.update(db)
            guard let firstAction else { throw StateStoreError.runNotFound(runID) }
            return (moved, firstAction)
        }
    }

    /// Records that an export's file is in place (fsynced, renamed, directory fsynced), in one
    /// transaction: the `files` row (path relative to the output root, size, lower-case hex
    /// SHA-256, producing run and operation) and the run's move to `done`.
    public func recordFileWritten(
        run runID: Int64, path: String, size: Int64, sha256: String, at now: Date = Date()
    ) async throws -> StoredFile {
        try await write { db in
            var (run, operation) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: operation, runID: runID)
            _ = try Self.apply(.fileWritten, to: &machine, runID: runID)
            var file = FileRecord(
                id: nil, path: path, size: size, sha256: sha256.lowercased(), runId: runID,
                operationId: operation?.id, writtenAt: now)
            try file.insert(db)
            run.phase = machine.state.phase
            run.finishedAt = now
            run.updatedAt = now
            try run.update(db)
            return try StoredFile(file, id: Self.id(of: file))
        }
    }

    /// Records a failure: the run moves to `failed(reason, retryable)` from any unfinished phase.
    ///
    /// With `operationFailure` (a terminal server state), the operation stores the status,
    /// `details` and `originalRequest`, stops being polled, and every other run following it
    /// fails with the same reason. Without it (deadline, local error), only this run fails, and
    /// the operation stops being polled once no unfinished run follows it.
    public func recordFailure(
        run runID: Int64, reason: String, retryable: Bool, operationFailure: OperationFailure? = nil,
        at now: Date = Date()
    ) async throws -> RunAction {
        try await write { db in
            let (run, operation) = try Self.loadRun(db, runID)
            var followers: [RunRecord] = []
            if let operationFailure, var op = operation {
                op.lastStatus = operationFailure.status
                op.details = operationFailure.details
                op.originalRequest = operationFailure.originalRequest
                op.nextPollAt = nil
                op.updatedAt = now
                try op.update(db)
                followers = try RunRecord
                    .filter(Column("operation_id") == op.id && Column("id") != runID
                            && RunPhase.unfinished.map(\.rawValue).contains(Column("phase")))
                    .fetchAll(db)
            }
            var action: RunAction?
            for var failing in [run] + followers {
                let failingID = try Self.id(of: failing)
                var machine = try Self.machine(for: failing, operation: operation, runID: failingID)
                let result = try Self.apply(.failed(reason: reason, retryable: retryable), to: &machine, runID: failingID)
                action = action ?? result
                failing.phase = .failed
                failing.failureReason = reason
                failing.failureRetryable = retryable
                failing.finishedAt = now
                failing.updatedAt = now
                try failing.update(db)
            }
            if operationFailure == nil, let operationID = operation?.id {
                let stillFollowed = try RunRecord
                    .filter(Column("operation_id") == operationID
                            && RunPhase.unfinished.map(\.rawValue).contains(Column("phase")))
                    .fetchCount(db) > 0
                if !stillFollowed {
                    try db.execute(
                        sql: "UPDATE operations SET next_poll_at = NULL, updated_at = ? WHERE id = ?",
                        arguments: [now, operationID])
                }
            }
            guard let action else { throw StateStoreError.runNotFound(runID) }
            return action
        }
    }

    // MARK: - Helpers shared by the transitions

    /// The id of `job`'s unfinished run, if it has one: one lookup in the partial unique index.
    static func unfinishedRunID(_ db: Database, job: String) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM runs WHERE job = ? AND phase IN \(StateSchema.unfinishedPhases)"),
            arguments: [job])
    }

    static func loadRun(_ db: Database, _ runID: Int64) throws -> (RunRecord, OperationRecord?) {
        guard let run = try RunRecord.fetch(db, id: runID) else { throw StateStoreError.runNotFound(runID) }
        let operation = try run.operationId.flatMap { try OperationRecord.fetch(db, id: $0) }
        return (run, operation)
    }

    static func machine(for run: RunRecord, operation: OperationRecord?, runID: Int64) throws -> RunStateMachine {
        RunStateMachine(kind: run.kind, state: try state(of: run, operation: operation, runID: runID))
    }

    /// Rebuilds the lifecycle state from a row. A polling operation that lost its poll time
    /// (should not happen) is polled at once rather than stranding the run.
    static func state(of run: RunRecord, operation: OperationRecord?, runID: Int64) throws -> RunState {
        switch run.phase {
        case .due: return .due
        case .starting: return .starting
        case .uploading: return .uploading(operationURL: try require(operation, runID: runID).location)
        case .polling:
            let op = try require(operation, runID: runID)
            return .polling(operationURL: op.location, nextPollAt: op.nextPollAt ?? run.updatedAt)
        case .downloading: return .downloading(operationURL: try require(operation, runID: runID).location)
        case .done: return .done
        case .failed: return .failed(reason: run.failureReason ?? "", retryable: run.failureRetryable ?? false)
        }
    }

    static func apply(_ event: RunEvent, to machine: inout RunStateMachine, runID: Int64) throws -> RunAction {
        do {
            return try machine.handle(event)
        } catch {
            throw StateStoreError.illegalTransition(runID: runID, error)
        }
    }

    static func require(_ operation: OperationRecord?, runID: Int64) throws -> OperationRecord {
        guard let operation else {
            throw StateStoreError.inconsistentRun(runID: runID, detail: "no operation recorded for its phase")
        }
        return operation
    }

    static func id(of record: RunRecord) throws -> Int64 {
        guard let id = record.id else { throw StateStoreError.inconsistentRun(runID: 0, detail: "run row without id") }
        return id
    }

    static func id(of record: OperationRecord) throws -> Int64 {
        guard let id = record.id else {
            throw StateStoreError.inconsistentRun(runID: record.runId, detail: "operation row without id")
        }
        return id
    }

    static func id(of record: FileRecord) throws -> Int64 {
        guard let id = record.id else {
            throw StateStoreError.inconsistentRun(runID: record.runId, detail: "file row without id")
        }
        return id
    }
}
