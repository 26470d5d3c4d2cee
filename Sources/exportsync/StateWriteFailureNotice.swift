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
/// through again. `status` trusts a notice only while the process that wrote it is alive.
struct StateWriteFailureNotice: Codable, Sendable, Equatable {
    var pid: Int32
    var error: String
    var failures: Int
    var since: Date
    var retryAt: Date

    static let fileName = "state-write-failure.json"

    enum CodingKeys: String, CodingKey {
        case pid, error, failures, since
        case retryAt = "retry_at"
    }

    /// The directory the daemon writes the notice to.
    static func directory(environment: [String: String], stateDirectory: String) -> String {
        environment["RUNTIME_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) } ?? stateDirectory
    }

    /// Where `status` looks, in order: the daemon's runtime directory (its own environment's,
    /// then the unit's `RuntimeDirectory=exportsync`), then the state directory.
    static func searchDirectories(environment: [String: String], stateDirectory: String) -> [String] {
        var directories: [String] = []
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first { directories.append(String(runtime)) }
        directories.append("/run/exportsync")
        directories.append(stateDirectory)
        return directories
    }

    /// The notice of a live daemon in the first directory that has one, or `nil`.
    static func read(environment: [String: String], stateDirectory: String) -> StateWriteFailureNotice? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for directory in searchDirectories(environment: environment, stateDirectory: stateDirectory) {
            let path = (directory as NSString).appendingPathComponent(fileName)
            guard let data = FileManager.default.contents(atPath: path),
                  let notice = try? decoder.decode(StateWriteFailureNotice.self, from: data) else { continue }
            if notice.writerIsAlive { return notice }
        }
        return nil
    }

    /// Whether the process that wrote the notice still runs (a `kill -9` leaves a stale file).
    var writerIsAlive: Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}

/// Keeps the notice file in step with the engine's progress: written when a state write
/// failure starts or changes, removed when it ends. Failures to write it are ignored (it is a
/// courtesy to `status`; `STATUS=` and the journal carry the same facts).
final class StateWriteFailureNoticeFile: Sendable {
    private let path: String
    private let last = Mutex<EngineProgress.StateWriteFailure?>(nil)

    init(directory: String) {
        path = (directory as NSString).appendingPathComponent(StateWriteFailureNotice.fileName)
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
            pid: getpid(), error: failure.error, failures: failure.failures, since: failure.since, retryAt: failure.retryAt)
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
