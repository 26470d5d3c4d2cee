import ArgumentParser
import ExportSyncConfig
import ExportSyncCore
import ExportSyncStore
import Foundation

/// Fills a state database with a backlog for `scripts/bench` case 3: one run per configured
/// export job, each already kicked off and waiting in `polling` on an operation of the sandbox's
/// `preparedOperations` (job number *i* follows `<operation-prefix>` + *i* in six digits).
///
/// It writes through the same store API the daemon uses (registration, `createDueRuns`,
/// `recordKickoffSending`, `recordOperationAccepted`), so the rows are exactly what a daemon
/// stopped with that many exports in flight leaves behind.
@main
struct BacklogSeeder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exportsync-backlog-seed",
        abstract: "Fill a state database with one polling run per configured export job (benchmarks).")

    @Option(help: "The exportsync configuration whose jobs and state database to use.")
    var config: String

    @Option(help: "URL prefix of the operations, e.g. http://127.0.0.1:8080/operations/backlog-")
    var operationPrefix: String

    @Option(help: "Seconds from now until the first poll of every operation (0: due at once).")
    var firstPollIn: Double = 0

    mutating func run() async throws {
        let started = Date()
        let configuration: Configuration
        do {
            configuration = try ConfigurationLoader().load(path: config)
        } catch {
            throw ValidationError(error.description)
        }
        try FileManager.default.createDirectory(atPath: configuration.daemon.stateDirectory, withIntermediateDirectories: true)
        let store = try StateStore(path: configuration.daemon.databasePath)
        let jobs = configuration.jobs.filter { $0.kind != .sampleAttachmentUpload }
        let now = Date()
        _ = try await store.syncJobs(jobs.map(JobRegistration.init), at: now)

        let requests = jobs.map { DueRunRequest(exportOf: $0, at: now) }
        var runIDs: [Int64] = []
        for result in try await store.createDueRuns(requests, at: now) {
            runIDs.append(try result.get().id)
        }
        let prefix = operationPrefix
        let firstPollIn = self.firstPollIn
        // Concurrent steps share transactions (group commit); chunks bound the tasks alive at once.
        let indexed = Array(runIDs.enumerated())
        for start in stride(from: 0, to: indexed.count, by: 2_000) {
            let chunk = indexed[start..<min(start + 2_000, indexed.count)]
            try await withThrowingDiscardingTaskGroup { group in
                for (index, runID) in chunk {
                    group.addTask {
                        _ = try await store.recordKickoffSending(run: runID, policy: RunPolicy(), at: now)
                        let digits = String(index)
                        let location = prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
                        _ = try await store.recordOperationAccepted(
                            run: runID, location: location, xVersion: "2026-01-01", serverWait: firstPollIn,
                            policy: RunPolicy(), at: now)
                    }
                }
            }
        }
        let statistics = store.writeStatistics
        print("seeded \(runIDs.count) polling run(s) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s "
              + "(\(statistics.writes) writes in \(statistics.transactions) transactions) into \(configuration.daemon.databasePath)")
    }
}
