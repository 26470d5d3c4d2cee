import Foundation
import GRDB

/// Dates as the state database stores them — GRDB's text format `yyyy-MM-dd HH:mm:ss.SSS` in
/// UTC, milliseconds rounded — computed with integer arithmetic instead of GRDB's shared
/// `DateFormatter` (ICU), which showed up at several percent of the engine's CPU per run.
///
/// The text is byte-for-byte what GRDB writes (a test compares both over thousands of seeded
/// dates), so rows written either way sort, compare and decode alike. Dates outside years
/// 1970–9999 fall back to GRDB's own encoding.
struct StorageDate: DatabaseValueConvertible, Sendable {
    let date: Date

    init(_ date: Date) { self.date = date }

    static func wrap(_ date: Date) -> StorageDate { StorageDate(date) }
    static func wrap(_ date: Date?) -> StorageDate? { date.map(StorageDate.init) }

    var databaseValue: DatabaseValue {
        Self.text(date).map { $0.databaseValue } ?? date.databaseValue
    }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> StorageDate? {
        Date.fromDatabaseValue(dbValue).map(StorageDate.init)
    }

    /// The stored text of `date`, or `nil` outside 1970-01-01 … 9999-12-31.
    static func text(_ date: Date) -> String? {
        // The same arithmetic as Foundation's formatter: milliseconds since 1970, rounded.
        let milliseconds = ((date.timeIntervalSinceReferenceDate + 978_307_200) * 1_000).rounded()
        guard milliseconds >= 0, milliseconds < 253_402_300_800_000 else { return nil }
        let total = Int64(milliseconds)
        let days = total / 86_400_000
        var rest = total % 86_400_000
        let millisecond = Int(rest % 1_000); rest /= 1_000
        let second = Int(rest % 60); rest /= 60
        let minute = Int(rest % 60)
        let hour = Int(rest / 60)
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))

        var bytes = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int, _ width: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, 4, at: 0); bytes[4] = UInt8(ascii: "-")
        put(month, 2, at: 5); bytes[7] = UInt8(ascii: "-")
        put(day, 2, at: 8); bytes[10] = UInt8(ascii: " ")
        put(hour, 2, at: 11); bytes[13] = UInt8(ascii: ":")
        put(minute, 2, at: 14); bytes[16] = UInt8(ascii: ":")
        put(second, 2, at: 17); bytes[19] = UInt8(ascii: ".")
        put(millisecond, 3, at: 20)
        return String(decoding: bytes, as: UTF8.self)
    }
}
