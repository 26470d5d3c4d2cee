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
    /// Bytes of one line read at all: a longer line ends the reading (the program then gets
    /// `SIGPIPE` on its next write) instead of growing a buffer without bound.
    static let maximumLineBytes = 64 * 1024
    /// After `hook_timeout`, how long the program's session has between `SIGTERM` and `SIGKILL`.
    static let terminationGrace: Duration = .seconds(5)

    /// Runs `hook` once and says how it ended. Never throws: a program that cannot be started,
    /// exits non-zero, dies of a signal or outlives `hook_timeout` (on `clock`) is a failure
    /// with its reason.
    static func run(_ hook: DeliveryHook, environment: [String: String], workingDirectory: String,
                    clock: any ProviderClock, logger: Logger) async -> HookAttemptOutcome {
        let deadline = clock.now.addingTimeInterval(TimeInterval(hook.timeoutSeconds))
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: terminationGrace)]
        let keys = Dictionary(environment.map { (Environment.Key(rawValue: $0.key) ?? "EXPORTSYNC_INVALID", $0.value) },
                              uniquingKeysWith: { first, _ in first })
        let teardown = options.teardownSequence
        let timedOut = TimeoutFlag()
        let result: ExecutionResult<Void, SequenceOutput, SequenceOutput>
        do {
            result = try await Subprocess.run(
                .path(FilePath(hook.program)), arguments: Arguments(hook.arguments), environment: .custom(keys),
                workingDirectory: FilePath(workingDirectory), platformOptions: options,
                input: .none, output: .sequence, error: .sequence
            ) { execution in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await drain(execution.standardOutput, stream: "stdout", level: .info, logger: logger) }
                    group.addTask { await drain(execution.standardError, stream: "stderr", level: .warning, logger: logger) }
                    // The timer: past the deadline, the session gets SIGTERM, then SIGKILL.
                    group.addTask {
                        do { try await clock.sleep(until: deadline) } catch { return }
                        timedOut.set()
                        await execution.teardown(using: teardown)
                    }
                    // Both streams end when every process holding them has exited.
                    await group.next()
                    await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            return .failed(reason: "cannot start \(hook.program): \(error)")
        }
        if timedOut.isSet {
            return .failed(reason: "\(hook.program) ran longer than hook_timeout (\(hook.timeoutSeconds) s) and was stopped")
        }
        switch result.terminationStatus {
        case .exited(0):
            return .succeeded
        case .exited(let code):
            return .failed(reason: "\(hook.program) exited with status \(code)")
        case .signaled(let signal):
            return .failed(reason: "\(hook.program) was killed by signal \(signal)")
        }
    }

    /// Logs a stream's lines until it ends, at most ``maximumLoggedLines`` of them.
    private static func drain(_ output: SubprocessOutputSequence, stream: String, level: Logger.Level, logger: Logger) async {
        var lines = 0
        do {
            for try await line in output.strings(bufferingPolicy: .maxLineLength(maximumLineBytes)) {
                lines += 1
                guard lines <= maximumLoggedLines else { continue }
                let text = line.count > maximumLineLength ? String(line.prefix(maximumLineLength)) + "…" : line
                logger.log(level: level, "hook: \(text)", metadata: ["hook_stream": "\(stream)"])
            }
        } catch {
            logger.warning("hook: reading its \(stream) failed: \(error)", metadata: ["hook_stream": "\(stream)"])
        }
        if lines > maximumLoggedLines {
            logger.notice("hook: \(lines - maximumLoggedLines) more line(s) on \(stream) not logged", metadata: ["hook_stream": "\(stream)"])
        }
    }
}

/// Set once by the timer task, read after the program ended.
private final class TimeoutFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}
