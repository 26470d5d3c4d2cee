import AsyncHTTPClient
public import ExportSyncCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Kickoffs and operation polls.
extension WorkivaClient {
    /// Sends a kickoff POST (an export, or an attachmentUpload announcing a file).
    ///
    /// Retried only on 429 and when the request provably never left; a 5xx or timeout ends in
    /// `.transient` because the server may have started the operation (the engine logs a
    /// possible duplicate if it sends again).
    public func startOperation(_ request: WorkivaKickoffRequest) async throws(ProviderFailure) -> WorkivaOperationHandle {
        let url = URLText.join(source.baseURL, request.path)
        let body = request.body
        let outgoing = OutgoingRequest(
            method: .POST, url: url, kind: .kickoff, headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: { .bytes(ByteBuffer(bytes: body)) }, retryClass: .kickoff, followRedirects: false,
            timeoutSeconds: settings.requestTimeoutSeconds, rateLimit: rateLimit(poll: false))
        let response = try await sendAuthorized(outgoing, xVersion: request.xVersion, mode: .collect)
        guard response.isSuccess else { throw ProviderFailure.from(response, method: "POST") }
        guard let rawLocation = response.header("Location") else {
            throw .malformedResponse("HTTP \(response.status) from POST \(response.endpoint) without a Location header")
        }
        guard let location = URLText.resolve(rawLocation, against: url) else {
            throw .malformedResponse("unusable Location header from POST \(response.endpoint)")
        }
        var uploadURL: String?
        if !response.bytes.isEmpty {
            guard let object = JSONObject(bytes: response.bytes) else {
                throw .malformedResponse("HTTP \(response.status) from POST \(response.endpoint) with a body that is not a JSON object")
            }
            uploadURL = object.string("uploadUrl")
        }
        exchange.logger.debug(
            "operation started",
            metadata: ["endpoint": "\(response.endpoint)", "http_status": "\(response.status)", "operation": "\(URLText.endpoint(location))"])
        return WorkivaOperationHandle(
            location: location, retryAfter: RetryAfter.delay(header: response.header("Retry-After"), now: clock.now, bounds: 0...86_400),
            uploadURL: uploadURL)
    }

    /// Polls an operation at the exact URL the kickoff returned, with the kickoff's `X-Version`.
    public func poll(operationURL: String, xVersion: String) async throws(ProviderFailure) -> WorkivaOperationState {
        let outgoing = OutgoingRequest(
            method: .GET, url: operationURL, kind: .operation, headers: [("Accept", "application/json")], retryClass: .idempotent,
            followRedirects: true, timeoutSeconds: settings.requestTimeoutSeconds, rateLimit: rateLimit(poll: true))
        let response = try await sendAuthorized(outgoing, xVersion: xVersion, mode: .collect)
        guard response.isSuccess else { throw ProviderFailure.from(response, method: "GET") }
        let retryAfter = RetryAfter.delay(header: response.header("Retry-After"), now: clock.now, bounds: 0...86_400)
        guard let state = WorkivaOperationState.decode(response.bytes, retryAfter: retryAfter) else {
            throw .malformedResponse("HTTP \(response.status) from GET \(response.endpoint) is not an Operation object")
        }
        return state
    }
}
