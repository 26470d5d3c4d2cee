import Foundation

/// The shape of the engine's `STATUS=` line: `[N starting, ]N polling, N downloading[ (X MB/Y MB)],
/// last file HH:MM|none[, next due HH:MM][, N failed]`.
enum StatusLinePattern {
    private static let expression = try! NSRegularExpression(pattern:
        #"^(\d+ starting, )?\d+ polling, \d+ downloading( \(\d+ MB/\d+ MB\))?, last file (none|\d\d:\d\d)(, next due \d\d:\d\d)?(, \d+ failed)?$"#)

    static func matches(_ line: String) -> Bool {
        expression.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
    }

    /// Whether the line reports a written file (`last file HH:MM`).
    static func reportsFileWritten(_ line: String) -> Bool {
        matches(line) && !line.contains("last file none")
    }
}
