import GRDB
import GRDBSQLite
import Testing
@testable import ExportSyncStore

@Suite("Savepoints through cached statements")
struct CachedSavepointTests {
    private struct Refused: Error {}

    @Test("a failing body is undone alone, savepoints nest, and SAVEPOINT is compiled once for all calls")
    func undoesAloneNestsAndReuses() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let queue = try temp.rawConnection()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t(v TEXT PRIMARY KEY)")
            for index in 0..<5 {
                try db.inCachedSavepoint { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: ["kept-\(index)"]) }
            }
            // A constraint failure after a successful insert: both of the body's writes go.
            #expect(throws: DatabaseError.self) {
                try db.inCachedSavepoint {
                    try db.execute(sql: "INSERT INTO t VALUES ('undone')")
                    try db.execute(sql: "INSERT INTO t VALUES ('kept-0')")
                }
            }
            let outer: Int = try db.inCachedSavepoint {
                try db.execute(sql: "INSERT INTO t VALUES ('outer')")
                #expect(throws: Refused.self) {
                    try db.inCachedSavepoint {
                        try db.execute(sql: "INSERT INTO t VALUES ('inner')")
                        throw Refused()
                    }
                }
                return 42
            }
            #expect(outer == 42)
            #expect(db.isInsideTransaction)
            // One compiled statement ran for every savepoint opened: 5 + 1 + outer + inner.
            let savepoint = try db.cachedStatement(sql: "SAVEPOINT exportsync")
            #expect(sqlite3_stmt_status(savepoint.sqliteStatement, Int32(SQLITE_STMTSTATUS_RUN), 0) == 8)
        }
        let values = try queue.read { try String.fetchAll($0, sql: "SELECT v FROM t ORDER BY v") }
        #expect(values == ["kept-0", "kept-1", "kept-2", "kept-3", "kept-4", "outer"])
    }

    @Test("outside a transaction it opens one, and a failing body leaves nothing")
    func outsideATransaction() throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let queue = try temp.rawConnection()
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TABLE t(v TEXT)")
            #expect(throws: Refused.self) {
                try db.inCachedSavepoint {
                    try db.execute(sql: "INSERT INTO t VALUES ('undone')")
                    throw Refused()
                }
            }
            let value = try db.inCachedSavepoint {
                try db.execute(sql: "INSERT INTO t VALUES ('kept')")
                return "done"
            }
            #expect(value == "done")
            #expect(!db.isInsideTransaction)
        }
        #expect(try queue.read { try String.fetchAll($0, sql: "SELECT v FROM t") } == ["kept"])
    }
}
