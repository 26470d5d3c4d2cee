import ExportSyncCore
import Foundation

/// Decides which files in an upload inbox are complete.
///
/// The rule: a regular file whose name is not a dot-file or a temp name (`*.tmp`, `*.part`,
/// `*.partial`, `*.crdownload`, `*.swp`, `*~`, `~$*`) is complete when its modification time is
/// at least `settle` in the past and, if an earlier scan saw it, its size and modification time
/// are unchanged since. Writers that keep a file open without writing for longer than `settle`
/// should write under a temp name and rename when done (a rename is atomic).
struct InboxScanner: Sendable {
    /// One file as seen by a scan.
    struct Observation: Sendable, Hashable {
        var size: Int64
        var modifiedAt: Date
    }

    /// A file that is complete and may be uploaded.
    struct SettledFile: Sendable, Hashable {
        var name: String
        var path: String
        var size: Int64
    }

    /// What one scan found.
    struct Scan: Sendable, Hashable {
        /// Complete files, by name.
        var settled: [SettledFile] = []
        /// Files still changing or too fresh.
        var unsettledNames: [String] = []
        /// When the earliest unsettled file could settle (the next scan worth doing).
        var nextSettleAt: Date?
    }

    let settleSeconds: Double
    private var previous: [String: Observation] = [:]

    init(settleSeconds: Double) {
        self.settleSeconds = settleSeconds
    }

    /// Whether `name` is ignored outright (hidden or a temp name of a writer still at work).
    static func isIgnored(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasPrefix("~$") || name.hasSuffix("~") { return true }
        let lowered = name.lowercased()
        return [".tmp", ".part", ".partial", ".crdownload", ".swp", ".error.txt"].contains { lowered.hasSuffix($0) }
    }

    /// Lists `directory` (not recursively) and classifies its files.
    mutating func scan(directory: String, now: Date) -> Scan {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        var seen: [String: Observation] = [:]
        var scan = Scan()
        for name in names where !Self.isIgnored(name) {
            let path = directory + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.int64Value,
                  let modifiedAt = attributes[.modificationDate] as? Date else { continue }
            let observation = Observation(size: size, modifiedAt: modifiedAt)
            seen[name] = observation
            let quietSince = modifiedAt.addingTimeInterval(settleSeconds)
            let unchanged = previous[name].map { $0 == observation } ?? true
            if quietSince <= now, unchanged {
                scan.settled.append(SettledFile(name: name, path: path, size: size))
            } else {
                scan.unsettledNames.append(name)
                let candidate = unchanged ? quietSince : now.addingTimeInterval(max(settleSeconds, 1))
                scan.nextSettleAt = min(scan.nextSettleAt ?? candidate, candidate)
            }
        }
        previous = seen
        return scan
    }
}
