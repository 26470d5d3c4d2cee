import AsyncHTTPClient
public import ExportSyncConfig
public import ExportSyncCore
public import ExportSyncProviders
public import ExportSyncStore
import Foundation
public import Logging

/// Runs every export job of a configuration: schedules runs, starts operations, polls them,
/// downloads the results atomically, and records each step in the state store before the next.
///
/// One loop drives everything. Each pass it creates runs for jobs that came due, gathers the
/// runs that can act (to start, to download) and the operations whose `next_poll_at` has come,
/// hands each to a child task (bounded), reports progress, and sleeps until the next due time,
/// the next poll, or a child's completion — whichever is first. Because the loop itself reports
/// progress, a wedged loop stops the systemd watchdog pings.
///
/// The engine decides nothing about a run itself: it turns each step's outcome into a
/// ``RunEvent``, the store applies it through ``RunStateMachine`` and commits the resulting state
/// with its time (`next_poll_at`, `next_attempt_at`) in one transaction, and the engine executes
/// the action it gets back. Every decision is persisted before the I/O or the wait it leads to,
/// so a `kill -9` at any instant resumes from the database without losing work, repeating it
/// needlessly, or acting early.
public actor ExportEngine {
    /// How long the engine keeps going.
    public enum Mode: Sendable, Hashable {
        /// Until cancelled (the daemon).
        case daemon
        /// Until every run due at start (and every unfinished run found) has finished.
        case once
    }

    /// What a `once` invocation achieved.
    public struct Outcome: Sendable, Hashable {
        public var filesWritten = 0
        public var runsFailed = 0
        /// State writes committed, and the transactions that carried them (group commit).
        public var stateWrites = 0
        public var stateTransactions = 0
        /// Times the state database refused to schedule due jobs or to list the work to do:
        /// `once` then cannot vouch that all due work was done. (A refused step write is retried
        /// with backoff and counts only if its run then fails.)
        public var stateFailures = 0
        /// Delivery hooks that failed their last attempt (the files stay delivered).
        public var hooksFailed = 0

        public init() {}
    }

    /// Limits on work in flight.
    public struct Limits: Sendable, Hashable {
        /// Kickoffs and polls in flight at once, all sources together.
        public var maximumConcurrentRequests: Int
        /// Downloads in flight at once.
        public var maximumConcurrentDownloads: Int
        /// Longest sleep of the loop. Every wake-up the work needs is computed (the next due job,
        /// poll, retry, hook attempt or upload scan, the end of a pause) or signalled (a finished
        /// task, a reload, a trigger), so this only bounds an idle loop: a pass a minute, or half
        /// the watchdog's ping interval when systemd armed one (`DaemonApplication`). Each pass
        /// wakes threads of the runtime's pool, which an idle daemon should not do every few seconds.
        public var maximumSleep: Duration

        public init(maximumConcurrentRequests: Int = 64, maximumConcurrentDownloads: Int = 4, maximumSleep: Duration = .seconds(60)) {
            self.maximumConcurrentRequests = maximumConcurrentRequests
            self.maximumConcurrentDownloads = maximumConcurrentDownloads
            self.maximumSleep = maximumSleep
        }
    }

    let store: StateStore
    let logger: Logger
    let limits: Limits
    /// Where runs, retries, downloaded bytes and refused state writes are counted.
    nonisolated let metrics: ExportMetrics
    private(set) var configuration: Configuration
    private(set) var jobs = JobTable([])
    private(set) var clients: [String: SourceClient] = [:]
    var nextDue: [String: Date] = [:] { didSet { earliestDueCache = nil } }
    /// `nextDue`'s minimum, computed again only after `nextDue` changed: with 100,000 jobs a
    /// scan per pass of the loop was most of an idle daemon's work.
    private var earliestDueCache: Date??
    /// Set when jobs were (re)loaded: some may have no due time yet, so the next pass scans them all.
    private var jobsNeedDueScan = true
    /// Upload jobs' inbox bookkeeping (see `ExportEngine+Upload.swift`).
    var uploadInboxes: [String: UploadInboxProgress] = [:]
    /// Slots and work in flight: what a pass may start (see ``DispatchState``).
    private var dispatch: DispatchState
    /// Threads for fsync/rename, from the first download until ``run(mode:)`` returns.
    private var fileWork: FileWorkPool?
    /// Where completed operations' results are, as the completing poll said, so the download
    /// needs no extra call (never stored: after a restart the server is asked again).
    var results: [Int64: ResultLocation] = [:]
    /// Set while the state database refuses writes: no new work starts before `retryAt`.
    private var stateWriteFailure: EngineProgress.StateWriteFailure?
    var progress = EngineProgress()
    private var pollingCountCheckedAt = Date.distantPast
    /// When the trigger marks were last read, and whether `SIGUSR1` asked for a read now: a
    /// busy loop passes after every finished task, and reads them at most once a second.
    private var triggersCheckedAt = Date.distantPast
    private var triggersRequested = true
    /// The earliest persisted wait after this pass's instant, from the pass's read (nil when
    /// the pass did not read: the wake time then reads it on its own).
    private var scheduledWorkSeenByPass: Date??
    private var outcome = Outcome()
    private var random: SeededRandomNumberGenerator
    let wake = WakeSignal()
    /// The time every decision is made at.
    nonisolated let clock: any ProviderClock

    /// A completed operation's result, as its completing poll gave it.
    enum ResultLocation: Sendable {
        /// Workiva's `resourceUrl`.
        case workivaResource(String)
        /// A WebAdMIT pre-signed `download_url` and when it was received (it lives about 30 s).
        case webAdmitDownload(String, receivedAt: Date)
    }

    /// Creates an engine over an open store and one client per source.
    ///
    /// - Parameter metrics: where the engine counts runs, retries, downloaded bytes and refused
    ///   state writes (the clients count their requests through their ``ProviderSettings``).
    public init(configuration: Configuration, clients: [String: SourceClient], store: StateStore, logger: Logger,
                limits: Limits? = nil, randomSeed: UInt64 = UInt64.random(in: 0...UInt64.max),
                clock: any ProviderClock = SystemProviderClock(), metrics: ExportMetrics = .disabled) {
        self.clock = clock
        self.metrics = metrics
        self.configuration = configuration
        self.clients = clients
        self.store = store
        self.logger = logger
        let limits = limits ?? Limits(maximumConcurrentDownloads: configuration.daemon.maxConcurrentDownloads)
        self.limits = limits
        dispatch = DispatchState(limits: .init(requests: limits.maximumConcurrentRequests, downloads: limits.maximumConcurrentDownloads))
        random = SeededRandomNumberGenerator(seed: randomSeed)
        jobs = JobTable(configuration.jobs)
    }

    // MARK: Start-up

    /// What ``prepare()`` found.
    public struct Preparation: Sendable, Hashable {
        public var temporaryFilesRemoved: Int
        public var jobs: JobSyncReport
        /// Runs to start or download again.
        public var unfinishedRuns: Int
        /// Runs waiting on an operation that is polled again at its recorded `next_poll_at`.
        public var pollingRuns: Int
    }

    /// Sweeps temp files a killed process left, registers the configured jobs, and loads their
    /// schedule bookkeeping. Call it before `READY=1`; it does not touch the network.
    public func prepare() async throws -> Preparation {
        try FileManager.default.createDirectory(atPath: configuration.daemon.outputDirectory, withIntermediateDirectories: true)
        let removed = AtomicFileWriter.sweepTemporaryFiles(under: configuration.daemon.outputDirectory)
        if removed > 0 {
            logger.notice("removed \(removed) partial file(s) left by an interrupted download", metadata: ["temp_files": "\(removed)"])
        }
        let report = try await syncJobs()
        let actionable = try await store.unfinishedRuns(in: Set(RunPhase.actionableAtStartup))
        let polling = try await store.pendingOperationCount()
        return Preparation(temporaryFilesRemoved: removed, jobs: report, unfinishedRuns: actionable.count,
                           pollingRuns: max(0, polling - actionable.filter { $0.operation != nil }.count))
    }

    private func syncJobs() async throws -> JobSyncReport {
        let report = try await store.syncJobs(configuration.jobs.map(JobRegistration.init), at: clock.now)
        for name in report.removedFromConfig {
            logger.notice("job \(name) is no longer in the configuration; its history is kept", metadata: ["job": "\(name)"])
        }
        for name in report.changed {
            logger.info("job \(name) changed in the configuration", metadata: ["job": "\(name)"])
        }
        // Built aside and swapped in once: the loop may run a pass while this awaits, and must
        // not see every job without a due time meanwhile.
        var loaded: [String: Date] = [:]
        for stored in try await store.allJobs() where jobs[stored.name] != nil {
            if let due = stored.nextDueAt {
                loaded[stored.name] = due
            } else if let last = stored.lastScheduledAt, let spec = jobs[stored.name],
                      let due = spec.schedule.nextDue(lastScheduled: Int64(last.timeIntervalSince1970)) {
                loaded[stored.name] = Date(timeIntervalSince1970: TimeInterval(due))
            }
        }
        nextDue = loaded
        jobsNeedDueScan = true
        return report
    }

    /// Replaces the configuration (SIGHUP). Runs in flight keep going; a job removed from the
    /// configuration keeps its unfinished run until that run ends.
    public func reload(configuration newConfiguration: Configuration, clients newClients: [String: SourceClient]) async throws {
        configuration = newConfiguration
        clients = newClients
        jobs = JobTable(newConfiguration.jobs)
        _ = try await syncJobs()
        triggersRequested = true
        wake.signal()
    }

    // MARK: The loop

    /// Runs until cancelled (``Mode/daemon``) or until all due work is finished (``Mode/once``).
    ///
    /// - Parameter onPass: called at the end of every pass of the loop with the current progress;
    ///   the daemon feeds the watchdog and `STATUS=` from it.
    public func run(mode: Mode, onPass: @escaping @Sendable (EngineProgress) -> Void = { _ in }) async -> Outcome {
        outcome = Outcome()
        if mode == .once { await scheduleDueJobs(now: clock.now) }
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = clock.now
                if mode == .daemon { await scheduleDueJobs(now: now) }
                await scheduleUploadJobs(now: now, mode: mode)
                let dispatched = await dispatchWork(now: now, group: &group)
                await refreshProgress(now: now)
                let wakeAt = await wakeTime(dispatchedAt: now, mode: mode)
                progress.passAt = now
                progress.wakesAt = wakeAt
                onPass(progress)
                if mode == .once, dispatched == 0, dispatch.isIdle, await nothingLeft() {
                    break
                }
                await wake.wait(until: wakeAt, clock: clock)
            }
            group.cancelAll()
        }
        await fileWork?.shutdown()
        fileWork = nil
        let statistics = store.writeStatistics
        outcome.stateWrites = statistics.writes
        outcome.stateTransactions = statistics.transactions
        return outcome
    }

    /// Creates a run for every export job whose due time has come (upload jobs: ``scheduleUploadJobs(now:mode:)``),
    /// all in one transaction: a restart or a shared schedule can bring thousands due at once.
    func scheduleDueJobs(now: Date) async {
        await takeTriggers(now: now)
        if !jobsNeedDueScan, let earliest = earliestDue, earliest > now { return }
        jobsNeedDueScan = false
        var requests: [DueRunRequest] = []
        for job in configuration.jobs where job.kind != .sampleAttachmentUpload {
            if let due = nextDue[job.name], due > now { continue }
            requests.append(DueRunRequest(exportOf: job, at: now))
        }
        guard !requests.isEmpty else { return }
        let results: [Result<StoredRun, StateStoreError>]
        do {
            results = try await store.createDueRuns(requests, at: now)
        } catch {
            outcome.stateFailures += 1
            metrics.countStateWriteFailure()
            logger.error("cannot schedule \(requests.count) due job(s): \(error)")
            for request in requests { nextDue[request.job] = now.addingTimeInterval(30) }
            return
        }
        for (request, result) in zip(requests, results) {
            let job = request.job
            switch result {
            case .success(let run):
                logger.info("run \(run.id) of job \(job) is due", metadata: ["job": "\(job)", "run_id": "\(run.id)"])
            case .failure(.jobHasUnfinishedRun(_, let runID)):
                // createDueRuns already moved the job's next due time past this slot.
                logger.notice("job \(job) came due while run \(runID) is still unfinished; this slot is skipped",
                              metadata: ["job": "\(job)", "run_id": "\(runID)"])
            case .failure(let error):
                outcome.stateFailures += 1
                logger.error("cannot schedule job \(job): \(error)", metadata: ["job": "\(job)"])
                nextDue[job] = now.addingTimeInterval(30)
                continue
            }
            nextDue[job] = request.nextDueAt ?? .distantFuture
        }
    }

    /// Jobs `exportsync trigger` marked are due now. The mark is cleared in the transaction that
    /// creates the run (or, for a job that cannot run, here), so a crash never loses one.
    private func takeTriggers(now: Date) async {
        guard triggersRequested || now.timeIntervalSince(triggersCheckedAt) >= 1 || now < triggersCheckedAt else { return }
        triggersCheckedAt = now
        guard let triggered = try? await store.triggeredJobs() else { return }
        // Cleared only once read: a failed read is tried again at the next pass.
        triggersRequested = false
        guard !triggered.isEmpty else { return }
        var unusable: [String] = []
        for name in triggered {
            if let job = jobs[name], job.kind != .sampleAttachmentUpload {
                if nextDue[name].map({ $0 > now }) ?? true {
                    logger.notice("job \(name) was triggered; it runs now", metadata: ["job": "\(name)"])
                }
                nextDue[name] = now
            } else {
                unusable.append(name)
                logger.notice("job \(name) was triggered but \(jobs[name] == nil ? "is not in the configuration" : "is an upload job, which runs when files arrive"); ignored",
                              metadata: ["job": "\(name)"])
            }
        }
        if !unusable.isEmpty { try? await store.clearTriggers(unusable) }
    }

    /// Asks the loop for a pass now (`SIGUSR1`, which `exportsync trigger` sends).
    public func requestPass() {
        triggersRequested = true
        wake.signal()
    }

    /// Hands new work to child tasks; returns how many items it started. What each run does is
    /// the core's ``RunStateMachine/nextAction(now:)``; runs still waiting out a persisted retry
    /// time are not read at all.
    private func dispatchWork(now: Date, group: inout DiscardingTaskGroup) async -> Int {
        scheduledWorkSeenByPass = nil
        if let failure = stateWriteFailure, failure.retryAt > now { return 0 }
        var started = 0
        let pass = dispatch.beginPass()
        defer { dispatch.endPass(pass) }
        let actionable: [UnfinishedRun]
        let polls: [PollTarget]
        let hooks: [PendingHook]
        do {
            // Finishing work comes before starting more. Each pass reads only as many runs per
            // phase as could start now, leaving out those in flight: its cost grows neither with
            // the backlog nor with the work in flight.
            let candidates = try await store.dispatchCandidates(
                runLimits: [RunPhase.downloading, .uploading, .starting, .due].map { phase in
                    (phase, dispatch.runReadLimit(for: phase == .downloading ? .download : .request))
                },
                pollsUntil: now, pollLimit: dispatch.pollReadLimit,
                runsInFlight: dispatch.runIDsInFlight, operationsInFlight: dispatch.operationIDsInFlight,
                hookLimit: dispatch.hookReadLimit, withScheduledWork: true)
            actionable = candidates.runs
            polls = candidates.polls
            hooks = candidates.hooks
            scheduledWorkSeenByPass = .some(candidates.earliestScheduledWork)
        } catch {
            outcome.stateFailures += 1
            logger.error("cannot read the state database: \(error); reading again in \(Int(Self.failedReadRetrySeconds)) s")
            // Work may be due (this pass may just have created it): look again soon, not at the
            // idle loop's next minute.
            scheduledWorkSeenByPass = .some(now.addingTimeInterval(Self.failedReadRetrySeconds))
            return 0
        }
        for recovered in actionable where !dispatch.isRunning(.run(recovered.run.id)) {
            let policy = clients[jobs[recovered.run.job]?.source ?? ""].map(Self.policy(for:)) ?? RunPolicy()
            let action = recovered.machine(policy: policy).nextAction(now: now)
            if let at = action.at, at > now { continue }
            let isDownload: Bool
            if case .download = action { isDownload = true } else { isDownload = false }
            guard dispatch.start(.run(recovered.run.id), in: isDownload ? .download : .request, pass: pass) == .started else { continue }
            started += 1
            // Started with the first download, so an idle daemon has no threads waiting for work.
            let fileWork: FileWorkPool? = if isDownload { startedFileWork() } else { nil }
            group.addTask {
                switch action {
                case .download:
                    if let fileWork { await self.performDownload(recovered, fileWork: fileWork) }
                case .kickoff, .upload:
                    await self.performKickoff(recovered)
                case .reconcileKickoff:
                    await self.performReconcile(recovered)
                case .fail:
                    await self.record(.deadlinePassed, run: recovered.run.id, policy: policy, logger: self.runLogger(recovered.run))
                case .poll, .done:
                    // Polls come from the poll queue; a done run is not read as unfinished.
                    break
                }
                await self.finished(.run(recovered.run.id))
            }
        }
        started += dispatchHooks(hooks, pass: pass, group: &group)
        for target in polls where !target.runs.isEmpty {
            let decision = dispatch.start(.operation(target.operation.id), in: .request, pass: pass)
            if decision == .noRoom { break }
            guard decision == .started else { continue }
            started += 1
            let lead = target.runs[0]
            let policy = clients[jobs[lead.job]?.source ?? ""].map(Self.policy(for:)) ?? RunPolicy()
            let expired = now >= lead.deadline
            group.addTask {
                if expired {
                    await self.record(.deadlinePassed, run: lead.id, policy: policy, logger: self.runLogger(lead))
                } else {
                    await self.performPoll(target)
                }
                await self.finished(.operation(target.operation.id))
            }
        }
        return started
    }

    /// Starts the delivery hooks that are due (read with the pass's candidates), as many as
    /// hook slots allow.
    private func dispatchHooks(_ due: [PendingHook], pass: DispatchState.Pass, group: inout DiscardingTaskGroup) -> Int {
        var started = 0
        for hook in due {
            let decision = dispatch.start(.hook(hook.id), in: .hook, pass: pass)
            if decision == .noRoom { break }
            guard decision == .started else { continue }
            started += 1
            group.addTask {
                await self.performHook(hook)
                await self.finished(.hook(hook.id))
            }
        }
        return started
    }

    private func finished(_ work: DispatchState.Work) {
        dispatch.finished(work)
        wake.signal()
    }

    /// A download received its last byte: its slot goes to the next download while its file is
    /// made durable (fsync, rename, directory fsync, database) — `max_concurrent_downloads`
    /// bounds transfers from the server, not the local disk's latency.
    func transferFinished(run: Int64) {
        if dispatch.transferFinished(run: run) { wake.signal() }
    }

    /// The file-work pool, started on first use (an idle daemon has no threads waiting).
    func startedFileWork() -> FileWorkPool {
        if let fileWork { return fileWork }
        let started = FileWorkPool(threads: Self.fileWorkThreads)
        fileWork = started
        return started
    }

    /// File-work threads: enough that a disk's journal can commit many files together.
    static let fileWorkThreads = 16

    /// How soon a pass whose read of the state database failed is tried again.
    static let failedReadRetrySeconds: TimeInterval = 5

    /// The earliest due time of any job (or upload scan), if any.
    private var earliestDue: Date? {
        if let cached = earliestDueCache { return cached }
        let earliest = nextDue.values.min()
        earliestDueCache = .some(earliest)
        return earliest
    }

    /// The job called `name` and its source's client, as configured now.
    func configured(job name: String) -> (JobSpec, SourceClient)? {
        guard let job = jobs[name], let client = clients[job.source] else { return nil }
        return (job, client)
    }

    /// Where files land.
    var outputRoot: String { configuration.daemon.outputDirectory }

    /// Every configured job with the longest gap between two of its schedule slots, in seconds
    /// (`exportsync_job_interval_seconds`).
    /// (0 for upload jobs: they run when files arrive and have no interval.)
    public func scheduleIntervals() -> [String: Int64] {
        Dictionary(configuration.jobs.map { ($0.name, $0.kind == .sampleAttachmentUpload ? 0 : $0.schedule.longestGapSeconds) },
                   uniquingKeysWith: { first, _ in first })
    }

    /// The configured jobs whose Workiva paths have a published sunset.
    public func sunsetNotices() -> [SunsetNotice] { configuration.jobs.compactMap(\.sunsetNotice) }

    func remember(_ location: ResultLocation, of operation: Int64) { results[operation] = location }
    func result(of operation: Int64) -> ResultLocation? { results[operation] }
    func forget(resultOf operation: Int64) { results.removeValue(forKey: operation) }

    /// A uniform number in [0, 1) from the seeded generator, for the core's backoff jitter.
    func nextJitter() -> Double {
        Double(random.next() >> 11) / Double(1 << 53)
    }

    /// The state database refused a write: all new work waits (jittered exponential backoff, at
    /// most a minute), and the failure is logged once per backoff, not once per attempt.
    func stateWriteFailed(_ error: any Error, logger log: Logger) {
        metrics.countStateWriteFailure()
        let now = clock.now
        if let current = stateWriteFailure, current.retryAt > now { return }
        let failures = (stateWriteFailure?.failures ?? 0) + 1
        let wait = RunPolicy().stateWriteRetryWait(failures: failures, jitter: nextJitter())
        let failure = EngineProgress.StateWriteFailure(
            error: "\(error)", failures: failures, since: stateWriteFailure?.since ?? now, retryAt: now.addingTimeInterval(wait))
        stateWriteFailure = failure
        progress.stateWriteFailure = failure
        log.error("cannot write the state database: \(error); all work waits \(Self.seconds(wait)) s and tries again (failure \(failures) in a row)",
                  metadata: ["state_write_failures": "\(failures)", "retry_in": "\(Self.seconds(wait))"])
        wake.signal()
    }

    /// A state write went through: a pause for failed writes ends.
    func stateWriteSucceeded() {
        guard let failure = stateWriteFailure else { return }
        stateWriteFailure = nil
        progress.stateWriteFailure = nil
        logger.notice("the state database takes writes again after \(failure.failures) failed attempt(s)")
    }

    /// An export's file is recorded: its run is done.
    func noteFileWritten(at date: Date, job: String) {
        metrics.countRun(job: job, outcome: .success)
        outcome.filesWritten += 1
        progress.filesWritten += 1
        progress.lastFileAt = date
    }

    func noteHookFailed() {
        outcome.hooksFailed += 1
        progress.hooksFailed += 1
    }

    /// Runs of `jobs` failed (a lead run and the runs that followed its operation).
    func noteRunsFailed(jobs: [String], retryable: Bool) {
        for job in jobs { metrics.countRun(job: job, outcome: retryable ? .failedRetryable : .failed) }
        outcome.runsFailed += jobs.count
        progress.runsFailed += jobs.count
    }

    func noteDownloadBytes(delta: Int64, total: Int64) {
        progress.downloadedBytes += delta
        progress.downloadTotalBytes += total
    }

    private func refreshProgress(now: Date) async {
        progress.starting = dispatch.startingCount
        progress.workInFlight = dispatch.runCount + dispatch.pollCount + dispatch.hookCount
        progress.downloading = dispatch.downloadingCount
        progress.hooksRunning = dispatch.hookCount
        if dispatch.downloadingCount == 0 { progress.downloadedBytes = 0; progress.downloadTotalBytes = 0 }
        progress.nextDueAt = earliestDue.flatMap { $0 == .distantFuture ? nil : $0 }
        // Counting polling runs reads an index; once a second is plenty for STATUS=.
        if now.timeIntervalSince(pollingCountCheckedAt) >= 1 {
            pollingCountCheckedAt = now
            if let count = try? await store.pendingOperationCount() {
                progress.polling = count
            }
            if let count = try? await store.retryingRunCount() {
                progress.retrying = count
            }
        }
    }

    private func nothingLeft() async -> Bool {
        let remaining = (try? await store.unfinishedRuns(in: Set(RunPhase.unfinished))) ?? []
        guard remaining.allSatisfy({ jobs[$0.run.job] == nil && $0.run.phase == .polling }) else { return false }
        // A delivered file's hook belongs to the work: `once` waits for its last attempt.
        // (Hooks of jobs not configured now wait for them; they hold nothing up.)
        let hooked = (try? await store.jobsWithPendingHooks()) ?? []
        return !hooked.contains { jobs[$0]?.deliveryHook != nil }
    }

    /// When the loop wakes unless signalled: the next poll, the next due job, a run's next
    /// attempt, or the end of a pause for failed state writes — at most `maximumSleep` after the
    /// pass (``DispatchState/wakeTime(dispatchedAt:maximumSleep:earliestDue:earliestScheduledWork:pausedUntil:)``).
    private func wakeTime(dispatchedAt: Date, mode: Mode) async -> Date {
        let scheduledWork: Date?
        if let seen = scheduledWorkSeenByPass {
            scheduledWork = seen
        } else {
            scheduledWork = try? await store.earliestScheduledWork(after: dispatchedAt)
        }
        return DispatchState.wakeTime(
            dispatchedAt: dispatchedAt,
            maximumSleep: Double(limits.maximumSleep.components.seconds) + Double(limits.maximumSleep.components.attoseconds) / 1e18,
            earliestDue: mode == .daemon ? earliestDue : nil,
            earliestScheduledWork: scheduledWork,
            // A pause that has ended bounds nothing (the failure is cleared by the next write).
            pausedUntil: stateWriteFailure.map(\.retryAt).flatMap { $0 > dispatchedAt ? $0 : nil })
    }
}

/// The configured jobs by name. It shares the configuration's array instead of copying every
/// job into a dictionary: with 100,000 jobs the copies were tens of megabytes.
struct JobTable: Sendable {
    private let specs: [JobSpec]
    private let indexByName: [String: Int]
    /// The upload jobs, in configuration order: every pass of the loop visits these, and only
    /// these (it used to copy every job's spec to find them).
    let uploadJobs: [JobSpec]

    init(_ specs: [JobSpec]) {
        self.specs = specs
        var index: [String: Int] = [:]
        index.reserveCapacity(specs.count)
        for (position, spec) in specs.enumerated() where index[spec.name] == nil { index[spec.name] = position }
        indexByName = index
        uploadJobs = specs.filter { $0.kind == .sampleAttachmentUpload }
    }

    subscript(name: String) -> JobSpec? { indexByName[name].map { specs[$0] } }
}
