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
    /// Set while the state database cannot be written: the error, and when the engine tries again.
    public var stateWriteFailure: StateWriteFailure?
    /// Runs waiting to retry a step after a transient failure.
    public var retrying = 0
    /// Delivery hooks running now, and those that failed for good since start.
    public var hooksRunning = 0
    public var hooksFailed = 0
    /// Runs and polls handed to child tasks and not finished yet: 0 means the loop sleeps until
    /// a due time, a retry time or a signal, with nothing of its own under way.
    public var workInFlight = 0
    /// The time this pass ran at, and when the loop wakes next unless a finished task, a reload
    /// or a shutdown signals it sooner.
    public var passAt: Date?
    public var wakesAt: Date?

    /// The state database refused a write (disk full, I/O error, read-only): all work waits.
    public struct StateWriteFailure: Sendable, Hashable {
        /// The error, as the store reported it.
        public var error: String
        /// Failures in a row.
        public var failures: Int
        /// When the first of them happened.
        public var since: Date
        /// When the engine tries again.
        public var retryAt: Date
    }

    public init() {}

    /// One line for `systemctl status`: `3 polling, 1 downloading (42 MB/120 MB), last file 12:03, next due 18:00`.
    public var statusLine: String {
        var parts: [String] = []
        if let failure = stateWriteFailure {
            parts.append("state database not writable (\(failure.error)); retrying at \(Self.clock(failure.retryAt, seconds: true))")
        }
        if starting > 0 { parts.append("\(starting) starting") }
        parts.append("\(polling) polling")
        var downloads = "\(downloading) downloading"
        if downloading > 0, downloadTotalBytes > 0 {
            downloads += " (\(Self.megabytes(downloadedBytes))/\(Self.megabytes(downloadTotalBytes)))"
        }
        parts.append(downloads)
        parts.append("last file " + (lastFileAt.map { Self.clock($0) } ?? "none"))
        if let nextDueAt { parts.append("next due " + Self.clock(nextDueAt)) }
        if retrying > 0 { parts.append("\(retrying) waiting to retry") }
        if runsFailed > 0 { parts.append("\(runsFailed) failed") }
        if hooksRunning > 0 { parts.append("\(hooksRunning) hook(s) running") }
        if hooksFailed > 0 { parts.append("\(hooksFailed) hook(s) failed") }
        return parts.joined(separator: ", ")
    }

    static func megabytes(_ bytes: Int64) -> String { "\(bytes / 1_000_000) MB" }

    static func clock(_ date: Date, seconds withSeconds: Bool = false) -> String {
        let seconds = Int64(date.timeIntervalSince1970)
        let secondOfDay = ((seconds % 86_400) + 86_400) % 86_400
        let hours = secondOfDay / 3_600, minutes = secondOfDay % 3_600 / 60, second = secondOfDay % 60
        let text = (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
        return withSeconds ? text + ":" + (second < 10 ? "0" : "") + "\(second)" : text
    }
}
