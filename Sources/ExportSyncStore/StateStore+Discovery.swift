public import ExportSyncCore
public import Foundation
import GRDB

/// Where a scan stands, as last committed (``StateStore/beginScan(run:job:scope:at:)``).
public struct ScanProgress: Sendable, Hashable {
    /// The lists still to read, in order; nil when the scan has not recorded any list yet.
    public var pendingLists: [WorkivaGraphList]?
    /// What the scan found so far, in walk order.
    public var found: [DiscoveredItem]
    /// Lists read so far.
    public var listsRead: Int
    /// True when the scan was begun before (a restart or a retry resumes it).
    public var resumed: Bool
    /// True when the scan was begun under another scope (``JobSpec/scanScope``): the job's
    /// walk was edited mid-scan, and the scan will end partial.
    public var scopeChanged: Bool = false
}

/// A file a removed item left, to delete (`removed = "delete"`): the latest record of its path,
/// written by a run of the item, as the engine must find it on disk to remove it.
public struct PendingDeletion: Sendable, Hashable {
    public var item: String
    public var file: StoredFile
}

/// What a completed scan committed (``StateStore/completeScan(run:job:refresh:removed:deadline:policy:at:)``).
public struct ScanCompletion: Sendable, Hashable {
    /// The scan run, now done.
    public var decision: RunDecision
    /// Items found by this scan.
    public var found: Int
    /// Runs created, one per item to export, in walk order.
    public var created: [StoredRun]
    /// Items that still had a run in flight (not started again).
    public var skippedInFlight: Int
    /// Whether every list was read under one scope: false when a list vanished during the walk
    /// (its parent was deleted meanwhile) or the job's walk was edited mid-scan, and then
    /// nothing is marked removed.
    public var complete: Bool
    /// Lists that vanished during the walk (404).
    public var listsGone: Int
    /// Whether the scan was resumed after its job's walk was edited (``ScanProgress/scopeChanged``).
    public var scopeChanged: Bool
    /// Items known before and missing from this scan.
    public var removed: [String]
    /// Why nothing was marked removed although items are missing (``DiscoveryPlan/removalsWithheld``).
    public var removalsWithheld: String?
    /// Files of removed items to delete now (`removed = "delete"`).
    public var deletions: [PendingDeletion]
}

/// A discovery job's standing, for `status` and `status --json`.
public struct DiscoverySummary: Sendable, Hashable, Codable {
    /// Items the last complete scan found.
    public var found: Int
    /// Of the items known now, those with a delivered file.
    public var exported: Int
    /// Those with a run in flight.
    public var pending: Int
    /// Those whose latest run failed.
    public var failed: Int
    /// Items that were gone at a complete scan.
    public var removed: Int
    /// When the last complete scan ended (nil before the first).
    public var lastCompleteScanAt: Date?
    /// The run of a scan under way, and the lists it has read.
    public var scanning: ScanUnderWay?

    public init(found: Int, exported: Int, pending: Int, failed: Int, removed: Int, lastCompleteScanAt: Date? = nil, scanning: ScanUnderWay? = nil) {
        self.found = found
        self.exported = exported
        self.pending = pending
        self.failed = failed
        self.removed = removed
        self.lastCompleteScanAt = lastCompleteScanAt
        self.scanning = scanning
    }

    public struct ScanUnderWay: Sendable, Hashable, Codable {
        public var run: Int64
        public var listsRead: Int
        public var found: Int
    }
}

extension StateStore {
    /// Begins the scan of `run` or, when it began before (a restart, a retry after a failed
    /// list), answers where it stands, so it resumes instead of reading everything again.
    ///
    /// `scope` is what the job walks as configured now (``JobSpec/scanScope``). A scan resumed
    /// under another scope than it began with is marked changed, in this transaction: it ends
    /// partial, so the lists it never read under the new scope cannot make items look removed.
    public func beginScan(run runID: Int64, job: String, scope: String, at now: Date) async throws -> ScanProgress {
        try await write { db in
            if let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT pending_lists, lists_read, scope, scope_changed FROM scans WHERE run_id = ?"),
                arguments: [runID]) {
                let text: String? = row["pending_lists"]
                let pending = try text.map { try JSONDecoder().decode([WorkivaGraphList].self, from: Data($0.utf8)) }
                let began: String? = row["scope"]
                var changed: Bool = row["scope_changed"]
                if began != scope {
                    changed = true
                    try db.cachedStatement(sql: "UPDATE scans SET scope = ?, scope_changed = 1, updated_at = ? WHERE run_id = ?")
                        .execute(arguments: [scope, StorageDate(now), runID])
                }
                return ScanProgress(pendingLists: pending, found: try Self.itemsSeen(db, job: job, scan: runID),
                                    listsRead: row["lists_read"], resumed: true, scopeChanged: changed)
            }
            try db.cachedStatement(sql: "INSERT INTO scans (run_id, job, scope, started_at, updated_at) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [runID, job, scope, StorageDate(now), StorageDate(now)])
            return ScanProgress(pendingLists: nil, found: [], listsRead: 0, resumed: false)
        }
    }

    /// Records one list a scan read, in one transaction: the items it added (marked seen by
    /// this scan, after those it found before), the lists still to read, and the run's
    /// ``RunEvent/scanListRead`` (a successful step: earlier transient failures stop counting).
    /// `gone`: the list answered 404 because its parent vanished meanwhile; it counts in
    /// `lists_gone` and makes the scan partial.
    public func recordScanList(run runID: Int64, job: String, added: [DiscoveredItem], pendingLists: [WorkivaGraphList], gone: Bool = false,
                               policy runPolicy: RunPolicy, at now: Date) async throws {
        let pending = String(decoding: try JSONEncoder().encode(pendingLists), as: UTF8.self)
        try await write { db in
            var rank = try Int.fetchOne(db.cachedStatement(sql: "SELECT found FROM scans WHERE run_id = ?"), arguments: [runID]) ?? 0
            for item in added {
                try Self.upsertSeen(db, job: job, item: item, scan: runID, rank: rank, now: now)
                rank += 1
            }
            try db.cachedStatement(sql: """
                UPDATE scans SET pending_lists = ?, lists_read = lists_read + 1, lists_gone = lists_gone + ?, found = ?, updated_at = ?
                WHERE run_id = ?
                """).execute(arguments: [pending, gone ? 1 : 0, rank, StorageDate(now), runID])
            var (run, operation) = try Self.loadRun(db, runID)
            // Only a run that waited after a failed list has anything to reset: no write otherwise.
            guard run.stepFailures > 0 || run.lastError != nil || run.nextAttemptAt != nil else { return }
            var machine = try Self.machine(for: run, operation: operation, policy: runPolicy, runID: runID)
            _ = try Self.apply(.scanListRead, to: &machine, now: now, jitter: 0, runID: runID)
            Self.copy(machine, into: &run, now: now, secrets: self.secrets)
            try run.updateRow(db)
        }
    }

    /// Ends a scan that read its last list, in one transaction: the plan of the core
    /// (``DiscoveryPlan``) from what this scan found and what was known, a `due` run for every
    /// item to export (deadline `deadline`; none for an item whose run is still in flight), the
    /// items gone marked removed, and the scan run `done` (``RunEvent/scanComplete``).
    /// `covers` says which known items the job's walk reaches now (``JobSpec/covers(_:)``):
    /// the others are out of scope, neither exported nor removed.
    public func completeScan(run runID: Int64, job: String, refresh: AttachmentRefresh, removed policy: RemovedAttachmentPolicy,
                             covers: @escaping @Sendable (DiscoveredItem) -> Bool,
                             deadline: Date, policy runPolicy: RunPolicy, at now: Date) async throws -> ScanCompletion {
        try await write { db in
            var (run, operation) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: operation, policy: runPolicy, runID: runID)
            let action = try Self.apply(.scanComplete, to: &machine, now: now, jitter: 0, runID: runID)
            // What the job's walk no longer covers is out of scope, found or not (a scan resumed
            // after its walk was narrowed found some of it under the old walk).
            let found = try Self.itemsSeen(db, job: job, scan: runID).filter(covers)
            var known: [String: KnownAttachment] = [:]
            var inFlight: Set<String> = []
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT discovered_items.*, runs.phase AS last_phase
                FROM discovered_items LEFT JOIN runs ON runs.id = discovered_items.last_run
                WHERE discovered_items.job = ? AND discovered_items.removed_at IS NULL
                """), arguments: [job]) {
                let item = Self.decodeItem(row)
                let delivered: String? = row["delivered_path"]
                let phase = (row["last_phase"] as String?).flatMap(RunPhase.init(rawValue:))
                let running = phase.map { !$0.isTerminal } ?? false
                if running { inFlight.insert(item.id) }
                // Only items the job's walk covers now count (found by this scan or not).
                guard covers(item) else { continue }
                known[item.id] = KnownAttachment(exported: delivered != nil || running, deliveredPath: delivered)
            }
            let gaps = try Row.fetchOne(db.cachedStatement(sql: "SELECT lists_gone, scope_changed FROM scans WHERE run_id = ?"), arguments: [runID])
            let listsGone: Int = gaps?["lists_gone"] ?? 0
            let scopeChanged: Bool = gaps?["scope_changed"] ?? false
            let complete = listsGone == 0 && !scopeChanged
            // The core plans on attachments; an export template is planned the same way.
            let attachments = found.map { item -> DiscoveredAttachment in
                if case .attachment(let attachment) = item { return attachment }
                return DiscoveredAttachment(id: item.id, level: .testPhase, locator: SampleLocator(testForm: "", testPhase: "", matrix: nil, sample: nil),
                                            fileName: item.name)
            }
            let plan = DiscoveryPlan.after(scan: attachments, complete: complete, known: known, refresh: refresh, removed: policy)
            var created: [StoredRun] = []
            var skipped = 0
            for attachment in plan.export {
                if inFlight.contains(attachment.id) {
                    skipped += 1
                    continue
                }
                var child = RunRecord(
                    id: nil, job: job, kind: .export, phase: .due, attemptCount: 0, createdAt: now, updatedAt: now,
                    scheduledFor: run.scheduledFor, deadline: deadline, kickoffSentAt: nil, possibleDuplicate: false,
                    failureReason: nil, failureRetryable: nil, finishedAt: nil, operationId: nil, item: attachment.id)
                try child.insert(db)
                let childID = try Self.id(of: child)
                try db.cachedStatement(sql: "UPDATE discovered_items SET last_run = ? WHERE job = ? AND item = ?")
                    .execute(arguments: [childID, job, attachment.id])
                created.append(StoredRun(child, id: childID))
            }
            for item in plan.removed {
                try db.cachedStatement(sql: "UPDATE discovered_items SET removed_at = ? WHERE job = ? AND item = ?")
                    .execute(arguments: [StorageDate(now), job, item])
            }
            let deletions = policy == .delete ? try Self.pendingDeletions(db, job: job, items: Set(plan.removed)) : []
            try db.cachedStatement(sql: """
                UPDATE scans SET pending_lists = NULL, complete = ?, found = ?, finished_at = ?, updated_at = ? WHERE run_id = ?
                """).execute(arguments: [complete ? 1 : 0, found.count, StorageDate(now), StorageDate(now), runID])
            Self.copy(machine, into: &run, now: now, secrets: self.secrets)
            try run.updateRow(db)
            return ScanCompletion(
                decision: RunDecision(run: StoredRun(run, id: runID), action: action), found: found.count, created: created,
                skippedInFlight: skipped, complete: complete, listsGone: listsGone, scopeChanged: scopeChanged, removed: plan.removed,
                removalsWithheld: plan.removalsWithheld, deletions: deletions)
        }
    }

    /// The item `item` of `job` as its last scan saw it.
    public func discoveredItem(job: String, item: String) async throws -> DiscoveredItem? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM discovered_items WHERE job = ? AND item = ?"), arguments: [job, item])
                .map(Self.decodeItem)
        }
    }

    /// Files of `job`'s removed items still on record as delivered (deleted after a crash
    /// between a scan and the deletion, or when the removal policy became `delete`).
    /// A write: an item whose path another run wrote since loses its claim on the path here.
    public func pendingDeletions(job: String) async throws -> [PendingDeletion] {
        try await write { db in try Self.pendingDeletions(db, job: job, items: nil) }
    }

    /// Records that the file of removed item `item` is gone (deleted, or found replaced by
    /// another file and left alone): it is no longer `item`'s delivered file, and with
    /// `deleted` the path's record says the daemon removed it (`verify` skips it).
    public func recordDeletion(job: String, item: String, file: Int64?, at now: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE discovered_items SET delivered_path = NULL WHERE job = ? AND item = ?")
                .execute(arguments: [job, item])
            if let file {
                try db.cachedStatement(sql: "UPDATE files SET removed_at = ? WHERE id = ?").execute(arguments: [StorageDate(now), file])
            }
        }
    }

    /// Every discovery job's standing, by job name (``DiscoverySummary``).
    public func discoverySummaries() async throws -> [String: DiscoverySummary] {
        try await read { db in try Self.discoverySummaries(db) }
    }

    static func discoverySummaries(_ db: Database) throws -> [String: DiscoverySummary] {
        var summaries: [String: DiscoverySummary] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT discovered_items.job AS job,
                   SUM(discovered_items.removed_at IS NULL AND discovered_items.delivered_path IS NOT NULL) AS exported,
                   SUM(discovered_items.removed_at IS NULL AND runs.phase IN \(StateSchema.unfinishedPhases)) AS pending,
                   SUM(discovered_items.removed_at IS NULL AND runs.phase = 'failed') AS failed,
                   SUM(discovered_items.removed_at IS NOT NULL) AS removed
            FROM discovered_items LEFT JOIN runs ON runs.id = discovered_items.last_run
            GROUP BY discovered_items.job
            """) {
            summaries[row["job"]] = DiscoverySummary(
                found: 0, exported: row["exported"] ?? 0, pending: row["pending"] ?? 0, failed: row["failed"] ?? 0,
                removed: row["removed"] ?? 0, lastCompleteScanAt: nil, scanning: nil)
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT job, found, finished_at FROM scans
            WHERE run_id IN (SELECT MAX(run_id) FROM scans WHERE complete = 1 GROUP BY job)
            """) {
            let job: String = row["job"]
            var summary = summaries[job] ?? DiscoverySummary(found: 0, exported: 0, pending: 0, failed: 0, removed: 0)
            summary.found = row["found"]
            summary.lastCompleteScanAt = try row.decode(forColumn: Column("finished_at"))
            summaries[job] = summary
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT scans.job, scans.run_id, scans.lists_read, scans.found
            FROM scans JOIN runs ON runs.id = scans.run_id
            WHERE scans.finished_at IS NULL AND runs.phase IN \(StateSchema.unfinishedPhases)
            """) {
            let job: String = row["job"]
            var summary = summaries[job] ?? DiscoverySummary(found: 0, exported: 0, pending: 0, failed: 0, removed: 0)
            summary.scanning = .init(run: row["run_id"], listsRead: row["lists_read"], found: row["found"])
            summaries[job] = summary
        }
        return summaries
    }

    // MARK: Helpers

    private static func upsertSeen(_ db: Database, job: String, item: DiscoveredItem, scan: Int64, rank: Int, now: Date) throws {
        var level: String?, form: String?, phase: String?, matrix: String?, sample: String?
        if case .attachment(let attachment) = item {
            level = attachment.level.rawValue
            form = attachment.locator.testForm
            phase = attachment.locator.testPhase
            matrix = attachment.locator.matrix
            sample = attachment.locator.sample
        }
        try db.cachedStatement(sql: """
            INSERT INTO discovered_items
                (job, item, name, level, test_form, test_phase, matrix, sample, seen_rank, first_seen_at, last_seen_at, last_seen_scan)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (job, item) DO UPDATE SET
                name = excluded.name, level = excluded.level, test_form = excluded.test_form, test_phase = excluded.test_phase,
                matrix = excluded.matrix, sample = excluded.sample, seen_rank = excluded.seen_rank,
                last_seen_at = excluded.last_seen_at, last_seen_scan = excluded.last_seen_scan, removed_at = NULL
            """).execute(arguments: [job, item.id, item.name, level, form, phase, matrix, sample, rank,
                                     StorageDate(now), StorageDate(now), scan])
    }

    private static func itemsSeen(_ db: Database, job: String, scan: Int64) throws -> [DiscoveredItem] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT * FROM discovered_items WHERE last_seen_scan = ? AND job = ? ORDER BY seen_rank
            """), arguments: [scan, job]).map(decodeItem)
    }

    private static func decodeItem(_ row: Row) -> DiscoveredItem {
        let id: String = row["item"]
        let name: String? = row["name"]
        guard let levelText: String = row["level"], let level = AttachmentLevel(rawValue: levelText),
              let phase: String = row["test_phase"] else {
            return .exportTemplate(WebAdmitExportTemplate(id: id, name: name))
        }
        let locator = SampleLocator(testForm: row["test_form"] ?? "", testPhase: phase, matrix: row["matrix"], sample: row["sample"])
        return .attachment(DiscoveredAttachment(id: id, level: level, locator: locator, fileName: name))
    }

    /// Removed items of `job` (those in `items`, or all) whose delivered path's latest record
    /// was written by a run of the item: only then is the file the item's to delete.
    private static func pendingDeletions(_ db: Database, job: String, items: Set<String>?) throws -> [PendingDeletion] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT discovered_items.item AS removed_item, files.*, runs.job AS file_job, runs.item AS file_item
            FROM discovered_items
            JOIN files ON files.id = (SELECT MAX(id) FROM files WHERE files.path = discovered_items.delivered_path)
            JOIN runs ON runs.id = files.run_id
            WHERE discovered_items.job = ? AND discovered_items.removed_at IS NOT NULL AND discovered_items.delivered_path IS NOT NULL
            ORDER BY discovered_items.seen_rank
            """), arguments: [job])
        var deletions: [PendingDeletion] = []
        for row in rows {
            let item: String = row["removed_item"]
            if let items, !items.contains(item) { continue }
            let record = try FileRecord(row: row)
            // Another job (or another item) wrote the path since: not this item's file any more.
            let fileJob: String = row["file_job"]
            let fileItem: String? = row["file_item"]
            guard fileJob == job, fileItem == item, record.removedAt == nil else {
                try db.cachedStatement(sql: "UPDATE discovered_items SET delivered_path = NULL WHERE job = ? AND item = ?")
                    .execute(arguments: [job, item])
                continue
            }
            deletions.append(PendingDeletion(item: item, file: StoredFile(record, id: try id(of: record))))
        }
        return deletions
    }
}
