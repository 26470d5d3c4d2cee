import ExportSyncCore
import Foundation
import GRDB
import Testing
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
        try await dueRun(job, kind: kind, scheduledFor: Instant.base, deadline: Instant.at(3_600), nextDueAt: Instant.at(21_600)).id
    }

    /// Creates one due run through ``StateStore/createDueRuns(_:at:)``, as the engine does.
    func dueRun(_ job: String, kind: RunKind = .export, scheduledFor: Date, deadline: Date, nextDueAt: Date?) async throws -> StoredRun {
        let request = DueRunRequest(job: job, kind: kind, scheduledFor: scheduledFor, deadline: deadline, nextDueAt: nextDueAt)
        let results = try await createDueRuns([request], at: scheduledFor)
        return try #require(results.first).get()
    }

    /// The operations due for a poll by `until` (every scheduled one when `nil`), as a pass of
    /// the engine reads them.
    func duePolls(until: Date?, limit: Int = 100) async throws -> [PollTarget] {
        try await dispatchCandidates(runLimits: [], pollsUntil: until ?? .distantFuture, pollLimit: limit).polls
    }

    /// The first `limit` runs in `phase`, as a pass of the engine reads them.
    func runs(in phase: RunPhase, limit: Int) async throws -> [UnfinishedRun] {
        try await dispatchCandidates(runLimits: [(phase, limit)], pollsUntil: .distantFuture, pollLimit: 0).runs
    }
}

extension RunPolicy {
    /// Workiva's defaults: first poll after 1 s unless the server says otherwise.
    static let test = RunPolicy()
}

/// Short forms of the store's transitions for tests; each goes through the run core like the
/// engine's calls.
extension StateStore {
    func kickoff(_ run: Int64, at now: Date = Instant.base) async throws -> RunAction {
        try await recordKickoffSending(run: run, policy: .test, at: now).action
    }

    /// The kickoff answer, with the server's wait chosen so the first poll lands at `pollAt`.
    func accept(
        _ run: Int64, location: String, xVersion: String?, providerIDs: ProviderOperationIDs? = nil, pollAt: Date,
        at now: Date = Instant.base
    ) async throws -> OperationAcceptance {
        try await recordOperationAccepted(
            run: run, location: location, xVersion: xVersion, providerIDs: providerIDs,
            serverWait: pollAt.timeIntervalSince(now), policy: .test, at: now)
    }

    /// A pending poll answer whose `Retry-After` puts the next poll at `pollAt`.
    func pending(_ run: Int64, status: String, pollAt: Date, at now: Date) async throws -> RunAction {
        try await recordPollAnswer(
            run: run, event: .pollPending(serverWait: pollAt.timeIntervalSince(now)), status: status, policy: .test, jitter: 0.5, at: now
        ).action
    }

    func succeeded(_ run: Int64, status: String, at now: Date = Instant.base) async throws -> RunDecision {
        try await recordPollAnswer(run: run, event: .pollSucceeded, status: status, policy: .test, jitter: 0.5, at: now)
    }

    func terminal(_ run: Int64, reason: String, failure: OperationFailure, at now: Date = Instant.base) async throws -> RunDecision {
        try await recordPollAnswer(
            run: run, event: .pollTerminal(reason: reason), status: nil, operationFailure: failure, policy: .test, jitter: 0.5, at: now)
    }

    func abandon(_ run: Int64, reason: String, at now: Date = Instant.base) async throws -> RunDecision {
        try await record(.abandoned(reason: reason), run: run, policy: .test, jitter: 0.5, at: now)
    }

    func fileWritten(_ run: Int64, path: String, size: Int64, sha256: String, at now: Date = Instant.base) async throws -> StoredFile {
        try await recordFileWritten(run: run, path: path, size: size, sha256: sha256, policy: .test, at: now)
    }
}
