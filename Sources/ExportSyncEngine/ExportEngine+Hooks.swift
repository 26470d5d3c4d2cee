import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Runs one attempt of a delivered file's hook and records how it ended, as
    /// ``HookRetryPolicy`` decides (done, again at a persisted time, or failed for good). The
    /// attempt is recorded before the program starts. The file is never touched: a failing hook
    /// is reported, the delivery stands.
    ///
    /// A hook whose job is not configured now (another configuration, a reload while the job
    /// is renamed) waits, uncounted, until the job is back; one whose job is configured without
    /// `on_file` is cancelled.
    nonisolated func performHook(_ pending: PendingHook) async {
        var log = logger
        log[metadataKey: "job"] = "\(pending.job)"
        log[metadataKey: "run_id"] = "\(pending.file.runID)"
        log[metadataKey: "path"] = "\(pending.file.path)"
        log[metadataKey: "hook_id"] = "\(pending.id)"
        guard let job = await jobs[pending.job] else {
            let until = clock.now.addingTimeInterval(Self.unconfiguredHookRecheck)
            log.info("the delivery hook for \(pending.file.path) waits: job \(pending.job) is not in the configuration")
            _ = await committed({ try await self.store.postponeHook(pending.id, until: until, at: self.clock.now) }, logger: log)
            return
        }
        guard let hook = job.deliveryHook else {
            let reason = "job \(pending.job) no longer has on_file"
            log.notice("the delivery hook for \(pending.file.path) will not run: \(reason)")
            _ = await committed({ try await self.store.cancelHook(pending.id, reason: reason, at: self.clock.now) }, logger: log)
            return
        }
        let now = clock.now
        if pending.attempts >= hook.attempts {
            // Its last attempt began and never ended: the daemon was stopped or crashed meanwhile.
            let decision = HookDecision.failed(reason: "attempt \(pending.attempts) of \(hook.attempts) was cut off (the daemon stopped); no attempts left")
            guard await committed({ try await self.store.recordHookAttempt(pending.id, decision: decision, at: now) }, logger: log) == true
            else { return }
            await noteHookFailed()
            log.error("the delivery hook failed for good: its last attempt was cut off; \(pending.file.path) stays delivered")
            return
        }
        guard !Task.isCancelled else { return }
        let retryAt = now.addingTimeInterval(HookRetryPolicy.retryWait(afterAttempt: pending.attempts + 1))
        guard let begun = await committed({ try await self.store.beginHookAttempt(pending.id, retryAt: retryAt, at: now) }, logger: log),
              let attempt = begun
        else { return }
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
            // Stopping: the attempt did not end on its own; the hook runs again after the restart
            // (at the time recorded when the attempt began).
            return
        }
        let ended = clock.now
        let decision = HookRetryPolicy.decide(after: outcome, attempt: attempt, maximumAttempts: hook.attempts, now: ended)
        guard await committed({ try await self.store.recordHookAttempt(pending.id, decision: decision, at: ended) }, logger: log) == true
        else { return }
        switch decision {
        case .succeeded:
            log.info("the delivery hook took \(pending.file.path)", metadata: ["hook_attempt": "\(attempt)"])
        case .retry(let at, let reason):
            log.warning("the delivery hook failed: \(reason); trying again in \(Self.seconds(at.timeIntervalSince(ended))) s",
                        metadata: ["hook_attempt": "\(attempt)"])
        case .failed(let reason):
            await noteHookFailed()
            log.error("the delivery hook failed for good: \(reason); \(pending.file.path) stays delivered",
                      metadata: ["hook_attempt": "\(attempt)"])
        }
    }

    /// How long a hook whose job is not configured waits before it is looked at again.
    static let unconfiguredHookRecheck: TimeInterval = 3_600
}
