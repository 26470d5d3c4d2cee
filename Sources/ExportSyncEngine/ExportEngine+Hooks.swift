import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Runs one attempt of a delivered file's hook and records how it ended, as
    /// ``HookRetryPolicy`` decides (done, again at a persisted time, or failed for good). The
    /// file is never touched: a failing hook is reported, the delivery stands.
    nonisolated func performHook(_ pending: PendingHook) async {
        var log = logger
        log[metadataKey: "job"] = "\(pending.job)"
        log[metadataKey: "run_id"] = "\(pending.file.runID)"
        log[metadataKey: "path"] = "\(pending.file.path)"
        log[metadataKey: "hook_id"] = "\(pending.id)"
        guard let job = await jobs[pending.job], let hook = job.deliveryHook else {
            let reason = await jobs[pending.job] == nil
                ? "job \(pending.job) is no longer configured" : "job \(pending.job) no longer has on_file"
            log.notice("the delivery hook for \(pending.file.path) will not run: \(reason)")
            _ = await committed({ try await self.store.cancelHook(pending.id, reason: reason, at: self.clock.now) }, logger: log)
            return
        }
        let attempt = pending.attempts + 1
        let root = await outputRoot
        let file = HookEnvironment.File(
            absolutePath: root + "/" + pending.file.path, relativePath: pending.file.path, sha256: pending.file.sha256,
            size: pending.file.size, job: job.name, runID: pending.file.runID, source: job.source)
        log.info("running the delivery hook \(hook.program) for \(pending.file.path) (attempt \(attempt) of \(hook.attempts))",
                 metadata: ["hook_attempt": "\(attempt)"])
        let outcome = await HookProcess.run(
            hook, environment: HookEnvironment.variables(for: file, daemonEnvironment: ProcessInfo.processInfo.environment),
            workingDirectory: root, clock: clock, logger: log)
        if Task.isCancelled {
            // Stopping: the attempt did not end on its own; it runs again after the restart.
            return
        }
        let now = clock.now
        let decision = HookRetryPolicy.decide(after: outcome, attempt: attempt, maximumAttempts: hook.attempts, now: now)
        guard await committed({ try await self.store.recordHookAttempt(pending.id, decision: decision, at: now) }, logger: log) != nil
        else { return }
        switch decision {
        case .succeeded:
            log.info("the delivery hook took \(pending.file.path)", metadata: ["hook_attempt": "\(attempt)"])
        case .retry(let at, let reason):
            log.warning("the delivery hook failed: \(reason); trying again in \(Self.seconds(at.timeIntervalSince(now))) s",
                        metadata: ["hook_attempt": "\(attempt)"])
        case .failed(let reason):
            await noteHookFailed()
            log.error("the delivery hook failed for good: \(reason); \(pending.file.path) stays delivered",
                      metadata: ["hook_attempt": "\(attempt)"])
        }
    }
}
