public import ExportSyncCore
public import Foundation
import GRDB

/// A run to create for a job that came due (``StateStore/createDueRuns(_:at:)``).
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
    /// Creates a `due` run for each request and, in the same transaction, advances each job's
    /// schedule bookkeeping (`last_scheduled_at = scheduledFor`, `next_due_at = nextDueAt`), so a
    /// restart neither forgets a run nor schedules the same slot again. One transaction for all
    /// (a restart or a shared schedule brings thousands due at once); each request succeeds or
    /// fails on its own (``StateStoreError/unknownJob(_:)`` among others); the answers are in the order of `requests`. A job that still
    /// has a run in flight fails with ``StateStoreError/jobHasUnfinishedRun(job:runID:)`` and, in
    /// the same transaction, its `next_due_at` moves to the request's `nextDueAt`: the slot is
    /// skipped, not retried on every pass.
    public func createDueRuns(_ requests: [DueRunRequest], at now: Date) async throws -> [Result<StoredRun, StateStoreError>] {
        let path = self.path
        return try await write { db in
            try requests.map { request -> Result<StoredRun, StateStoreError> in
                let created: StoredRun
                do {
                    created = try db.inCachedSavepoint { try Self.insertDueRun(db, request, now: now) }
                } catch let error as StateStoreError {
                    if case .jobHasUnfinishedRun = error {
                        // The slot is skipped: the job is next due at its following time.
                        // A trigger is answered by the run in progress (`triggered_at` cleared).
                        try db.cachedStatement(sql: "UPDATE jobs SET next_due_at = ?, updated_at = ?, triggered_at = NULL WHERE name = ?")
                            .execute(arguments: [StorageDate.wrap(request.nextDueAt), StorageDate(now), request.job])
                    }
                    return .failure(error)
                } catch let error as DatabaseError where db.isInsideTransaction {
                    return .failure(.sqlite(path: path, detail: error.message ?? "\(error.resultCode)"))
                }
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
        // A trigger is answered by this run, in the transaction that creates it.
        try db.cachedStatement(sql: "UPDATE jobs SET triggered_at = NULL WHERE name = ? AND triggered_at IS NOT NULL")
            .execute(arguments: [job])
        return try StoredRun(run, id: Self.id(of: run))
    }

    /// Records that the kickoff is about to be sent: `due → starting`, or again from
    /// `starting`/`uploading` (then flagged as a possible duplicate). Call it *before* the POST,
    /// so a crash after sending is always seen on restart.
    public func recordKickoffSending(run runID: Int64, policy: RunPolicy, at now: Date) async throws -> RunDecision {
        try await write { db in
            var (run, operation) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: operation, policy: policy, runID: runID)
            let action = try Self.apply(.sendingKickoff, to: &machine, now: now, jitter: 0, runID: runID)
            if case .kickoff(_, let possibleDuplicate) = action {
                run.possibleDuplicate = run.possibleDuplicate || possibleDuplicate
            }
            run.attemptCount += 1
            run.kickoffSentAt = now
            run.operationId = nil
            Self.copy(machine, into: &run, now: now, secrets: self.secrets)
            try run.updateRow(db)
            try db.cachedStatement(sql: "UPDATE jobs SET last_run_started_at = ?, updated_at = ? WHERE name = ?")
                .execute(arguments: [StorageDate(now), StorageDate(now), run.job])
            return RunDecision(run: StoredRun(run, id: runID), action: action)
        }
    }

    /// Records the kickoff's answer in one transaction: the operation row (exact `location`,
    /// resolved by the caller if relative; the `xVersion` used; `providerIDs` when the provider
    /// has them) and the run's move to `polling` (export) or `uploading` (upload), with the first
    /// poll time the core chose from `serverWait`. `found`: the operation was adopted from the
    /// provider's listing after an ambiguous kickoff.
    ///
    /// With `providerIDs` matching an existing operation, the run joins that operation instead
    /// of creating a second one (WebAdMIT: the same export file is polled and fetched once).
    public func recordOperationAccepted(
        run runID: Int64, location: String, xVersion: String?, providerIDs: ProviderOperationIDs? = nil,
        serverWait: Double?, found: Bool = false, policy: RunPolicy, at now: Date
    ) async throws -> OperationAcceptance {
        try await write { db in
            var (run, _) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: nil, policy: policy, runID: runID)
            var existing: OperationRecord?
            if let providerIDs {
                existing = try OperationRecord
                    .filter { $0.providerExportId == providerIDs.exportID && $0.providerExportFileId == providerIDs.exportFileID }
                    .fetchOne(db)
            }
            let url = existing?.location ?? location
            let event: RunEvent = found ? .kickoffFound(operationURL: url) : .kickoffAccepted(operationURL: url, serverWait: serverWait)
            var action = try Self.apply(event, to: &machine, now: now, jitter: 0, runID: runID)
            var operation: OperationRecord
            if var joined = existing {
                // The operation's own poll schedule stands; the run follows it.
                if case .polling = machine.state {
                    if let pollAt = joined.nextPollAt {
                        action = .poll(operationURL: url, at: pollAt)
                    } else if let at = action.at {
                        joined.nextPollAt = at
                    }
                }
                joined.updatedAt = now
                try joined.updateRow(db)
                operation = joined
            } else {
                operation = OperationRecord(
                    id: nil, runId: runID, location: location, xVersion: xVersion,
                    providerExportId: providerIDs?.exportID, providerExportFileId: providerIDs?.exportFileID,
                    nextPollAt: run.kind == .export ? action.at : nil, pollCount: 0, lastStatus: nil, details: nil,
                    originalRequest: nil, deadline: run.deadline, createdAt: now, updatedAt: now)
                try operation.insert(db)
            }
            let operationID = try Self.id(of: operation)
            run.operationId = operationID
            Self.copy(machine, into: &run, now: now, secrets: self.secrets)
            try run.updateRow(db)
            return OperationAcceptance(
                operation: StoredOperation(operation, id: operationID), joinedExisting: existing != nil,
                decision: RunDecision(run: StoredRun(run, id: runID), action: action))
        }
    }

    /// Records a poll's answer (``RunEvent/pollPending(serverWait:)``, ``RunEvent/pollSucceeded``,
    /// ``RunEvent/pollTerminal(reason:)`` or ``RunEvent/pollTransient(reason:serverWait:)``) for
    /// the operation `run` follows, in one transaction: the operation's status, poll count and
    /// next poll time (persisted before the daemon waits), and every run following it moves with
    /// it (exports to `downloading`, uploads to `done`, or all to `failed`).
    ///
    /// - Parameter operationFailure: the server's details of a terminal failure.
    public func recordPollAnswer(
        run runID: Int64, event: RunEvent, status: String?, operationFailure: OperationFailure? = nil,
        policy: RunPolicy, jitter: Double, at now: Date
    ) async throws -> RunDecision {
        try await write { db in
            let (lead, operation) = try Self.loadRun(db, runID)
            var op = try Self.require(operation, runID: runID)
            let operationID = try Self.id(of: op)
            let followers = try RunRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM runs WHERE operation_id = ? AND phase = 'polling' AND id <> ? ORDER BY id"),
                arguments: [operationID, runID])
            var decision: RunDecision?
            var moved: [Int64] = []
            var movedJobs: [String] = []
            for var run in [lead] + followers {
                let id = try Self.id(of: run)
                var machine = try Self.machine(for: run, operation: op, policy: policy, runID: id)
                let action = try Self.apply(event, to: &machine, now: now, jitter: jitter, runID: id)
                Self.copy(machine, into: &run, now: now, secrets: self.secrets)
                try run.updateRow(db)
                if decision == nil {
                    decision = RunDecision(run: StoredRun(run, id: id), action: action)
                    op.pollCount = machine.progress.pollCount
                    if case .polling(_, let nextPollAt) = machine.state { op.nextPollAt = nextPollAt } else { op.nextPollAt = nil }
                } else {
                    moved.append(id)
                    movedJobs.append(run.job)
                }
            }
            let secrets = self.secrets
            func scrubbed(_ text: String?) -> String? { text.map { secrets?.scrub($0) ?? $0 } }
            if let status { op.lastStatus = scrubbed(status) }
            if let operationFailure {
                op.lastStatus = scrubbed(operationFailure.status)
                op.details = scrubbed(operationFailure.details)
                op.originalRequest = scrubbed(operationFailure.originalRequest)
            }
            op.updatedAt = now
            try op.updateRow(db)
            guard var decision else { throw StateStoreError.runNotFound(runID) }
            decision.followers = moved
            decision.followerJobs = movedJobs
            return decision
        }
    }

    /// Records that an export's file is in place (fsynced, renamed, directory fsynced), in one
    /// transaction: the `files` row (path relative to the output root, size, lower-case hex
    /// SHA-256, producing run and operation) and the run's move to `done`.
    ///
    /// With `hook`, the file's delivery hook is recorded as pending in the same transaction: a
    /// recorded file's hook runs at least once, whatever happens after the commit.
    public func recordFileWritten(
        run runID: Int64, path: String, size: Int64, sha256: String, policy: RunPolicy, hook: Bool = false, at now: Date
    ) async throws -> StoredFile {
        try await write { db in
            var (run, operation) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: operation, policy: policy, runID: runID)
            _ = try Self.apply(.downloadComplete, to: &machine, now: now, jitter: 0, runID: runID)
            var file = FileRecord(
                id: nil, path: path, size: size, sha256: sha256.lowercased(), runId: runID,
                operationId: operation?.id, writtenAt: now)
            try file.insert(db)
            if hook { try Self.insertPendingHook(db, fileID: try Self.id(of: file), now: now) }
            if let item = run.item {
                try db.cachedStatement(sql: "UPDATE discovered_items SET delivered_path = ? WHERE job = ? AND item = ?")
                    .execute(arguments: [path, run.job, item])
            }
            Self.copy(machine, into: &run, now: now, secrets: self.secrets)
            try run.updateRow(db)
            return try StoredFile(file, id: Self.id(of: file))
        }
    }

    /// Records any other outcome of a step: a transient, ambiguous or refused kickoff, an empty
    /// listing, a failed PUT or download, the deadline, an abandoned run. The core decides the
    /// wait (persisted as the run's next attempt before the daemon waits) or the failure; a run
    /// that fails stops its operation being polled once no unfinished run follows it.
    public func record(_ event: RunEvent, run runID: Int64, policy: RunPolicy, jitter: Double, at now: Date) async throws -> RunDecision {
        try await write { db in
            var (run, operation) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: operation, policy: policy, runID: runID)
            let action = try Self.apply(event, to: &machine, now: now, jitter: jitter, runID: runID)
            if case .due = machine.state { run.operationId = nil }
            Self.copy(machine, into: &run, now: now, secrets: self.secrets)
            try run.updateRow(db)
            if machine.state.phase.isTerminal, run.item == nil {
                // A scan that fails ends with its run (a no-op for other runs: no such row).
                try db.cachedStatement(sql: "UPDATE scans SET finished_at = ?, updated_at = ? WHERE run_id = ? AND finished_at IS NULL")
                    .execute(arguments: [StorageDate(now), StorageDate(now), runID])
            }
            if let operationID = operation?.id, machine.state.phase.isTerminal || run.operationId == nil {
                let stillFollowed = try RunRecord
                    .filter { $0.operationId == operationID && RunPhase.unfinished.map(\.rawValue).contains($0.phase) }
                    .fetchCount(db) > 0
                if !stillFollowed {
                    try OperationRecord.filter(key: operationID).updateAll(db) {
                        [$0.nextPollAt.set(to: nil), $0.updatedAt.set(to: StorageDate(now))]
                    }
                }
            }
            return RunDecision(run: StoredRun(run, id: runID), action: action)
        }
    }

    /// Writes the machine's state and progress into the row (the operation's part is the
    /// caller's): phase, next attempt, step failures, last error, and the end fields.
    /// Text that came from outside (a server's error message in a reason) is scrubbed of known
    /// secrets on its way into the row.
    static func copy(_ machine: RunStateMachine, into run: inout RunRecord, now: Date, secrets: (any SecretScrubber)?) {
        run.phase = machine.state.phase
        run.nextAttemptAt = machine.progress.nextAttemptAt
        run.stepFailures = machine.progress.stepFailures
        run.lastError = machine.progress.lastError.map { secrets?.scrub($0) ?? $0 }
        run.updatedAt = now
        switch machine.state {
        case .failed(let reason, let retryable):
            run.failureReason = secrets?.scrub(reason) ?? reason
            run.failureRetryable = retryable
            run.finishedAt = now
            run.nextAttemptAt = nil
        case .done:
            run.finishedAt = now
            run.nextAttemptAt = nil
        default:
            break
        }
    }

    // MARK: - Helpers shared by the transitions

    /// The id of `job`'s unfinished run, if it has one: one lookup in the partial unique index.
    static func unfinishedRunID(_ db: Database, job: String) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM runs WHERE job = ? AND ifnull(item, '') = '' AND phase IN \(StateSchema.unfinishedPhases)"),
            arguments: [job])
    }

    static func loadRun(_ db: Database, _ runID: Int64) throws -> (RunRecord, OperationRecord?) {
        guard let run = try RunRecord.fetch(db, id: runID) else { throw StateStoreError.runNotFound(runID) }
        let operation = try run.operationId.flatMap { try OperationRecord.fetch(db, id: $0) }
        return (run, operation)
    }

    static func machine(for run: RunRecord, operation: OperationRecord?, policy: RunPolicy, runID: Int64) throws -> RunStateMachine {
        RunStateMachine(
            kind: run.kind, state: try state(of: run, operation: operation, runID: runID),
            progress: progress(of: run, operation: operation), policy: policy)
    }

    /// The core's counters and times from a row.
    static func progress(of run: RunRecord, operation: OperationRecord?) -> RunProgress {
        RunProgress(deadline: run.deadline, nextAttemptAt: run.nextAttemptAt, stepFailures: run.stepFailures,
                    pollCount: operation?.pollCount ?? 0, lastError: run.lastError)
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

    static func apply(_ event: RunEvent, to machine: inout RunStateMachine, now: Date, jitter: Double, runID: Int64) throws -> RunAction {
        do {
            return try machine.handle(event, now: now, jitter: jitter)
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
