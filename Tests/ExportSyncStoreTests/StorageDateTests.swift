import ExportSyncCore
import Foundation
import GRDB
import Testing
@testable import ExportSyncStore

@Suite("Stored date text")
struct StorageDateTests {
    @Test("StorageDate writes exactly GRDB's text for seeded random instants and millisecond edges")
    func matchesGRDB() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("StorageDate seed: \(seed)")
        var random = SeededRandomNumberGenerator(seed: seed)
        var instants: [Date] = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_800_000_000),
            Date(timeIntervalSince1970: 1_800_000_000.9995), Date(timeIntervalSince1970: 1_800_000_000.0009999),
            Date(timeIntervalSince1970: 951_782_400), // 2000-02-29
            Date(timeIntervalSince1970: 4_107_542_399.999), // 2100-02-28 23:59:59.999
            Date(timeIntervalSince1970: 253_402_300_799.5), // 9999-12-31 23:59:59.500
            Date.distantFuture,
        ]
        for _ in 0..<20_000 {
            instants.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &random)))
        }
        for instant in instants {
            let ours = String.fromDatabaseValue(StorageDate(instant).databaseValue)
            let grdb = String.fromDatabaseValue(instant.databaseValue)
            #expect(ours == grdb, "\(instant.timeIntervalSince1970) (seed \(seed))")
        }
        // Before 1970 the encoding is GRDB's own.
        let early = Date(timeIntervalSince1970: -1_000.25)
        #expect(StorageDate(early).databaseValue == early.databaseValue)
    }
}
