import ExportSyncCore
import Foundation
import GRDB
import Testing
@testable import ExportSyncStore

/// The phase names live in one list, ``RunPhase``; the schema and the queries must agree with it.
@Suite("Phase names: one source")
struct PhaseListTests {
    @Test("the runs.phase CHECK of a migrated database lists exactly RunPhase.allCases")
    func checkConstraintMatchesEnum() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let sql = try store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'")
        }
        let table = try #require(sql)
        let check = try #require(table.range(of: "phase IN (")).upperBound
        let close = try #require(table[check...].firstIndex(of: ")"))
        let listed = table[check..<close].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        #expect(listed == RunPhase.allCases.map(\.rawValue), "a phase was added or renamed without a migration")
    }

    @Test("the partial indexes' condition is the one the queries repeat, built from RunPhase.unfinished")
    func partialIndexesMatchQueries() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        let indexes = try store.pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN ('runs_one_unfinished_per_item', 'runs_unfinished_by_phase')
                """)
        }
        #expect(indexes.count == 2)
        for index in indexes {
            #expect(index.hasSuffix("WHERE phase IN \(StateSchema.unfinishedPhases)"), "\(index)")
        }
        #expect(StateSchema.unfinishedPhases == "('due', 'starting', 'uploading', 'polling', 'downloading')")
        #expect(RunPhase.unfinished.allSatisfy { !$0.isTerminal } && RunPhase.allCases.count == RunPhase.unfinished.count + 2)
        // The queries that must use those indexes embed the same text.
        #expect(StateQueries.runsInPhase.contains("runs.phase IN \(StateSchema.unfinishedPhases)"))
        #expect(StateQueries.pendingOperationCount.contains("runs.phase IN \(StateSchema.unfinishedPhases)"))
    }
}
