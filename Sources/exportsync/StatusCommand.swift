import ArgumentParser
import ExportSyncConfig
import ExportSyncCore
import ExportSyncStore
import Foundation

/// `exportsync status`: what the daemon knows, for a person or a script.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show jobs, their last run, next due time and pending operations.",
        discussion: """
            Reads the state database read-only, so it is safe while the daemon runs. Before the
            daemon has ever run there is no database yet; every job is then shown as never run
            and due now. `--json` prints a stable document for scripts (snake_case keys, ISO 8601
            UTC times, null for "none").
            """
    )

    @OptionGroup var config: ConfigOption

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Show at most this many pending operations.")
    var pendingLimit = 20

    func run() async throws {
        let configuration = try config.loadOrExit()
        let databasePath = configuration.daemon.databasePath
        var snapshot: StatusSnapshot?
        if FileManager.default.fileExists(atPath: databasePath) {
            do {
                let store = try StateStore(path: databasePath, mode: .readOnly)
                snapshot = try await store.statusSnapshot(pendingLimit: max(0, pendingLimit))
            } catch {
                printError("exportsync status: \(error)")
                throw ExitCode(SysExit.ioError)
            }
        }
        var report = StatusReport(configuration: configuration, snapshot: snapshot, now: Date())
        report.stateWriteFailure = StateWriteFailureNotice.read(
            environment: ProcessInfo.processInfo.environment, stateDirectory: configuration.daemon.stateDirectory)
        if json {
            print(try report.jsonText())
        } else {
            print(report.table())
        }
    }
}

/// The status document: configuration and database merged, one entry per job.
struct StatusReport: Encodable {
    struct Job: Encodable {
        var name: String
        var kind: String
        var source: String
        var schedule: String?
        var inConfig: Bool
        var nextDueAt: Date?
        var dueNow: Bool
        var lastRun: Run?
        /// Its delivery hooks (`on_file`): pending and failed counts, the last one that ended.
        var hooks: Hooks?
        /// A discovery job's items and scans (nil for other kinds).
        var discovery: Discovery? = nil

        enum CodingKeys: String, CodingKey {
            case name, kind, source, schedule, hooks, discovery
            case inConfig = "in_config", nextDueAt = "next_due_at", dueNow = "due_now", lastRun = "last_run"
        }

        // Written by hand so that absent values are `null`, not missing keys: a stable shape.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(kind, forKey: .kind)
            try container.encode(source, forKey: .source)
            try container.encode(schedule, forKey: .schedule)
            try container.encode(inConfig, forKey: .inConfig)
            try container.encode(nextDueAt, forKey: .nextDueAt)
            try container.encode(dueNow, forKey: .dueNow)
            try container.encode(lastRun, forKey: .lastRun)
            try container.encode(hooks, forKey: .hooks)
            try container.encode(discovery, forKey: .discovery)
        }
    }

    /// A discovery job's standing, from the database.
    struct Discovery: Encodable {
        var summary: DiscoverySummary

        enum CodingKeys: String, CodingKey {
            case found, exported, pending, failed, removed, scanning
            case lastCompleteScanAt = "last_complete_scan_at"
        }

        enum ScanKeys: String, CodingKey {
            case runID = "run_id", listsRead = "lists_read", found
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(summary.found, forKey: .found)
            try container.encode(summary.exported, forKey: .exported)
            try container.encode(summary.pending, forKey: .pending)
            try container.encode(summary.failed, forKey: .failed)
            try container.encode(summary.removed, forKey: .removed)
            try container.encode(summary.lastCompleteScanAt, forKey: .lastCompleteScanAt)
            if let scan = summary.scanning {
                var nested = container.nestedContainer(keyedBy: ScanKeys.self, forKey: .scanning)
                try nested.encode(scan.run, forKey: .runID)
                try nested.encode(scan.listsRead, forKey: .listsRead)
                try nested.encode(scan.found, forKey: .found)
            } else {
                try container.encodeNil(forKey: .scanning)
            }
        }

        /// `14 found (last complete scan 2026-12-01 18:00Z), 12 exported, 2 pending, 0 failed, 1 removed; scanning: …`.
        var line: String {
            let last = summary.lastCompleteScanAt.map { "last complete scan \(StatusReport.time($0))" } ?? "no complete scan yet"
            var text = "\(summary.found) found (\(last)), \(summary.exported) exported, \(summary.pending) pending, "
                + "\(summary.failed) failed, \(summary.removed) removed"
            if let scan = summary.scanning {
                text += "; scanning now (run \(scan.run): \(scan.listsRead) list(s) read, \(scan.found) found)"
            }
            return text
        }
    }

    /// A job's delivery hooks, from the database.
    struct Hooks: Encodable {
        var summary: HookSummary

        enum CodingKeys: String, CodingKey {
            case pending, failed
            case lastState = "last_state", lastPath = "last_path", lastFinishedAt = "last_finished_at"
            case lastAttempts = "last_attempts", lastError = "last_error"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(summary.pending, forKey: .pending)
            try container.encode(summary.failed, forKey: .failed)
            try container.encode(summary.lastFinished?.state.rawValue, forKey: .lastState)
            try container.encode(summary.lastFinished?.path, forKey: .lastPath)
            try container.encode(summary.lastFinished?.finishedAt, forKey: .lastFinishedAt)
            try container.encode(summary.lastFinished?.attempts, forKey: .lastAttempts)
            try container.encode(summary.lastFinished?.lastError, forKey: .lastError)
        }

        /// `2 pending, 1 failed, last failed 2026-12-01 18:00Z after 3 attempt(s): … (reports/x.pdf)`.
        var line: String {
            var parts = ["\(summary.pending) pending", "\(summary.failed) failed"]
            if let last = summary.lastFinished {
                var text = "last \(last.state.rawValue) \(StatusReport.time(last.finishedAt)) after \(last.attempts) attempt(s)"
                if last.state != .succeeded, let error = last.lastError { text += ": \(error)" }
                parts.append(text + " (\(last.path))")
            }
            return parts.joined(separator: ", ")
        }
    }

    struct Run: Encodable {
        var summary: StatusSnapshot.RunSummary

        enum CodingKeys: String, CodingKey {
            case id, kind, phase
            case attemptCount = "attempt_count", scheduledFor = "scheduled_for", createdAt = "created_at"
            case updatedAt = "updated_at", finishedAt = "finished_at", failureReason = "failure_reason"
            case failureRetryable = "failure_retryable", possibleDuplicate = "possible_duplicate"
            case nextAttemptAt = "next_attempt_at", lastError = "last_error", stepFailures = "step_failures"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(summary.id, forKey: .id)
            try container.encode(summary.kind.rawValue, forKey: .kind)
            try container.encode(summary.phase.rawValue, forKey: .phase)
            try container.encode(summary.attemptCount, forKey: .attemptCount)
            try container.encode(summary.scheduledFor, forKey: .scheduledFor)
            try container.encode(summary.createdAt, forKey: .createdAt)
            try container.encode(summary.updatedAt, forKey: .updatedAt)
            try container.encode(summary.finishedAt, forKey: .finishedAt)
            try container.encode(summary.failureReason, forKey: .failureReason)
            try container.encode(summary.failureRetryable, forKey: .failureRetryable)
            try container.encode(summary.possibleDuplicate, forKey: .possibleDuplicate)
            try container.encode(summary.nextAttemptAt, forKey: .nextAttemptAt)
            try container.encode(summary.lastError, forKey: .lastError)
            try container.encode(summary.stepFailures, forKey: .stepFailures)
        }
    }

    /// A job whose Workiva paths have a sunset.
    struct SunsetWarning: Encodable {
        var job: String
        var sunsetDay: String
        var daysLeft: Int
        var paths: String
        var advice: String
        var message: String

        enum CodingKeys: String, CodingKey {
            case job, paths, advice, message
            case sunsetDay = "sunset_day", daysLeft = "days_left"
        }

        init(_ notice: SunsetNotice, now: Date) {
            job = notice.job
            sunsetDay = notice.sunset.day
            daysLeft = notice.sunset.daysLeft(at: now)
            paths = notice.sunset.pathPrefix
            advice = notice.advice
            message = notice.message(at: now)
        }
    }

    struct Pending: Encodable {
        var runID: Int64
        var job: String
        var phase: String
        var nextPollAt: Date?
        var pollCount: Int
        var lastStatus: String?
        var operationURL: String

        enum CodingKeys: String, CodingKey {
            case job, phase
            case runID = "run_id", nextPollAt = "next_poll_at", pollCount = "poll_count"
            case lastStatus = "last_status", operationURL = "operation_url"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(runID, forKey: .runID)
            try container.encode(job, forKey: .job)
            try container.encode(phase, forKey: .phase)
            try container.encode(nextPollAt, forKey: .nextPollAt)
            try container.encode(pollCount, forKey: .pollCount)
            try container.encode(lastStatus, forKey: .lastStatus)
            try container.encode(operationURL, forKey: .operationURL)
        }
    }

    var config: String
    var database: String
    var databaseExists: Bool
    var generatedAt: Date
    var jobs: [Job]
    var pendingOperations: [Pending]
    var pendingOperationCount: Int
    /// Set while the running daemon cannot write the state database (what the database shows
    /// is then older than what the daemon knows).
    var stateWriteFailure: StateWriteFailureNotice?
    /// Configured jobs whose paths are retired soon (or were).
    var sunsetWarnings: [SunsetWarning]

    enum CodingKeys: String, CodingKey {
        case config, database, jobs
        case databaseExists = "database_exists", generatedAt = "generated_at"
        case pendingOperations = "pending_operations", pendingOperationCount = "pending_operation_count"
        case stateWriteFailure = "state_write_failure", sunsetWarnings = "sunset_warnings"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(config, forKey: .config)
        try container.encode(database, forKey: .database)
        try container.encode(databaseExists, forKey: .databaseExists)
        try container.encode(generatedAt, forKey: .generatedAt)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(pendingOperations, forKey: .pendingOperations)
        try container.encode(pendingOperationCount, forKey: .pendingOperationCount)
        try container.encode(stateWriteFailure, forKey: .stateWriteFailure)
        try container.encode(sunsetWarnings, forKey: .sunsetWarnings)
    }

    init(configuration: Configuration, snapshot: StatusSnapshot?, now: Date) {
        config = configuration.filePath
        database = configuration.daemon.databasePath
        databaseExists = snapshot != nil
        generatedAt = now
        let stored = Dictionary((snapshot?.jobs ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var jobs = configuration.jobs.map { spec -> Job in
            let known = stored[spec.name]
            let lastScheduled = known?.lastScheduledAt.map { Int64($0.timeIntervalSince1970) }
            let nextDue = known?.nextDueAt
                ?? spec.schedule.nextDue(lastScheduled: lastScheduled).map { Date(timeIntervalSince1970: TimeInterval($0)) }
            return Job(name: spec.name, kind: spec.kind.rawValue, source: spec.source, schedule: spec.schedule.summary,
                       inConfig: true, nextDueAt: nextDue, dueNow: nextDue.map { $0 <= now } ?? true, lastRun: known?.lastRun.map(Run.init),
                       hooks: known?.hooks.map(Hooks.init),
                       discovery: spec.isDiscovery
                           ? Discovery(summary: known?.discovery ?? DiscoverySummary(found: 0, exported: 0, pending: 0, failed: 0, removed: 0))
                           : nil)
        }
        let configured = Set(configuration.jobs.map(\.name))
        for job in snapshot?.jobs ?? [] where !configured.contains(job.name) {
            jobs.append(Job(name: job.name, kind: job.kind, source: job.source, schedule: nil, inConfig: false,
                            nextDueAt: nil, dueNow: false, lastRun: job.lastRun.map(Run.init), hooks: job.hooks.map(Hooks.init),
                            discovery: job.discovery.map(Discovery.init)))
        }
        self.jobs = jobs
        pendingOperations = (snapshot?.pendingOperations ?? []).map {
            Pending(runID: $0.runID, job: $0.job, phase: $0.phase.rawValue, nextPollAt: $0.nextPollAt,
                    pollCount: $0.pollCount, lastStatus: $0.lastStatus, operationURL: $0.operationURL)
        }
        pendingOperationCount = snapshot?.pendingOperationCount ?? 0
        sunsetWarnings = configuration.jobs.compactMap(\.sunsetNotice).map { SunsetWarning($0, now: now) }
    }

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table() -> String {
        var lines = ["exportsync status — \(config)"]
        lines.append("database \(database)" + (databaseExists ? "" : " (not created yet: the daemon has not run)"))
        if let failure = stateWriteFailure {
            lines.append("STATE DATABASE NOT WRITABLE since \(Self.time(failure.since)) (\(failure.failures) failure(s) in a row): \(failure.error)")
            lines.append("  the daemon (pid \(failure.pid)) holds all work and tries again at \(Self.time(failure.retryAt)); what follows may be out of date")
        }
        lines.append("")
        let rows = [["JOB", "KIND", "LAST RUN", "NEXT DUE"]] + jobs.map { job in
            [job.name + (job.inConfig ? "" : " (removed from config)"), job.kind, Self.describe(job.lastRun),
             job.inConfig ? (job.dueNow ? "now" : job.nextDueAt.map(Self.time) ?? "—") : "—"]
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
        let discovering = jobs.filter { $0.discovery != nil }
        if !discovering.isEmpty {
            lines.append("")
            lines.append("discovery jobs:")
            for job in discovering { if let discovery = job.discovery { lines.append("  \(job.name): \(discovery.line)") } }
        }
        let hooked = jobs.filter { $0.hooks != nil }
        if !hooked.isEmpty {
            lines.append("")
            lines.append("delivery hooks:")
            for job in hooked { if let hooks = job.hooks { lines.append("  \(job.name): \(hooks.line)") } }
        }
        if !sunsetWarnings.isEmpty {
            lines.append("")
            lines.append("sunset warnings: \(sunsetWarnings.count)")
            for warning in sunsetWarnings { lines.append("  \(warning.message)") }
        }
        lines.append("")
        if pendingOperationCount == 0 {
            lines.append("pending operations: none")
        } else {
            lines.append("pending operations: \(pendingOperationCount)" + (pendingOperations.count < pendingOperationCount ? " (showing \(pendingOperations.count))" : ""))
            for operation in pendingOperations {
                let next = operation.nextPollAt.map { "next poll \(Self.time($0))" } ?? "no poll scheduled"
                lines.append("  run \(operation.runID) \(operation.job): \(operation.phase), \(operation.pollCount) poll(s), last status \(operation.lastStatus ?? "—"), \(next) — \(operation.operationURL)")
            }
        }
        // Each line escaped on its own: a newline or an escape sequence inside a server's text
        // can neither forge a line nor reach the terminal raw.
        return lines.map { TerminalText.escaped(Substring($0)) }.joined(separator: "\n")
    }

    static func describe(_ run: Run?) -> String {
        guard let run = run?.summary else { return "never" }
        var text = "#\(run.id) \(run.phase.rawValue) \(time(run.finishedAt ?? run.updatedAt))"
        if let reason = run.failureReason { text += " (\(reason))" }
        if run.possibleDuplicate { text += " [possible duplicate kickoff]" }
        if !run.phase.isTerminal, let error = run.lastError {
            let when = run.nextAttemptAt.map { " at \(time($0))" } ?? ""
            text += " [retrying\(when) after \(run.stepFailures) transient failure(s): \(error)]"
        }
        return text
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm'Z'"
        return formatter.string(from: date)
    }
}
