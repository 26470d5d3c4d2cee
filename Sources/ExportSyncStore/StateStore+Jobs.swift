import ExportSyncCore
public import Foundation
import GRDB

extension StateStore {
    /// Brings the `jobs` table in line with the configuration, in one transaction: new jobs are
    /// added, fingerprints updated, and jobs no longer configured are marked removed (their runs
    /// and files stay). A removed job that comes back counts as added.
    ///
    /// - Returns: what changed; ``JobSyncReport/removedFromConfig`` lists only jobs removed by
    ///   this call, so each removal is reported once.
    public func syncJobs(_ jobs: [JobRegistration], at now: Date) async throws -> JobSyncReport {
        try await write { db in
            var report = JobSyncReport()
            let stored = try Dictionary(
                JobRecord.fetchAll(db).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for job in jobs {
                guard var record = stored[job.name] else {
                    try JobRecord(
                        name: job.name, fingerprint: job.fingerprint, kind: job.kind, source: job.source,
                        createdAt: now, updatedAt: now
                    ).insert(db)
                    report.added.append(job.name)
                    continue
                }
                let wasRemoved = record.removedFromConfigAt != nil
                let changed = record.fingerprint != job.fingerprint || record.kind != job.kind
                    || record.source != job.source
                if wasRemoved { report.added.append(job.name) }
                else if changed { report.changed.append(job.name) }
                else { report.unchanged.append(job.name) }
                guard wasRemoved || changed else { continue }
                record.fingerprint = job.fingerprint
                record.kind = job.kind
                record.source = job.source
                record.removedFromConfigAt = nil
                record.updatedAt = now
                try record.update(db)
            }
            let configured = Set(jobs.map(\.name))
            for var record in stored.values.sorted(by: { $0.name < $1.name })
            where !configured.contains(record.name) && record.removedFromConfigAt == nil {
                record.removedFromConfigAt = now
                record.updatedAt = now
                try record.update(db)
                report.removedFromConfig.append(record.name)
            }
            return report
        }
    }

    /// The stored job called `name`, if any.
    public func job(named name: String) async throws -> StoredJob? {
        try await read { db in try JobRecord.fetch(db, name: name).map(StoredJob.init) }
    }

    /// Every stored job, by name, including those removed from the configuration.
    public func allJobs() async throws -> [StoredJob] {
        try await read { db in try JobRecord.order(\.name).fetchAll(db).map(StoredJob.init) }
    }
}
