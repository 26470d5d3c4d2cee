import ArgumentParser
import ExportSyncConfig
import ExportSyncCore
import ExportSyncStore
import Foundation

/// Fills a state database with a backlog for `scripts/bench` case 3: runs already kicked off
/// and waiting in `polling` on operations of the sandbox's `preparedOperations` (run number *i*
/// follows `<operation-prefix>` + *i* in six digits). Either one run per configured export job,
/// or, with `--discovery-items N`, N item runs of the configuration's one `test-form-attachments`
/// job: a scan that found N attachments, as a discovery job leaves behind (a small configuration).
///
/// It writes through the same store API the daemon uses (registration, `createDueRuns`,
/// `beginScan`/`recordScanList`/`completeScan`, `recordKickoffSending`,
/// `recordOperationAccepted`), so the rows are exactly what a daemon stopped with that many
/// exports in flight leaves behind.
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

    @Option(help: "Seed this many item runs of the configuration's test-form-attachments job instead of one run per job.")
    var discoveryItems: Int?

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

        var runIDs: [Int64] = []
        if let items = discoveryItems {
            guard let job = jobs.first(where: { $0.kind == .testFormAttachments }),
                  case .testFormAttachments(_, let spec) = job.payload else {
                throw ValidationError("--discovery-items needs a test-form-attachments job in \(config)")
            }
            runIDs = try await Self.seedScan(of: job, spec: spec, items: items, store: store, at: now)
        } else {
            let requests = jobs.map { DueRunRequest(exportOf: $0, at: now) }
            for result in try await store.createDueRuns(requests, at: now) {
                runIDs.append(try result.get().id)
            }
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

    /// A complete scan of `job` that found `items` sample attachments (`att-000000` …, 1,000
    /// per list), leaving one `due` run per attachment; answers their ids in walk order.
    static func seedScan(of job: JobSpec, spec: TestFormAttachmentsSpec, items: Int, store: StateStore, at now: Date) async throws -> [Int64] {
        guard let scan = try await store.createDueRuns([DueRunRequest(exportOf: job, at: now)], at: now).first?.get() else { return [] }
        _ = try await store.beginScan(run: scan.id, job: job.name, scope: job.scanScope ?? job.kind.rawValue, at: now)
        let locator = SampleLocator(testForm: spec.testForm, testPhase: "tp-1", matrix: "mx-1", sample: "sm-1")
        for start in stride(from: 0, to: items, by: 1_000) {
            let added = (start..<min(start + 1_000, items)).map { index in
                let digits = String(index)
                let id = "att-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
                return DiscoveredItem.attachment(DiscoveredAttachment(id: id, level: .sample, locator: locator, fileName: id + ".pdf"))
            }
            try await store.recordScanList(run: scan.id, job: job.name, added: added, pendingLists: [], policy: RunPolicy(), at: now)
        }
        let completion = try await store.completeScan(
            run: scan.id, job: job.name, refresh: spec.refresh, removed: spec.removed, covers: { job.covers($0) },
            deadline: now.addingTimeInterval(TimeInterval(job.deadlineSeconds)), policy: RunPolicy(), at: now)
        return completion.created.map(\.id)
    }
}
