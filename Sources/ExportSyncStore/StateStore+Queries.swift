public import ExportSyncCore
public import Foundation
import GRDB

extension StateStore {
    /// The run with `id`, if any.
    public func run(id: Int64) async throws -> StoredRun? {
        try await read { db in try RunRecord.fetch(db, id: id).map { StoredRun($0, id: id) } }
    }

    /// The operation with `id`, if any.
    public func operation(id: Int64) async throws -> StoredOperation? {
        try await read { db in try OperationRecord.fetch(db, id: id).map { StoredOperation($0, id: id) } }
    }

    /// Files produced by `run`, oldest first.
    public func files(producedBy run: Int64) async throws -> [StoredFile] {
        try await read { db in
            try FileRecord.filter { $0.runId == run }.order(\.id).fetchAll(db)
                .map { StoredFile($0, id: try Self.id(of: $0)) }
        }
    }

    /// Unfinished runs in `phases` with their operation and rebuilt state machine, for restart
    /// recovery.
    ///
    /// Order: runs that can act at once (`due`, `starting`, `uploading`, `downloading`) first by
    /// id, then polling runs by `next_poll_at`. The read goes through a partial index over
    /// unfinished runs, so its cost grows with the backlog, not with the history.
    ///
    /// With a large backlog, recover only the non-polling phases (``RunPhase/actionableAtStartup``)
    /// and let ``dispatchCandidates(runLimits:pollsUntil:pollLimit:)`` feed polling runs in batches: startup then
    /// costs the same with 100 or 100,000 runs waiting.
    public func unfinishedRuns(in phases: Set<RunPhase> = Set(RunPhase.unfinished)) async throws -> [UnfinishedRun] {
        let wanted = RunPhase.unfinished.filter(phases.contains)
        guard !wanted.isEmpty else { return [] }
        return try await read { db in try Self.recoveredRuns(db, sql: StateQueries.unfinishedRuns(phases: wanted)) }
    }

    private static func recoveredRuns(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [UnfinishedRun] {
        try runsWithOperations(db, sql: sql, arguments: arguments).map { run, operation in
            let runID = try Self.id(of: run)
            return UnfinishedRun(
                run: StoredRun(run, id: runID),
                operation: try operation.map { StoredOperation($0, id: try Self.id(of: $0)) },
                state: try Self.state(of: run, operation: operation, runID: runID))
        }
    }

    /// The rows of a `SELECT runs.*, operations.* FROM runs … JOIN operations` query, each half
    /// decoded by its record; the operation is `nil` where a `LEFT JOIN` found none.
    private static func runsWithOperations(
        _ db: Database, sql: String, arguments: StatementArguments = StatementArguments()
    ) throws -> [(RunRecord, OperationRecord?)] {
        // Split at the width of `runs`, whatever migrations added.
        let adapters = try splittingRowAdapters(columnCounts: [RunRecord.numberOfSelectedColumns(db)])
        let adapter = ScopeAdapter([JoinedScope.run: adapters[0], JoinedScope.operation: adapters[1]])
        // Decoded straight from the statement (a cursor), not from rows copied first.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments, adapter: adapter)
        var decoded: [(RunRecord, OperationRecord?)] = []
        while let row = try rows.next() {
            decoded.append((try row.decode(RunRecord.self, forKey: JoinedScope.run),
                            try row.decodeIfPresent(OperationRecord.self, forKey: JoinedScope.operation)))
        }
        return decoded
    }

    /// The scopes of a joined `runs.*, operations.*` row.
    private enum JoinedScope {
        static let run = "run"
        static let operation = "operation"
    }

    /// How many runs wait on an operation (the `polling` part of `STATUS=`): an index count.
    public func pendingOperationCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: StateQueries.pendingOperationCount) ?? 0 }
    }

    /// What one pass of the engine's loop can start, read in one transaction (a pass used to
    /// take six): up to `runLimits[phase]` runs of each phase whose next attempt is due by
    /// `pollsUntil`, oldest first, and up to `pollLimit` operations due by then that a run still
    /// polls. Runs in `runsInFlight` and operations in `operationsInFlight` are left out: with
    /// 64 requests in flight a pass that could start one used to read and decode 65 rows per phase.
    ///
    /// The same read answers the delivery hooks due (at most `hookLimit`) and, with
    /// `withScheduledWork`, the earliest persisted wait after `pollsUntil`
    /// (``earliestScheduledWork(after:)``): a pass of the loop reads the database once.
    public func dispatchCandidates(runLimits: [(phase: RunPhase, limit: Int)], pollsUntil: Date, pollLimit: Int,
                                   runsInFlight: [Int64] = [], operationsInFlight: [Int64] = [],
                                   hookLimit: Int = 0, withScheduledWork: Bool = false) async throws -> DispatchCandidates {
        let excludedRuns = Self.jsonArray(runsInFlight)
        let excludedOperations = Self.jsonArray(operationsInFlight)
        let wanted = runLimits.filter { $0.limit > 0 && RunPhase.unfinished.contains($0.phase) }
        return try await read { db in
            let runs = try Self.dispatchableRuns(db, wanted, until: pollsUntil, excluding: excludedRuns)
            let polls = pollLimit > 0 ? try Self.pollTargets(db, until: pollsUntil, excluding: excludedOperations, limit: pollLimit) : []
            return DispatchCandidates(runs: runs, polls: polls, hooks: try Self.dueHooks(db, until: pollsUntil, limit: hookLimit),
                                      earliestScheduledWork: withScheduledWork ? try Self.earliestScheduledWork(db, after: pollsUntil) : nil)
        }
    }

    /// Runs of each phase in `wanted` (at most its limit, by id; phases in the order given) due
    /// by `until` and not in the JSON array `excluding`, each with its operation. One statement
    /// for the runs and one for their operations, both decoded straight into records: the
    /// statement per phase of a joined `runs.*, operations.*` read cost a row adapter's layout
    /// each (2.5 % of the CPU per run, measured).
    private static func dispatchableRuns(
        _ db: Database, _ wanted: [(phase: RunPhase, limit: Int)], until: Date, excluding: String
    ) throws -> [UnfinishedRun] {
        guard !wanted.isEmpty else { return [] }
        var arguments = StatementArguments()
        for (phase, limit) in wanted {
            arguments += [phase.rawValue, StorageDate(until), excluding, limit]
        }
        let rank = Dictionary(wanted.enumerated().map { ($1.phase, $0) }, uniquingKeysWith: { first, _ in first })
        let runs = try RunRecord.fetchAll(db.cachedStatement(sql: StateQueries.runsInPhases(count: wanted.count)), arguments: arguments)
            .sorted { (rank[$0.phase] ?? 0, $0.id ?? 0) < (rank[$1.phase] ?? 0, $1.id ?? 0) }
        let operationIDs = runs.compactMap(\.operationId)
        var operations: [Int64: OperationRecord] = [:]
        if !operationIDs.isEmpty {
            for operation in try OperationRecord.fetchAll(
                db.cachedStatement(sql: StateQueries.operationsByID), arguments: [jsonArray(operationIDs)]) {
                operations[try id(of: operation)] = operation
            }
        }
        return try runs.map { run in
            let runID = try id(of: run)
            let operation = run.operationId.flatMap { operations[$0] }
            return UnfinishedRun(
                run: StoredRun(run, id: runID),
                operation: try operation.map { StoredOperation($0, id: try id(of: $0)) },
                state: try state(of: run, operation: operation, runID: runID))
        }
    }

    /// `[1,2,3]`: ids for `json_each` (one cached statement, whatever their number).
    private static func jsonArray(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    private static func pollTargets(_ db: Database, until: Date?, excluding: String, limit: Int) throws -> [PollTarget] {
        let operations = try OperationRecord.fetchAll(
            db.cachedStatement(sql: StateQueries.pollQueue), arguments: [StorageDate(until ?? Date.distantFuture), excluding, limit])
        guard !operations.isEmpty else { return [] }
        let followers = try RunRecord.fetchAll(
            db.cachedStatement(sql: StateQueries.pollingFollowers), arguments: [jsonArray(operations.compactMap(\.id))])
        let runsByOperation = Dictionary(grouping: followers, by: { $0.operationId ?? 0 })
        return try operations.compactMap { operation in
            let id = try Self.id(of: operation)
            guard let nextPollAt = operation.nextPollAt else { return nil }
            return PollTarget(
                operation: StoredOperation(operation, id: id), nextPollAt: nextPollAt,
                runs: try (runsByOperation[id] ?? []).map { StoredRun($0, id: try Self.id(of: $0)) })
        }
    }

    /// WebAdMIT export-file ids of `exportID` this database already follows or followed: a lost
    /// kickoff is never reconciled onto one of them.
    public func knownExportFileIDs(exportID: String) async throws -> Set<String> {
        try await read { db in
            Set(try String.fetchAll(
                db.cachedStatement(sql: "SELECT provider_export_file_id FROM operations WHERE provider_export_id = ? AND provider_export_file_id IS NOT NULL"),
                arguments: [exportID]))
        }
    }

    /// Unfinished runs waiting out a retry time (`status`, `STATUS=`): a partial-index count.
    public func retryingRunCount() async throws -> Int {
        try await read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM runs WHERE next_attempt_at IS NOT NULL")) ?? 0
        }
    }

    /// The earliest persisted wait that ends after `after`: an operation's `next_poll_at`, a
    /// run's `next_attempt_at` or a hook's (three index reads). The loop sleeps until then.
    public func earliestScheduledWork(after: Date) async throws -> Date? {
        try await read { db in try Self.earliestScheduledWork(db, after: after) }
    }

    static func earliestScheduledWork(_ db: Database, after: Date) throws -> Date? {
        let poll = try Date.fetchOne(
            db.cachedStatement(sql: "SELECT MIN(next_poll_at) FROM operations WHERE next_poll_at > ?"), arguments: [StorageDate(after)])
        let attempt = try Date.fetchOne(
            db.cachedStatement(sql: "SELECT MIN(next_attempt_at) FROM runs WHERE next_attempt_at > ?"), arguments: [StorageDate(after)])
        let hook = try Date.fetchOne(
            db.cachedStatement(sql: "SELECT MIN(next_attempt_at) FROM file_hooks WHERE state = 'pending' AND next_attempt_at > ?"),
            arguments: [StorageDate(after)])
        return [poll, attempt, hook].compactMap { $0 }.min()
    }

    /// What `exportsync status` shows, from one read transaction: every job with its next due
    /// time and last run, and up to `pendingLimit` pending operations (earliest next poll first)
    /// with their URLs stripped of query strings.
    public func statusSnapshot(pendingLimit: Int = 100) async throws -> StatusSnapshot {
        try await read { db in
            let jobs = try JobRecord.order(\.name).fetchAll(db)
            let lastRuns = try RunRecord.fetchAll(db, sql: """
                SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs GROUP BY job)
                """)
            let lastRunByJob = Dictionary(lastRuns.map { ($0.job, $0) }, uniquingKeysWith: { first, _ in first })
            var lastSuccessByJob: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT job, MAX(finished_at) AS finished FROM runs WHERE phase = 'done' GROUP BY job") {
                let job: String = try row.decode(forColumn: RunRecord.Columns.job)
                let finished: Date? = try row.decode(forColumn: Column("finished"))
                if let finished { lastSuccessByJob[job] = finished }
            }
            let hooks = try Self.hookSummaries(db)
            let discoveries = try Self.discoverySummaries(db)
            let jobStatuses = try jobs.map { job in
                var status = StatusSnapshot.JobStatus(
                    job, lastRun: try lastRunByJob[job.name].map { StatusSnapshot.RunSummary($0, id: try Self.id(of: $0)) },
                    lastSuccessAt: lastSuccessByJob[job.name])
                status.hooks = hooks[job.name]
                status.discovery = discoveries[job.name]
                return status
            }
            let pendingCount = try Int.fetchOne(db, sql: StateQueries.pendingOperationCount) ?? 0
            let pending = try Self.runsWithOperations(db, sql: StateQueries.pendingOperations, arguments: [pendingLimit])
            let pendingStatuses = try pending.map { run, operation in
                let runID = try Self.id(of: run)
                return StatusSnapshot.PendingOperationStatus(run, id: runID, operation: try Self.require(operation, runID: runID))
            }
            return StatusSnapshot(
                jobs: jobStatuses, pendingOperations: pendingStatuses, pendingOperationCount: pendingCount)
        }
    }
}

/// SQL of the reads that join or must hit a partial index word for word, shared with the tests
/// that check their query plans.
enum StateQueries {
    /// Unfinished runs in `phases` joined with their operation. The first `IN` repeats the
    /// partial indexes' condition word for word so SQLite can use them.
    static func unfinishedRuns(phases: [RunPhase]) -> String {
        let wanted = phases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return """
            SELECT runs.*, operations.*
            FROM runs LEFT JOIN operations ON operations.id = runs.operation_id
            WHERE runs.phase IN \(StateSchema.unfinishedPhases)
              AND runs.phase IN (\(wanted))
            ORDER BY runs.phase = 'polling', operations.next_poll_at, runs.id
            """
    }

    /// Runs in one phase (argument 1), by id, at most argument 4. Repeating the partial index's
    /// condition lets SQLite read the range `phase = ?` of it, already in id order (no sort).
    /// Runs whose next attempt is later than argument 2 are not read: they wait (persisted
    /// backoff), and the loop sleeps until ``StateStore/earliestScheduledWork(after:)``.
    /// Argument 3 is a JSON array of run ids to leave out (those with a step in flight), so a
    /// pass reads only runs it can start.
    static let runsInPhase = """
        SELECT runs.*
        FROM runs
        WHERE runs.phase IN \(StateSchema.unfinishedPhases)
          AND runs.phase = ?
          AND (runs.next_attempt_at IS NULL OR runs.next_attempt_at <= ?)
          AND runs.id NOT IN (SELECT value FROM json_each(?))
        ORDER BY runs.id
        LIMIT ?
        """

    /// ``runsInPhase`` for `count` phases in one statement (four arguments per phase, in the
    /// same order): each branch reads its range of the partial index in id order, with no sort.
    /// The order of the branches' rows in the answer is SQLite's to choose; the caller orders them.
    static func runsInPhases(count: Int) -> String {
        (0..<count).map { _ in "SELECT * FROM (" + runsInPhase + ")" }.joined(separator: "\nUNION ALL\n")
    }

    /// Operations whose ids are in the JSON array argument 1.
    static let operationsByID = "SELECT * FROM operations WHERE id IN (SELECT value FROM json_each(?))"

    /// Runs waiting on an operation (polling, or uploading/downloading one).
    static let pendingOperationCount = """
        SELECT COUNT(*) FROM runs
        WHERE runs.phase IN \(StateSchema.unfinishedPhases)
          AND runs.operation_id IS NOT NULL
        """

    /// Unfinished runs that follow an operation, joined with it: earliest next poll first
    /// (unscheduled last), then by run id; at most argument 1 (`status`).
    static let pendingOperations = """
        SELECT runs.*, operations.*
        FROM runs JOIN operations ON operations.id = runs.operation_id
        WHERE runs.phase IN \(StateSchema.unfinishedPhases)
        ORDER BY operations.next_poll_at IS NULL, operations.next_poll_at, runs.id
        LIMIT ?
        """

    /// Runs polling any operation whose id is in the JSON array argument 1, by id (the runs a
    /// poll of those operations answers).
    static let pollingFollowers = """
        SELECT * FROM runs
        WHERE operation_id IN (SELECT value FROM json_each(?)) AND phase = 'polling'
        ORDER BY id
        """

    /// Operations to poll up to an instant (argument 1) that a run still polls, leaving out
    /// those whose ids are in the JSON array argument 2 (being polled now), earliest first, at
    /// most argument 3.
    static let pollQueue = """
        SELECT * FROM operations
        WHERE next_poll_at IS NOT NULL AND next_poll_at <= ?
          AND id NOT IN (SELECT value FROM json_each(?))
          AND EXISTS (SELECT 1 FROM runs WHERE runs.operation_id = operations.id AND runs.phase = 'polling')
        ORDER BY next_poll_at, id
        LIMIT ?
        """
}
