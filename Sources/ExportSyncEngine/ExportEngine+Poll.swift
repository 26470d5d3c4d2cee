import AsyncHTTPClient
import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Polls one operation (shared by every run that follows it) and records the answer.
    nonisolated func performPoll(_ target: PollTarget) async {
        let operation = target.operation
        guard let lead = target.runs.first else { return }
        let leadID = lead.id
        var log = logger
        log[metadataKey: "run_id"] = "\(leadID)"
        log[metadataKey: "operation_id"] = "\(operation.id)"
        log[metadataKey: "job"] = "\(lead.job)"
        guard let (_, client) = await configured(job: lead.job) else {
            await fail(run: leadID, reason: "job \(lead.job) is no longer configured", retryable: false, logger: log)
            return
        }
        let now = Date()
        if now > lead.deadline {
            await fail(run: leadID, reason: "the run's deadline passed while its export was still running (\(operation.pollCount) polls, last status \(operation.lastStatus ?? "none"))",
                       retryable: true, logger: log)
            return
        }
        do {
            switch client {
            case .workiva(let workiva, let spec):
                let state = try await workiva.poll(operationURL: operation.location, xVersion: operation.xVersion ?? spec.apiVersion.defaultFlavour.xVersion)
                switch state.outcome {
                case .pending, .unknown:
                    let wait = if let retryAfter = state.retryAfter { retryAfter } else { await pollBackoff(afterPolls: operation.pollCount) }
                    _ = try await store.recordPoll(run: leadID, status: state.status, nextPollAt: Date().addingTimeInterval(wait))
                    log.debug("operation \(state.status); next poll in \(wait) s", metadata: ["status": "\(state.status)"])
                case .succeeded, .succeededWithWarnings, .succeededEmpty:
                    if let resource = state.resourceURL { await remember(resourceURL: resource, of: operation.id) }
                    _ = try await store.recordOperationSucceeded(run: leadID, status: state.status)
                    log.info("operation completed after \(operation.pollCount + 1) polls", metadata: ["status": "\(state.status)"])
                case .failed, .cancelled:
                    let detail = state.details.map { ": \($0)" } ?? ""
                    await fail(run: leadID, reason: "the server reports the operation \(state.status)\(detail)",
                               retryable: false,
                               operationFailure: OperationFailure(status: state.status, details: state.details, originalRequest: state.originalRequest),
                               logger: log)
                }
            case .webadmit(let webadmit, _):
                guard let ids = operation.providerIDs else {
                    await fail(run: leadID, reason: "the WebAdMIT operation has no export file id", retryable: false, logger: log)
                    return
                }
                let state = try await webadmit.exportFile(exportID: ids.exportID, fileID: ids.exportFileID)
                switch state.outcome {
                case .pending, .unknown:
                    let wait = await pollBackoff(afterPolls: operation.pollCount)
                    _ = try await store.recordPoll(run: leadID, status: state.status, nextPollAt: Date().addingTimeInterval(wait))
                case .succeeded, .succeededWithWarnings:
                    if state.outcome == .succeededWithWarnings {
                        log.warning("WebAdMIT reports \(state.status) for export file \(ids.exportFileID); downloading what it produced")
                    }
                    _ = try await store.recordOperationSucceeded(run: leadID, status: state.status)
                case .succeededEmpty:
                    await fail(run: leadID, reason: "WebAdMIT reports \(state.status): the export matched no records, so there is no file",
                               retryable: false, operationFailure: OperationFailure(status: state.status), logger: log)
                case .failed, .cancelled:
                    await fail(run: leadID, reason: "WebAdMIT reports the export file \(state.status)", retryable: false,
                               operationFailure: OperationFailure(status: state.status), logger: log)
                }
            }
        } catch let failure as ProviderFailure {
            // A garbled answer is treated like an unreachable server: polled again later, within
            // the run's deadline, rather than failing a run the server may well finish.
            let retryAfter: Double?? = switch failure {
            case .transient(_, let wait): .some(wait)
            case .malformedResponse: .some(nil)
            default: nil
            }
            if let retryAfter {
                let wait = if let retryAfter { retryAfter } else { await pollBackoff(afterPolls: operation.pollCount) }
                log.warning("poll failed, trying again in \(Int(wait)) s: \(failure)")
                _ = try? await store.recordPoll(run: leadID, status: operation.lastStatus ?? "unknown", nextPollAt: Date().addingTimeInterval(wait))
            } else {
                await fail(run: leadID, reason: "polling failed: \(failure)", retryable: false,
                           operationFailure: OperationFailure(status: "error"), logger: log)
            }
        } catch {
            log.error("cannot record the poll of operation \(operation.id): \(error)")
        }
    }
}
