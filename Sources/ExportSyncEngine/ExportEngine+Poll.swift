import AsyncHTTPClient
import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Polls one operation (shared by every run that follows it) and hands the answer to the
    /// store, which records it with the core's decision for the lead run and its followers.
    nonisolated func performPoll(_ target: PollTarget) async {
        let operation = target.operation
        guard let lead = target.runs.first else { return }
        var log = runLogger(lead)
        log[metadataKey: "operation_id"] = "\(operation.id)"
        guard let (_, client) = await configured(job: lead.job) else {
            await record(.abandoned(reason: "job \(lead.job) is no longer configured"), run: lead.id, policy: RunPolicy(), logger: log)
            return
        }
        let policy = Self.policy(for: client)
        let answer: PollAnswer
        switch client {
        case .workiva(let workiva, let spec):
            do {
                let state = try await workiva.poll(
                    operationURL: operation.location, xVersion: operation.xVersion ?? spec.apiVersion.defaultFlavour.xVersion)
                switch state.outcome {
                case .pending, .unknown:
                    answer = PollAnswer(event: .pollPending(serverWait: state.retryAfter), status: state.status)
                case .succeeded, .succeededWithWarnings, .succeededEmpty:
                    if let resource = state.resourceURL { await remember(.workivaResource(resource), of: operation.id) }
                    answer = PollAnswer(event: .pollSucceeded, status: state.status)
                case .failed, .cancelled:
                    let detail = state.details.map { ": \($0)" } ?? ""
                    answer = PollAnswer(
                        event: .pollTerminal(reason: "the server reports the operation \(state.status)\(detail)"), status: state.status,
                        failure: OperationFailure(status: state.status, details: state.details, originalRequest: state.originalRequest))
                }
            } catch {
                answer = Self.pollFailure(error)
            }
        case .webadmit(let webadmit, _):
            guard let ids = operation.providerIDs else {
                await record(.abandoned(reason: "the WebAdMIT operation has no export file id"), run: lead.id, policy: policy, logger: log)
                return
            }
            do {
                let state = try await webadmit.exportFile(exportID: ids.exportID, fileID: ids.exportFileID)
                switch state.outcome {
                case .pending, .unknown:
                    answer = PollAnswer(event: .pollPending(serverWait: nil), status: state.status)
                case .succeeded, .succeededWithWarnings:
                    if state.outcome == .succeededWithWarnings {
                        log.warning("WebAdMIT reports \(state.status) for export file \(ids.exportFileID); downloading what it produced")
                    }
                    // Used at once by the download: no second status call while it is fresh.
                    if let url = state.downloadURL, !url.isEmpty {
                        await remember(.webAdmitDownload(url, receivedAt: clock.now), of: operation.id)
                    }
                    answer = PollAnswer(event: .pollSucceeded, status: state.status)
                case .succeededEmpty:
                    answer = PollAnswer(
                        event: .pollTerminal(reason: "WebAdMIT reports \(state.status): the export matched no records, so there is no file"),
                        status: state.status, failure: OperationFailure(status: state.status))
                case .failed, .cancelled:
                    answer = PollAnswer(
                        event: .pollTerminal(reason: "WebAdMIT reports the export file \(state.status)"), status: state.status,
                        failure: OperationFailure(status: state.status))
                }
            } catch {
                answer = Self.pollFailure(error)
            }
        }
        let jitter = await nextJitter()
        guard let decision = await committed({
            try await self.store.recordPollAnswer(
                run: lead.id, event: answer.event, status: answer.status, operationFailure: answer.failure,
                policy: policy, jitter: jitter, at: self.clock.now)
        }, logger: log) else { return }
        switch answer.event {
        case .pollPending:
            log.debug("operation \(answer.status ?? "pending"); next poll at \(decision.action.at.map { "\($0)" } ?? "-")",
                      metadata: ["status": "\(answer.status ?? "")"])
        case .pollSucceeded:
            log.info("operation completed after \(operation.pollCount + 1) polls", metadata: ["status": "\(answer.status ?? "")"])
        default:
            break
        }
        await execute(decision, logger: log, after: answer.event)
    }

    /// A poll's outcome with what the store keeps of it.
    struct PollAnswer: Sendable {
        var event: RunEvent
        var status: String?
        var failure: OperationFailure?
    }

    /// A poll that got no status: transient (429, 5xx, transport, a garbled body: the server may
    /// well finish) or terminal (a definite refusal of the operation URL).
    nonisolated static func pollFailure(_ failure: ProviderFailure) -> PollAnswer {
        switch failure {
        case .transient(_, let wait):
            return PollAnswer(event: .pollTransient(reason: "polling failed: \(failure)", serverWait: wait))
        case .ambiguous, .malformedResponse, .expiredURL:
            return PollAnswer(event: .pollTransient(reason: "polling failed: \(failure)", serverWait: nil))
        case .rejected, .unauthorized, .sunset:
            return PollAnswer(event: .pollTerminal(reason: "polling failed: \(failure)"), failure: OperationFailure(status: "error"))
        }
    }
}
