import AsyncHTTPClient
import ExportSyncCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Requests that carry the Bearer token: credentials scoped to the API origin, one token
/// refresh and retry on a 401 from the API, then `.unauthorized`.
extension WorkivaClient {
    /// Sends `request` with `Authorization: Bearer` and `X-Version` attached on the API origin only.
    func sendAuthorized(_ request: OutgoingRequest, xVersion: String, mode: HTTPExchange.BodyMode) async throws(ProviderFailure)
        -> ExchangeResponse
    {
        var refreshed = false
        while true {
            let token = try await validToken()
            var authorized = request
            authorized.credentials = OutgoingRequest.Credentials(
                headers: [("Authorization", "Bearer \(token.value)"), ("X-Version", xVersion)], origin: apiOrigin)
            let response = try await exchange.send(authorized, mode: mode)
            guard response.status == 401, isAPIOrigin(response.url) else { return response }
            invalidate(token)
            if refreshed {
                exchange.logger.warning(
                    "API refused a freshly obtained token",
                    metadata: ["endpoint": "\(response.endpoint)", "http_status": "401"])
                throw .unauthorized(endpoint: response.endpoint)
            }
            refreshed = true
            exchange.logger.info(
                "API answered 401; refreshing the token once", metadata: ["endpoint": "\(response.endpoint)", "http_status": "401"])
        }
    }

    /// The limiters every API request waits for (`poll` adds the poll limiter).
    func rateLimit(poll: Bool) -> @Sendable () async throws -> Void {
        let requests = requestLimiter
        let polls = pollLimiter
        return {
            if poll { try await polls.acquire() }
            try await requests.acquire()
        }
    }
}
