import AsyncHTTPClient
import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Starts the run's operation: persists "kickoff sent", POSTs, persists the exact `Location`.
    /// Runs off the actor (like the poll and the download), so runs proceed in parallel; it
    /// touches the engine's state only through short isolated calls.
    nonisolated func performKickoff(_ recovered: RecoveredRun) async {
        if recovered.run.kind == .upload {
            await performUpload(recovered)
            return
        }
        let run = recovered.run
        var log = logger
        log[metadataKey: "job"] = "\(run.job)"
        log[metadataKey: "run_id"] = "\(run.id)"
        guard let (job, client) = await configured(job: run.job) else {
            await fail(run: run.id, reason: "job \(run.job) is no longer configured", retryable: false, logger: log)
            return
        }
        let now = Date()
        if now > run.deadline {
            await fail(run: run.id, reason: "the run's deadline passed before its export could start", retryable: true, logger: log)
            return
        }
        do {
            let action = try await store.recordKickoffSent(run: run.id)
            if case .sendKickoff(possibleDuplicate: true) = action {
                log.warning("possible duplicate kickoff: run \(run.id) of job \(run.job) had sent its kickoff before a restart, but its answer was never recorded; sending it again",
                            metadata: ["possible_duplicate": "true"])
            }
        } catch {
            log.error("cannot record the kickoff of run \(run.id): \(error)")
            await postpone(run: run.id, seconds: 5)
            return
        }
        do {
            switch (client, job.payload) {
            case (.workiva(let workiva, _), let payload):
                guard let request = WorkivaKickoffRequest.export(payload) else {
                    await fail(run: run.id, reason: "job kind \(job.kind.rawValue) has no Workiva export endpoint", retryable: false, logger: log)
                    return
                }
                let handle = try await workiva.startOperation(request)
                let wait = handle.retryAfter ?? 1
                let acceptance = try await store.recordOperationAccepted(
                    run: run.id, location: handle.location, xVersion: request.xVersion,
                    nextPollAt: Date().addingTimeInterval(wait))
                log.info("export started; polling \(Self.redacted(handle.location)) in \(wait) s",
                         metadata: ["operation_id": "\(acceptance.operation.id)", "endpoint": "\(request.path)"])
            case (.webadmit(let webadmit, let spec), .webadmitExport(let identity, let exportID)):
                let file = try await webadmit.startExport(userIdentity: identity, exportID: exportID)
                let location = Self.webAdmitStatusURL(base: spec.baseURL, file: file)
                let acceptance = try await store.recordOperationAccepted(
                    run: run.id, location: location, xVersion: nil,
                    providerIDs: ProviderOperationIDs(exportID: file.exportID, exportFileID: file.id),
                    nextPollAt: Date().addingTimeInterval(1))
                log.info(acceptance.joinedExisting
                         ? "WebAdMIT export file \(file.id) is already running; following it instead of starting another"
                         : "WebAdMIT export file \(file.id) started",
                         metadata: ["operation_id": "\(acceptance.operation.id)", "export_file_id": "\(file.id)"])
            default:
                await fail(run: run.id, reason: "job \(job.name) does not match its source's type", retryable: false, logger: log)
                return
            }
            await clearPostponement(run: run.id)
        } catch let failure as ProviderFailure {
            await fail(run: run.id, reason: "starting the export failed: \(failure)", retryable: failure.isTransient, logger: log)
        } catch {
            // The POST was answered but the answer could not be recorded: on retry (or restart)
            // the kickoff is re-sent and flagged as a possible duplicate.
            log.error("cannot record the accepted operation of run \(run.id): \(error)")
            await postpone(run: run.id, seconds: 5)
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

    /// Records a run's failure and logs it once, with the reason.
    nonisolated func fail(run runID: Int64, reason: String, retryable: Bool, operationFailure: OperationFailure? = nil, logger log: Logger) async {
        do {
            _ = try await store.recordFailure(run: runID, reason: reason, retryable: retryable, operationFailure: operationFailure)
            await noteRunFailed()
            log.error("run \(runID) failed: \(reason)\(retryable ? " (tried again at the job's next scheduled time)" : "")",
                      metadata: ["retryable": "\(retryable)"])
        } catch {
            log.error("cannot record the failure of run \(runID) (\(reason)): \(error)")
            await postpone(run: runID, seconds: 5)
        }
    }
}
