public import Foundation
import GRDB

extension StateStore {
    /// Marks each of `jobs` due now (`exportsync trigger`); the daemon's next pass, or the next
    /// `once`, creates its run. Answers the names the database does not know yet (a job that
    /// never ran is due at its first start anyway). Needs no lock: one short write transaction.
    public func trigger(jobs names: [String], at now: Date) async throws -> [String] {
        try await write { db in
            var unknown: [String] = []
            for name in names {
                try db.cachedStatement(sql: "UPDATE jobs SET triggered_at = ? WHERE name = ?").execute(arguments: [StorageDate(now), name])
                if db.changesCount == 0 { unknown.append(name) }
            }
            return unknown
        }
    }

    /// The jobs marked by ``trigger(jobs:at:)`` and not answered by a run yet.
    public func triggeredJobs() async throws -> [String] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM jobs WHERE triggered_at IS NOT NULL ORDER BY triggered_at, name"))
        }
    }

    /// Clears the marks of jobs that cannot answer them (gone from the configuration, uploads).
    public func clearTriggers(_ names: [String]) async throws {
        try await write { db in
            for name in names {
                try db.cachedStatement(sql: "UPDATE jobs SET triggered_at = NULL WHERE name = ?").execute(arguments: [name])
            }
        }
    }
}
