public import Foundation

/// A program run after each file of a job is in place and recorded (`on_file`): no shell, an
/// absolute path and its arguments, a time limit per attempt and a number of attempts.
public struct DeliveryHook: Sendable, Hashable {
    /// The program's absolute path.
    public var program: String
    /// Its arguments, passed as written (no shell, no expansion).
    public var arguments: [String]
    /// `hook_timeout`: how long one attempt may take before the program is stopped.
    public var timeoutSeconds: Int64
    /// `hook_attempts`: attempts in all, the first included.
    public var attempts: Int

    /// `hook_timeout` unless configured: five minutes.
    public static let defaultTimeoutSeconds: Int64 = 300
    /// `hook_attempts` unless configured.
    public static let defaultAttempts = 3

    public init(program: String, arguments: [String], timeoutSeconds: Int64 = Self.defaultTimeoutSeconds,
                attempts: Int = Self.defaultAttempts) {
        self.program = program
        self.arguments = arguments
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }
}

/// Where a file's hook stands, as the `file_hooks.state` column stores it.
public enum HookState: String, Sendable, Hashable, CaseIterable {
    /// Recorded with the file; runs at `next_attempt_at`.
    case pending
    /// An attempt exited 0.
    case succeeded
    /// Every attempt failed; the file stays delivered.
    case failed
    /// Its job no longer has a hook (or is gone from the configuration): it will not run.
    case cancelled
}

/// How one attempt of a hook ended.
public enum HookAttemptOutcome: Sendable, Hashable {
    /// The program exited 0.
    case succeeded
    /// It exited non-zero, was killed by a signal, ran out of time, or could not be started.
    case failed(reason: String)
}

/// What happens to a hook after an attempt.
public enum HookDecision: Sendable, Hashable {
    /// Done: the program took the file.
    case succeeded
    /// Attempted again at this time (persisted before the daemon waits).
    case retry(at: Date, reason: String)
    /// No attempts left; reported, the file stays.
    case failed(reason: String)
}

/// The retry rule for hooks: a failed attempt is tried again after 30 s, doubling each time
/// (at most 15 min), until `attempts` attempts were made.
public enum HookRetryPolicy {
    /// The wait after the `attempt`-th failed attempt (1-based).
    public static func retryWait(afterAttempt attempt: Int) -> TimeInterval {
        let exponent = min(max(attempt - 1, 0), 10)
        return min(30 * Double(1 << exponent), 900)
    }

    /// The decision after attempt number `attempt` (1-based) of a hook allowed `maximumAttempts`.
    public static func decide(after outcome: HookAttemptOutcome, attempt: Int, maximumAttempts: Int, now: Date) -> HookDecision {
        switch outcome {
        case .succeeded:
            return .succeeded
        case .failed(let reason):
            if attempt >= maximumAttempts {
                return .failed(reason: "\(reason) (attempt \(attempt) of \(maximumAttempts); no attempts left)")
            }
            return .retry(at: now.addingTimeInterval(retryWait(afterAttempt: attempt)),
                          reason: "\(reason) (attempt \(attempt) of \(maximumAttempts))")
        }
    }
}

/// The environment a hook runs with: a few variables of the daemon's own (so the program finds
/// its interpreter and locale), never its others (credentials, `NOTIFY_SOCKET`), and the file's.
public enum HookEnvironment {
    /// The daemon's variables a hook inherits, when set.
    public static let inherited = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME"]

    /// `PATH` when the daemon has none.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// The file a hook is run for.
    public struct File: Sendable, Hashable {
        public var absolutePath: String
        public var relativePath: String
        public var sha256: String
        public var size: Int64
        public var job: String
        public var runID: Int64
        public var source: String

        public init(absolutePath: String, relativePath: String, sha256: String, size: Int64, job: String, runID: Int64, source: String) {
            self.absolutePath = absolutePath
            self.relativePath = relativePath
            self.sha256 = sha256
            self.size = size
            self.job = job
            self.runID = runID
            self.source = source
        }
    }

    /// The variables for `file`, given the daemon's environment.
    public static func variables(for file: File, daemonEnvironment: [String: String]) -> [String: String] {
        var variables: [String: String] = [:]
        for name in inherited { if let value = daemonEnvironment[name] { variables[name] = value } }
        if variables["PATH"] == nil { variables["PATH"] = defaultPath }
        variables["EXPORTSYNC_FILE"] = file.absolutePath
        variables["EXPORTSYNC_RELATIVE_PATH"] = file.relativePath
        variables["EXPORTSYNC_SHA256"] = file.sha256
        variables["EXPORTSYNC_SIZE"] = "\(file.size)"
        variables["EXPORTSYNC_JOB"] = file.job
        variables["EXPORTSYNC_RUN"] = "\(file.runID)"
        variables["EXPORTSYNC_SOURCE"] = file.source
        return variables
    }
}
