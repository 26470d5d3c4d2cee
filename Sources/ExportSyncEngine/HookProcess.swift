import ExportSyncCore
import ExportSyncProviders
import Foundation
import Logging
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs one attempt of a delivery hook: the program, without a shell, in its own session (so a
/// timeout stops everything it started), with only the environment ``HookEnvironment`` gives,
/// standard input from `/dev/null`, and each line it prints logged with the job's fields.
enum HookProcess {
    /// Lines of each stream logged per attempt; the rest are counted, not logged.
    static let maximumLoggedLines = 200
    /// Characters of one logged line.
    static let maximumLineLength = 2_000
    /// Bytes of one line kept while reading; the rest of a longer line is read and dropped.
    static let maximumLineBytes = 16 * 1024
    /// After `hook_timeout`, how long the program's session has between `SIGTERM` and `SIGKILL`.
    static let terminationGrace: Duration = .seconds(5)

    /// Runs `hook` once and says how it ended. Never throws: a program that cannot be started,
    /// exits non-zero, dies of a signal or outlives `hook_timeout` (on `clock`) is a failure
    /// with its reason.
    ///
    /// Past the timeout (or when the calling task is cancelled: the daemon stops) the program's
    /// session gets `SIGTERM`, its main process `SIGKILL` after ``terminationGrace``, and any
    /// process of the session still there after that `SIGKILL` too.
    static func run(_ hook: DeliveryHook, environment: [String: String], workingDirectory: String,
                    clock: any ProviderClock, logger: Logger) async -> HookAttemptOutcome {
        let deadline = clock.now.addingTimeInterval(TimeInterval(hook.timeoutSeconds))
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: terminationGrace)]
        let keys = Dictionary(environment.compactMap { entry in Environment.Key(rawValue: entry.key).map { ($0, entry.value) } },
                              uniquingKeysWith: { first, _ in first })
        let platformOptions = options
        let session = SessionID()
        let outcome = await withTaskGroup(of: Event.self) { group -> HookAttemptOutcome in
            group.addTask {
                do {
                    let result = try await Subprocess.run(
                        .path(FilePath(hook.program)), arguments: Arguments(hook.arguments), environment: .custom(keys),
                        workingDirectory: FilePath(workingDirectory), platformOptions: platformOptions,
                        input: .none, output: .sequence, error: .sequence
                    ) { execution in
                        session.set(execution.processIdentifier.value)
                        await withTaskGroup(of: Void.self) { streams in
                            streams.addTask { await drain(execution.standardOutput, stream: "stdout", level: .info, logger: logger) }
                            streams.addTask { await drain(execution.standardError, stream: "stderr", level: .warning, logger: logger) }
                        }
                    }
                    return .ended(result.terminationStatus)
                } catch {
                    return .notStarted("\(error)")
                }
            }
            group.addTask {
                do { try await clock.sleep(until: deadline) } catch { return .timerCancelled }
                return .timedOut
            }
            var outcome: HookAttemptOutcome?
            while let event = await group.next() {
                switch event {
                case .timedOut:
                    // Cancelling the run tears the session down (the teardown sequence).
                    outcome = .failed(reason: "\(hook.program) ran longer than hook_timeout (\(hook.timeoutSeconds) s) and was stopped")
                    group.cancelAll()
                case .timerCancelled:
                    break
                case .ended(let status):
                    group.cancelAll()
                    if outcome == nil { outcome = Self.outcome(of: status, program: hook.program) }
                case .notStarted(let reason):
                    group.cancelAll()
                    if outcome == nil { outcome = .failed(reason: "cannot start \(hook.program): \(reason)") }
                }
            }
            return outcome ?? .failed(reason: "\(hook.program) was stopped")
        }
        if case .failed = outcome, let leader = session.value { await killStragglers(session: leader) }
        return outcome
    }

    /// What ended a run of the program.
    private enum Event: Sendable {
        case ended(TerminationStatus)
        case notStarted(String)
        case timedOut
        case timerCancelled
    }

    private static func outcome(of status: TerminationStatus, program: String) -> HookAttemptOutcome {
        switch status {
        case .exited(0): .succeeded
        case .exited(let code): .failed(reason: "\(program) exited with status \(code)")
        case .signaled(let signal): .failed(reason: "\(program) was killed by signal \(signal)")
        }
    }

    /// Processes of a failed hook's session that outlived its main process (one that ignored
    /// `SIGTERM`, say) get ``terminationGrace``, then `SIGKILL`. The session id cannot name
    /// another session meanwhile: Linux does not hand out a pid still in use as a group id.
    private static func killStragglers(session leader: pid_t) async {
        guard kill(-leader, 0) == 0 else { return }
        try? await Task.sleep(for: terminationGrace)
        _ = kill(-leader, SIGKILL)
    }

    /// Logs a stream's lines until it ends (at most ``maximumLoggedLines`` of them, each cut to
    /// ``maximumLineLength``), reading to the end whatever the program writes: a program that
    /// is not read blocks on its next write. `\r` ends a line too (progress meters).
    private static func drain(_ output: SubprocessOutputSequence, stream: String, level: Logger.Level, logger: Logger) async {
        var splitter = HookOutputLines(maximumLineBytes: maximumLineBytes)
        var lines = 0
        let emit = { (line: String) in
            lines += 1
            guard lines <= maximumLoggedLines else { return }
            let text = line.count > maximumLineLength ? String(line.prefix(maximumLineLength)) + "…" : line
            logger.log(level: level, "hook: \(text)", metadata: ["hook_stream": "\(stream)"])
        }
        do {
            for try await buffer in output {
                buffer.withUnsafeBytes { bytes in splitter.append(bytes).forEach(emit) }
            }
        } catch {
            logger.warning("hook: reading its \(stream) failed: \(error)", metadata: ["hook_stream": "\(stream)"])
        }
        splitter.finish().forEach(emit)
        if lines > maximumLoggedLines {
            logger.notice("hook: \(lines - maximumLoggedLines) more line(s) on \(stream) not logged", metadata: ["hook_stream": "\(stream)"])
        }
    }
}

/// A hook's output cut into lines at `\n`, `\r\n` or `\r`, keeping at most `maximumLineBytes`
/// of each (the rest is dropped, marked `…`), so a program printing without newlines costs
/// bounded memory.
struct HookOutputLines {
    let maximumLineBytes: Int
    private var pending: [UInt8] = []
    private var overflowed = false
    private var lastWasCarriageReturn = false

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// The lines `bytes` completes.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == 0x0A, lastWasCarriageReturn {
                lastWasCarriageReturn = false
                continue
            }
            lastWasCarriageReturn = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                lines.append(take())
            } else if pending.count < maximumLineBytes {
                pending.append(byte)
            } else {
                overflowed = true
            }
        }
        return lines
    }

    /// The last line, when the output did not end with a line break.
    mutating func finish() -> [String] {
        pending.isEmpty && !overflowed ? [] : [take()]
    }

    private mutating func take() -> String {
        let line = String(decoding: pending, as: UTF8.self) + (overflowed ? "…" : "")
        pending.removeAll(keepingCapacity: true)
        overflowed = false
        return line
    }
}

/// The hook's session (its main process's pid, which leads it), set once it started.
private final class SessionID: Sendable {
    private let state = Mutex<pid_t?>(nil)
    func set(_ pid: pid_t) { state.withLock { $0 = pid } }
    var value: pid_t? { state.withLock { $0 } }
}
