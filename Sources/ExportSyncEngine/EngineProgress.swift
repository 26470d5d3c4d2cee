public import Foundation

/// A snapshot of what the engine is doing, for `STATUS=` and logs.
public struct EngineProgress: Sendable, Hashable {
    public var starting = 0
    public var polling = 0
    public var downloading = 0
    /// Bytes received so far by downloads in flight, and the total they announced.
    public var downloadedBytes: Int64 = 0
    public var downloadTotalBytes: Int64 = 0
    public var filesWritten = 0
    public var runsFailed = 0
    public var lastFileAt: Date?
    public var nextDueAt: Date?

    public init() {}

    /// One line for `systemctl status`: `3 polling, 1 downloading (42 MB/120 MB), last file 12:03, next due 18:00`.
    public var statusLine: String {
        var parts: [String] = []
        if starting > 0 { parts.append("\(starting) starting") }
        parts.append("\(polling) polling")
        var downloads = "\(downloading) downloading"
        if downloading > 0, downloadTotalBytes > 0 {
            downloads += " (\(Self.megabytes(downloadedBytes))/\(Self.megabytes(downloadTotalBytes)))"
        }
        parts.append(downloads)
        parts.append("last file " + (lastFileAt.map(Self.clock) ?? "none"))
        if let nextDueAt { parts.append("next due " + Self.clock(nextDueAt)) }
        if runsFailed > 0 { parts.append("\(runsFailed) failed") }
        return parts.joined(separator: ", ")
    }

    static func megabytes(_ bytes: Int64) -> String { "\(bytes / 1_000_000) MB" }

    static func clock(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970)
        let secondOfDay = ((seconds % 86_400) + 86_400) % 86_400
        let hours = secondOfDay / 3_600, minutes = secondOfDay % 3_600 / 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }
}
