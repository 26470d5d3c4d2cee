import ExportSyncCore
import Foundation
import GRDB
@testable import ExportSyncStore

/// A fresh directory for one test's database file, removed by `cleanUp()`.
struct TemporaryDatabase {
    let directory: URL
    var path: String { directory.appendingPathComponent("state.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("exportsync-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A second, independent connection to the same file (not the store's pool).
    func rawConnection() throws -> DatabaseQueue {
        try DatabaseQueue(path: path)
    }
}

/// Fixed instants (whole seconds: the store keeps milliseconds).
enum Instant {
    static let base = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ seconds: TimeInterval) -> Date { base.addingTimeInterval(seconds) }
}

extension StateStore {
    /// Registers `names` as jobs of kind `file-export` on source `workiva`.
    func registerJobs(_ names: [String]) async throws {
        _ = try await syncJobs(
            names.map { JobRegistration(name: $0, fingerprint: "fp-\($0)", kind: "file-export", source: "workiva") },
            at: Instant.base)
    }

    /// Creates a due export run for `job`.
    func dueRun(_ job: String, kind: RunKind = .export) async throws -> Int64 {
        try await createDueRun(
            job: job, kind: kind, scheduledFor: Instant.base, deadline: Instant.at(3_600),
            nextDueAt: Instant.at(21_600), at: Instant.base).id
    }
}
