import ExportSyncCore
import Foundation

/// `on_file`, `hook_timeout` and `hook_attempts` as one table (a job's or `[daemon]`'s) gives
/// them; a job's keys override `[daemon]`'s one by one.
public struct HookSettings: Sendable, Hashable {
    /// The program and its arguments; an empty list turns a `[daemon]` default off for a job.
    public var command: [String]?
    public var timeoutSeconds: Int64?
    public var attempts: Int?

    public init(command: [String]? = nil, timeoutSeconds: Int64? = nil, attempts: Int? = nil) {
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }

    /// The hook a job with these settings runs, `defaults` being `[daemon]`'s.
    func hook(defaults: HookSettings) -> DeliveryHook? {
        guard let command = command ?? defaults.command, let program = command.first else { return nil }
        return DeliveryHook(program: program, arguments: Array(command.dropFirst()),
                            timeoutSeconds: timeoutSeconds ?? defaults.timeoutSeconds ?? DeliveryHook.defaultTimeoutSeconds,
                            attempts: attempts ?? defaults.attempts ?? DeliveryHook.defaultAttempts)
    }
}

extension LoadContext {
    /// Reads and checks the hook keys of a job's table or `[daemon]`.
    func readHookSettings(_ reader: TableReader) -> HookSettings {
        var settings = HookSettings()
        if let command = reader.stringList("on_file") {
            if let program = command.first {
                // (NUL cannot reach here: the precheck refuses it anywhere in the file.)
                if let problem = Self.programProblem(program) {
                    reader.report("on_file", problem)
                } else {
                    settings.command = command
                }
            } else {
                settings.command = []
            }
        }
        if let timeout = reader.duration("hook_timeout") {
            if (1...86_400).contains(timeout) { settings.timeoutSeconds = timeout } else {
                reader.report("hook_timeout", "must be between 1s and 24h")
            }
        }
        if let attempts = reader.integer("hook_attempts") {
            if (1...100).contains(attempts) { settings.attempts = attempts } else {
                reader.report("hook_attempts", "must be between 1 and 100, got \(attempts)")
            }
        }
        return settings
    }

    /// Why `program` cannot be a hook's program: hooks run without a shell or a `PATH` search,
    /// so it must be an absolute path to an executable file.
    static func programProblem(_ program: String) -> String? {
        guard program.hasPrefix("/") else {
            return "the program \"\(program)\" must be an absolute path (hooks run without a shell or a PATH search)"
        }
        var status = stat()
        guard stat(program, &status) == 0 else {
            return "the program \(program) cannot be used: \(String(cString: strerror(errno)))"
        }
        guard status.st_mode & S_IFMT == S_IFREG else { return "the program \(program) is not a regular file" }
        guard access(program, X_OK) == 0 else { return "the program \(program) is not executable" }
        return nil
    }
}
