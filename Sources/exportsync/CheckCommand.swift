import ArgumentParser
import ExportSyncConfig
import ExportSyncCore
import ExportSyncStore
import Foundation

/// `exportsync check`: is every job fresh? For cron, Nagios/Icinga and systemd `OnFailure=`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report stale or failing jobs with monitoring-plugin exit codes.",
        discussion: """
            Exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, and prints one summary line first, then
            one line per problem. CRITICAL: a job's last run failed, or it had no success within
            `stale_after` (default: twice the longest gap of its schedule plus its deadline).
            WARNING: a job never ran yet, or its paths reach their sunset within 30 days.
            Reads the state database read-only and takes no lock, like `status`.
            """
    )

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let configuration: Configuration
        do {
            configuration = try ConfigurationLoader().load(path: config.path)
        } catch {
            print("EXPORTSYNC UNKNOWN - the configuration is invalid")
            print(error.description)
            throw ExitCode(Int32(CheckSeverity.unknown.rawValue))
        }
        var stored: [String: StatusSnapshot.JobStatus] = [:]
        let databasePath = configuration.daemon.databasePath
        if FileManager.default.fileExists(atPath: databasePath) {
            do {
                let store = try StateStore(path: databasePath, mode: .readOnly)
                for job in try await store.statusSnapshot(pendingLimit: 0).jobs { stored[job.name] = job }
            } catch {
                print("EXPORTSYNC UNKNOWN - cannot read the state database \(databasePath)")
                print("\(error)")
                throw ExitCode(Int32(CheckSeverity.unknown.rawValue))
            }
        }
        let report = CheckReport(jobs: configuration.jobs, stored: stored, now: Date())
        print(report.lines.map { TerminalText.escaped(Substring($0)) }.joined(separator: "\n"))
        if report.severity != .ok { throw ExitCode(Int32(report.severity.rawValue)) }
    }
}

/// The problems of every configured job, the worst severity, and the lines to print.
struct CheckReport {
    var problems: [JobProblem]
    var jobCount: Int

    init(jobs: [JobSpec], stored: [String: StatusSnapshot.JobStatus], now: Date) {
        jobCount = jobs.count
        problems = jobs.flatMap { job in
            let known = stored[job.name]
            let last = known?.lastRun
            let record = JobRecordSummary(
                lastRunID: last?.id, lastRunFailed: last?.phase == .failed, lastRunFailureReason: last?.failureReason,
                lastRunFinishedAt: last?.finishedAt, lastSuccessAt: known?.lastSuccessAt, registeredAt: known?.registeredAt,
                lastHookFailure: known?.hooks?.lastFinished.flatMap { hook in
                    hook.state == .failed ? JobRecordSummary.HookFailure(path: hook.path, failedAt: hook.finishedAt, reason: hook.lastError) : nil
                }, failedHooks: known?.hooks?.failed ?? 0)
            return job.problems(record, at: now)
        }
        .sorted { $0.severity > $1.severity }
    }

    var severity: CheckSeverity { problems.map(\.severity).max() ?? .ok }

    /// `EXPORTSYNC CRITICAL - 1 of 8 jobs stale: nightly-csv last success 2026-11-30`, then one
    /// line per problem, worst first.
    var lines: [String] {
        guard severity != .ok else { return ["EXPORTSYNC OK - \(jobCount) job(s), none stale or failing"] }
        let worst = problems.filter { $0.severity == severity }
        let jobs = Set(worst.map(\.job)).count
        let kinds = Set(worst.map(\.kind))
        let label: String = switch kinds.count == 1 ? kinds.first : nil {
        case .stale: "stale"
        case .failed: "failing"
        case .neverRun: "never run"
        case .sunset: "on retiring paths"
        case .hookFailed: "with failed delivery hooks"
        case nil: "need attention"
        }
        let summary = "EXPORTSYNC \(severity) - \(jobs) of \(jobCount) jobs \(label): " + worst.map(\.brief).joined(separator: ", ")
        return [summary] + problems.map(\.line)
    }
}
