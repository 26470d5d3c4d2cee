import ExportSyncCore
import Foundation
import Testing
@testable import ExportSyncStore

/// `deliveredFiles()`, what `exportsync verify` checks, against a real SQLite file.
@Suite("Delivered files (verify's records)")
struct DeliveredFilesTests {
    static func sha(_ byte: String) -> String { String(repeating: byte, count: 64) }

    /// Takes a new run of `job` through to `downloading` and records `path` written.
    private func deliver(_ store: StateStore, job: String, path: String, size: Int64, sha256: String, slot: TimeInterval) async throws {
        let run = try await store.dueRun(job, scheduledFor: Instant.at(slot), deadline: Instant.at(slot + 3_600), nextDueAt: nil).id
        _ = try await store.kickoff(run, at: Instant.at(slot + 1))
        _ = try await store.accept(run, location: "https://api.example.test/operations/\(run)", xVersion: "2026-01-01",
                                   pollAt: Instant.at(slot + 2), at: Instant.at(slot + 1))
        _ = try await store.succeeded(run, status: "completed", at: Instant.at(slot + 2))
        _ = try await store.fileWritten(run, path: path, size: size, sha256: sha256, at: Instant.at(slot + 3))
    }

    @Test("the latest record of each path, with the job that wrote it, by path; readable read-only")
    func latestPerPath() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["alpha", "beta"])
        try await deliver(store, job: "alpha", path: "daily/a.pdf", size: 1, sha256: Self.sha("1"), slot: 0)
        try await deliver(store, job: "beta", path: "b.csv", size: 2, sha256: Self.sha("2"), slot: 10)
        try await deliver(store, job: "alpha", path: "daily/a.pdf", size: 3, sha256: Self.sha("3"), slot: 100)
        let reader = try StateStore(path: temp.path, mode: .readOnly)
        let delivered = try await reader.deliveredFiles()
        #expect(delivered.map(\.file.path) == ["b.csv", "daily/a.pdf"])
        #expect(delivered.map(\.job) == ["beta", "alpha"])
        #expect(delivered.last?.file.size == 3)
        #expect(delivered.last?.file.sha256 == Self.sha("3"))
    }

    @Test("an empty database delivered nothing")
    func empty() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        #expect(try await store.deliveredFiles().isEmpty)
    }
}
