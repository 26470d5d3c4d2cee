import AsyncHTTPClient
import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Starts the run's operation: persists "kickoff sending", POSTs, and hands the answer to the
    /// store, which records it with the core's decision (the first poll, or the wait before the
    /// next try). Runs off the actor, like the poll and the download.
    nonisolated func performKickoff(_ recovered: UnfinishedRun) async {
        if recovered.run.kind == .upload {
            await performUpload(recovered)
            return
        }
        let run = recovered.run
        let log = runLogger(run)
        guard let (job, client) = await configuredOrAbandon(run, logger: log) else { return }
        if job.isDiscovery, run.item == nil {
            // A discovery job's own run is its scan; a run of one of its items has its item's payload.
            await performScan(recovered, job: job, client: client)
            return
        }
        let policy = Self.policy(for: client)
        guard let sending = await committed({ try await self.store.recordKickoffSending(run: run.id, policy: policy, at: self.clock.now) }, logger: log)
        else { return }
        if case .kickoff(_, possibleDuplicate: true) = sending.action {
            log.warning("possible duplicate kickoff: run \(run.id) of job \(run.job) had sent its kickoff, but its answer was never recorded; sending it again",
                        metadata: ["possible_duplicate": "true"])
        }
        switch (client, job.payload) {
        case (.workiva(let workiva, _), let payload):
            guard let request = WorkivaKickoffRequest.export(payload) else {
                await record(.abandoned(reason: "job kind \(job.kind.rawValue) has no Workiva export endpoint"), run: run.id, policy: policy, logger: log)
                return
            }
            let handle: WorkivaOperationHandle
            do {
                handle = try await workiva.startOperation(request)
            } catch {
                await record(Self.kickoffEvent(error), run: run.id, policy: policy, logger: log)
                return
            }
            guard let acceptance = await committed({
                try await self.store.recordOperationAccepted(
                    run: run.id, location: handle.location, xVersion: request.xVersion, serverWait: handle.retryAfter,
                    policy: policy, at: self.clock.now)
            }, logger: log) else { return }
            log.info("export started; polling \(Self.redacted(handle.location))",
                     metadata: ["operation_id": "\(acceptance.operation.id)", "endpoint": "\(request.path)"])
            await execute(acceptance.decision, logger: log)
        case (.webadmit(let webadmit, let spec), .webadmitExport(let identity, let exportID)):
            let file: WebAdmitExportFile
            do {
                file = try await webadmit.startExport(userIdentity: identity, exportID: exportID)
            } catch {
                await record(Self.kickoffEvent(error), run: run.id, policy: policy, logger: log)
                return
            }
            await acceptWebAdmit(file, run: run.id, spec: spec, found: false, policy: policy, logger: log)
        default:
            await record(.abandoned(reason: "job \(job.name) does not match its source's type"), run: run.id, policy: policy, logger: log)
        }
    }

    /// After an ambiguous WebAdMIT kickoff (or a restart in `starting`): list the identity's
    /// export files and adopt the run the lost POST started; post again only if there is none.
    nonisolated func performReconcile(_ recovered: UnfinishedRun) async {
        let run = recovered.run
        let log = runLogger(run)
        guard let (job, client) = try? await configured(run: run),
              case .webadmit(let webadmit, let spec) = client, case .webadmitExport(let identity, let exportID) = job.payload
        else {
            // Only WebAdMIT reconciles; anything else sends again.
            await performKickoff(recovered)
            return
        }
        let policy = Self.policy(for: client)
        let files: [WebAdmitExportFile]
        do {
            files = try await webadmit.listExportFiles(userIdentity: identity)
        } catch {
            let reason = "listing the export files to find the lost kickoff failed: \(error)"
            let event: RunEvent = error.isTransient || error.isMalformed
                ? .kickoffAmbiguous(reason: reason) : .kickoffRefused(reason: reason)
            await record(event, run: run.id, policy: policy, logger: log)
            return
        }
        guard let known = await committed({ try await self.store.knownExportFileIDs(exportID: exportID) }, logger: log) else { return }
        if let adopted = WebAdmitExportFile.adoptable(from: files, exportID: exportID, knownFileIDs: known) {
            log.notice("the lost kickoff of run \(run.id) had started WebAdMIT export file \(adopted.id); following it instead of posting again",
                       metadata: ["export_file_id": "\(adopted.id)", "reconciled": "true"])
            await acceptWebAdmit(adopted, run: run.id, spec: spec, found: true, policy: policy, logger: log)
            return
        }
        log.info("no export file of export \(exportID) was started by the lost kickoff of run \(run.id); posting it again",
                 metadata: ["reconciled": "false"])
        guard let decision = await committed({
            try await self.store.record(.kickoffNotFound, run: run.id, policy: policy, jitter: 0, at: self.clock.now)
        }, logger: log) else { return }
        var again = recovered
        again.run = decision.run
        again.state = .due
        await performKickoff(again)
    }

    /// The run's job (for an item's run, as it exports the item) and client; a run whose job or
    /// item is gone is abandoned, and a database that cannot be read pauses the work (nil both times).
    nonisolated func configuredOrAbandon(_ run: StoredRun, logger log: Logger) async -> (JobSpec, SourceClient)? {
        do {
            if let configured = try await configured(run: run) { return configured }
        } catch {
            await stateWriteFailed(error, logger: log)
            return nil
        }
        let what = run.item.map { "item \($0) of job \(run.job) is no longer known" } ?? "job \(run.job) is no longer configured"
        await record(.abandoned(reason: what), run: run.id, policy: RunPolicy(), logger: log)
        return nil
    }

    /// Records a WebAdMIT export file as the run's operation (joining it when another run
    /// already follows the same file).
    private nonisolated func acceptWebAdmit(
        _ file: WebAdmitExportFile, run runID: Int64, spec: WebAdmitSourceSpec, found: Bool, policy: RunPolicy, logger log: Logger
    ) async {
        let location = Self.webAdmitStatusURL(base: spec.baseURL, file: file)
        guard let acceptance = await committed({
            try await self.store.recordOperationAccepted(
                run: runID, location: location, xVersion: nil,
                providerIDs: ProviderOperationIDs(exportID: file.exportID, exportFileID: file.id),
                serverWait: nil, found: found, policy: policy, at: self.clock.now)
        }, logger: log) else { return }
        log.info(acceptance.joinedExisting
                 ? "WebAdMIT export file \(file.id) is already running; following it instead of starting another"
                 : "WebAdMIT export file \(file.id) started",
                 metadata: ["operation_id": "\(acceptance.operation.id)", "export_file_id": "\(file.id)"])
        await execute(acceptance.decision, logger: log)
    }

    /// What a failed kickoff POST means for the run.
    nonisolated static func kickoffEvent(_ failure: ProviderFailure) -> RunEvent {
        let reason = "starting the export failed: \(failure)"
        switch failure {
        case .transient(_, let wait): return .kickoffTransient(reason: reason, serverWait: wait)
        // A 202 without a usable Location may still have started the operation.
        case .ambiguous, .malformedResponse: return .kickoffAmbiguous(reason: reason)
        case .rejected, .unauthorized, .sunset, .expiredURL: return .kickoffRefused(reason: reason)
        }
    }

    /// The source's waiting rules for the core.
    nonisolated static func policy(for client: SourceClient) -> RunPolicy {
        switch client {
        case .workiva: RunPolicy()
        case .webadmit(_, let spec): .webAdmit(pollInterval: spec.pollIntervalSeconds)
        }
    }

    /// The export file's status URL (`GET /api/v1/exports/:export_id/export_files/:id`): what
    /// the run follows. The client polls by the two ids; the URL is recorded for operators.
    nonisolated static func webAdmitStatusURL(base: String, file: WebAdmitExportFile) -> String {
        "\(base)/api/v1/exports/\(file.exportID)/export_files/\(file.id)"
    }

    /// `url` without query string (pre-signed parts stay out of logs).
    nonisolated static func redacted(_ url: String) -> String {
        guard let cut = url.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return url }
        return String(url[..<cut])
    }

    /// The engine's logger with the run's job and id.
    nonisolated func runLogger(_ run: StoredRun) -> Logger {
        var log = logger
        log[metadataKey: "job"] = "\(run.job)"
        log[metadataKey: "run_id"] = "\(run.id)"
        return log
    }

    // MARK: Recording outcomes

    /// Hands `event` to the store (the core decides and the decision is committed), then
    /// executes the decision.
    nonisolated func record(_ event: RunEvent, run runID: Int64, policy: RunPolicy, logger log: Logger) async {
        let jitter = await nextJitter()
        guard let decision = await committed({
            try await self.store.record(event, run: runID, policy: policy, jitter: jitter, at: self.clock.now)
        }, logger: log) else { return }
        await execute(decision, logger: log, after: event)
    }

    /// Runs a state write; a failure (disk full, I/O error, read-only database) pauses the
    /// engine's work with backoff (``stateWriteFailed(_:logger:)``) and answers `nil`.
    nonisolated func committed<T: Sendable>(_ write: @Sendable () async throws -> T, logger log: Logger) async -> T? {
        do {
            let value = try await write()
            await stateWriteSucceeded()
            return value
        } catch StateStoreError.illegalTransition(let runID, let refused) {
            // Another task moved the run first (e.g. a shared operation's follower); nothing to do.
            log.debug("run \(runID) moved on before this step was recorded: \(refused)")
            return nil
        } catch {
            await stateWriteFailed(error, logger: log)
            return nil
        }
    }

    /// Carries out a committed decision: the waits are already persisted, so this logs, counts
    /// and wakes the loop; nothing is discarded.
    nonisolated func execute(_ decision: RunDecision, logger log: Logger, after event: RunEvent? = nil) async {
        let now = clock.now
        switch decision.action {
        case .fail(let reason, let retryable):
            await noteRunsFailed(jobs: [decision.run.job] + decision.followerJobs, retryable: retryable)
            log.error("run \(decision.run.id) failed: \(reason)\(retryable ? " (tried again at the job's next scheduled time)" : "")",
                      metadata: ["retryable": "\(retryable)", "phase": "\(decision.run.phase.rawValue)"])
            for follower in decision.followers {
                log.error("run \(follower) failed with the operation it followed: \(reason)", metadata: ["follower_run_id": "\(follower)"])
            }
        case .done:
            // Exports end in `performDownload`; an upload's run ends here, with its operation.
            for job in [decision.run.job] + decision.followerJobs { metrics.countRun(job: job, outcome: .success) }
        case .kickoff(let at, _), .reconcileKickoff(let at), .download(_, let at, _), .upload(_, let at), .poll(_, let at):
            if let reason = event?.transientReason {
                if let retryReason = event?.retryReason, let source = await configured(job: decision.run.job)?.0.source {
                    metrics.countRetry(source: source, reason: retryReason)
                }
                let wait = max(0, at.timeIntervalSince(now))
                log.warning("\(reason); trying again in \(Self.seconds(wait)) s (attempt \(decision.run.stepFailures + 1) of this step)",
                            metadata: ["retry_in": "\(Self.seconds(wait))", "step_failures": "\(decision.run.stepFailures)",
                                       "phase": "\(decision.run.phase.rawValue)"])
            }
        }
        wake.signal()
    }

    nonisolated static func seconds(_ value: Double) -> String {
        value >= 10 || value == value.rounded() ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }
}
