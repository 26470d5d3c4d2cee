import ExportSyncCore
import ExportSyncEngine
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `exportsync status` cannot read from a database that refuses writes: the daemon's
/// notice that it does, kept as a small JSON file while the failure lasts.
///
/// The daemon writes it to `$RUNTIME_DIRECTORY` (under systemd a tmpfs, writable when the state
/// disk is full or remounted read-only), else beside the database; it removes it once writes go
/// through again. `status` trusts a notice only if it is about its own state directory and the
/// process that wrote it still holds that directory's lock (``StateDirectoryLock``).
struct StateWriteFailureNotice: Codable, Sendable, Equatable {
    var pid: Int32
    /// The state directory whose database refuses writes (several daemons may share `/run`).
    var stateDirectory: String
    var error: String
    var failures: Int
    var since: Date
    var retryAt: Date

    /// The notice's file name: one per state directory, so daemons sharing a runtime
    /// directory never overwrite or remove each other's notice.
    static func fileName(stateDirectory: String) -> String {
        "state-write-failure-\(StableDigest.fnv1a64(stateDirectory)).json"
    }

    enum CodingKeys: String, CodingKey {
        case pid, error, failures, since
        case stateDirectory = "state_directory"
        case retryAt = "retry_at"
    }

    /// The directory the daemon writes the notice to.
    static func directory(environment: [String: String], stateDirectory: String) -> String {
        environment["RUNTIME_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) } ?? stateDirectory
    }

    /// Where `status` looks, in order: the daemon's runtime directory (its own environment's,
    /// then the unit's `RuntimeDirectory=exportsync`), then the state directory.
    static func searchDirectories(environment: [String: String], stateDirectory: String) -> [String] {
        var directories = [directory(environment: environment, stateDirectory: stateDirectory)]
        for fallback in ["/run/exportsync", stateDirectory] where !directories.contains(fallback) { directories.append(fallback) }
        return directories
    }

    /// The notice of a live daemon in the first directory that has one, or `nil`.
    static func read(environment: [String: String], stateDirectory: String) -> StateWriteFailureNotice? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for directory in searchDirectories(environment: environment, stateDirectory: stateDirectory) {
            let path = (directory as NSString).appendingPathComponent(fileName(stateDirectory: stateDirectory))
            guard let data = FileManager.default.contents(atPath: path),
                  let notice = try? decoder.decode(StateWriteFailureNotice.self, from: data),
                  notice.stateDirectory == stateDirectory else { continue }
            if notice.writerHoldsTheLock { return notice }
        }
        return nil
    }

    /// Whether the process that wrote the notice still runs and is the one whose pid the state
    /// directory's lock file names (a `kill -9` leaves a stale notice, and pids are reused).
    /// Reads the lock file only; taking the lock, even briefly, could turn a starting daemon away.
    var writerHoldsTheLock: Bool {
        let lockPath = (stateDirectory as NSString).appendingPathComponent(StateDirectoryLock.fileName)
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM,
              let text = try? String(contentsOfFile: lockPath, encoding: .utf8),
              Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) == pid else { return false }
        return true
    }
}

/// Keeps the notice file in step with the engine's progress: written when a state write
/// failure starts or changes, removed when it ends. Failures to write it are ignored (it is a
/// courtesy to `status`; `STATUS=` and the journal carry the same facts).
final class StateWriteFailureNoticeFile: Sendable {
    private let path: String
    private let stateDirectory: String
    private let last = Mutex<EngineProgress.StateWriteFailure?>(nil)

    init(directory: String, stateDirectory: String) {
        self.stateDirectory = stateDirectory
        path = (directory as NSString).appendingPathComponent(StateWriteFailureNotice.fileName(stateDirectory: stateDirectory))
        // A notice left by an earlier process that was killed is not this one's.
        try? FileManager.default.removeItem(atPath: path)
    }

    func update(_ failure: EngineProgress.StateWriteFailure?) {
        let changed = last.withLock { previous in
            guard previous != failure else { return false }
            previous = failure
            return true
        }
        guard changed else { return }
        guard let failure else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        let notice = StateWriteFailureNotice(
            pid: getpid(), stateDirectory: stateDirectory, error: failure.error, failures: failure.failures, since: failure.since, retryAt: failure.retryAt)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        if let data = try? encoder.encode(notice) {
            try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }

    /// Removes the notice (the daemon is stopping).
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
