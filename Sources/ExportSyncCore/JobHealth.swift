public import Foundation

/// How bad a finding is, in the monitoring-plugin convention (`check`'s exit status).
public enum CheckSeverity: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    case ok = 0, warning = 1, critical = 2, unknown = 3

    public static func < (lhs: CheckSeverity, rhs: CheckSeverity) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `OK`, `WARNING`, `CRITICAL` or `UNKNOWN`.
    public var description: String {
        switch self {
        case .ok: "OK"
        case .warning: "WARNING"
        case .critical: "CRITICAL"
        case .unknown: "UNKNOWN"
        }
    }
}

/// What the database says about one job, as `check` needs it.
public struct JobRecordSummary: Sendable, Hashable {
    /// The latest run: its id, whether it failed (and why), and when it finished.
    public var lastRunID: Int64?
    public var lastRunFailed: Bool
    public var lastRunFailureReason: String?
    public var lastRunFinishedAt: Date?
    /// When the latest successful run finished.
    public var lastSuccessAt: Date?
    /// When the job was first registered (nil: never, the daemon has not seen it).
    public var registeredAt: Date?
    /// The latest delivery hook that ended, when it failed its last attempt: the file's path,
    /// when, and why (nil when the latest succeeded or the job has none).
    public var lastHookFailure: HookFailure?
    /// Delivery hooks of the job that gave up, the latest one included.
    public var failedHooks: Int

    /// A delivery hook that gave up.
    public struct HookFailure: Sendable, Hashable {
        public var path: String
        public var failedAt: Date
        public var reason: String?

        public init(path: String, failedAt: Date, reason: String?) {
            self.path = path
            self.failedAt = failedAt
            self.reason = reason
        }
    }

    public init(lastRunID: Int64? = nil, lastRunFailed: Bool = false, lastRunFailureReason: String? = nil,
                lastRunFinishedAt: Date? = nil, lastSuccessAt: Date? = nil, registeredAt: Date? = nil,
                lastHookFailure: HookFailure? = nil, failedHooks: Int = 0) {
        self.lastHookFailure = lastHookFailure
        self.failedHooks = failedHooks
        self.lastRunID = lastRunID
        self.lastRunFailed = lastRunFailed
        self.lastRunFailureReason = lastRunFailureReason
        self.lastRunFinishedAt = lastRunFinishedAt
        self.lastSuccessAt = lastSuccessAt
        self.registeredAt = registeredAt
    }
}

/// One problem `check` reports about a job.
public struct JobProblem: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case failed, stale, neverRun = "never-run", sunset, hookFailed = "hook-failed" }

    public var job: String
    public var kind: Kind
    public var severity: CheckSeverity
    /// The problem's own line.
    public var line: String
    /// The few words the summary line carries (`nightly-csv last success 2026-11-30`).
    public var brief: String
}

extension JobSpec {
    /// How long without a successful run before the job counts as stale: the configured
    /// `stale_after`, else twice the longest gap between its schedule's slots plus its deadline.
    public var effectiveStaleAfterSeconds: Int64 {
        staleAfterSeconds ?? 2 * schedule.longestGapSeconds + deadlineSeconds
    }

    /// What is wrong with the job at `now`, worst first: its last run failed, it has had no
    /// success for ``effectiveStaleAfterSeconds``, or its latest delivery hook gave up
    /// (critical: the next program never got the file); it never ran, or its paths reach
    /// their sunset within 30 days (warning). Upload jobs run when files arrive, so they are
    /// never stale.
    public func problems(_ record: JobRecordSummary, at now: Date) -> [JobProblem] {
        var found: [JobProblem] = []
        let staleAfter = effectiveStaleAfterSeconds
        if record.lastRunFailed, let id = record.lastRunID {
            let when = record.lastRunFinishedAt.map { " at \(Self.day($0, withTime: true))" } ?? ""
            found.append(JobProblem(job: name, kind: .failed, severity: .critical,
                                    line: "job \(name): last run #\(id) failed\(when): \(record.lastRunFailureReason ?? "no reason recorded")",
                                    brief: "\(name) last run failed"))
        } else if kind != .sampleAttachmentUpload {
            if let success = record.lastSuccessAt {
                if now.timeIntervalSince(success) > TimeInterval(staleAfter) {
                    found.append(JobProblem(job: name, kind: .stale, severity: .critical,
                                            line: "job \(name): stale: last success \(Self.day(success, withTime: true)), more than \(ConfigDuration.format(staleAfter)) ago (stale_after)",
                                            brief: "\(name) last success \(Self.day(success, withTime: false))"))
                }
            } else if let registered = record.registeredAt, now.timeIntervalSince(registered) > TimeInterval(staleAfter) {
                found.append(JobProblem(job: name, kind: .stale, severity: .critical,
                                        line: "job \(name): stale: no successful run since it was added \(Self.day(registered, withTime: true)), more than \(ConfigDuration.format(staleAfter)) ago (stale_after)",
                                        brief: "\(name) never succeeded"))
            } else if record.lastRunID == nil {
                found.append(JobProblem(job: name, kind: .neverRun, severity: .warning,
                                        line: "job \(name): never run yet", brief: "\(name) never run"))
            }
        }
        if let failure = record.lastHookFailure {
            found.append(JobProblem(job: name, kind: .hookFailed, severity: .critical,
                                    line: "job \(name): delivery hook failed for \(failure.path) at \(Self.day(failure.failedAt, withTime: true)): \(failure.reason ?? "no reason recorded"); the file stays delivered",
                                    brief: "\(name) delivery hook failed"))
        } else if record.failedHooks > 0 {
            // Later hooks succeed again, but these files never reached the next program.
            found.append(JobProblem(job: name, kind: .hookFailed, severity: .warning,
                                    line: "job \(name): \(record.failedHooks) earlier delivery hook(s) failed for good (see exportsync status); later ones succeed",
                                    brief: "\(name) had failed delivery hooks"))
        }
        if let notice = sunsetNotice, notice.sunset.daysLeft(at: now) <= 30 {
            found.append(JobProblem(job: name, kind: .sunset, severity: .warning, line: notice.message(at: now),
                                    brief: "\(name) paths retired \(notice.sunset.day)"))
        }
        return found
    }

    static func day(_ date: Date, withTime: Bool) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let inDay = Schedule.floorMod(seconds, 86_400)
        let (year, month, day) = OutputNaming.civilDate(daysSinceEpoch: (seconds - inDay) / 86_400)
        let text = String(format: "%04d-%02d-%02d", year, month, day)
        guard withTime else { return text }
        return text + String(format: " %02d:%02dZ", inDay / 3_600, inDay % 3_600 / 60)
    }
}

extension Schedule {
    /// The longest time between two consecutive slots (a week is scanned: weekdays matter).
    public var longestGapSeconds: Int64 {
        if timesOfDay.isEmpty { return everySeconds ?? 86_400 }
        // The slots from a Monday 00:00 UTC (1970-01-05) through eight days.
        let start: Int64 = 345_600
        guard var previous = nextDue(lastScheduled: start - 1) else { return everySeconds ?? 86_400 }
        var longest: Int64 = 0
        while previous < start + 8 * 86_400, let next = nextDue(lastScheduled: previous) {
            longest = max(longest, next - previous)
            previous = next
        }
        return max(longest, 1)
    }
}
