import AsyncHTTPClient
import ExportSyncCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An OAuth2 access token and when to replace it.
struct AccessToken: Sendable {
    let value: String
    /// Refresh from here on: `expires_in` minus the margin, or half-life for short tokens.
    let refreshAt: Date
}

/// The token cache: one token per client, fetched with the client-credentials grant, refreshed
/// ahead of expiry, single-flight (concurrent callers share one token request).
extension WorkivaClient {
    /// A token that is not due for refresh, fetching one if needed.
    func validToken() async throws(ProviderFailure) -> AccessToken {
        if let cachedToken, clock.now < cachedToken.refreshAt { return cachedToken }
        if let tokenFetch { return try await tokenFetch.value.get() }
        let fetch = Task { await self.fetchToken() }
        tokenFetch = fetch
        let result = await fetch.value
        tokenFetch = nil
        if case .success(let token) = result { cachedToken = token }
        return try result.get()
    }

    /// Drops `token` after the API refused it (unless a newer one replaced it meanwhile).
    func invalidate(_ token: AccessToken) {
        if cachedToken?.value == token.value { cachedToken = nil }
    }

    private func fetchToken() async -> Result<AccessToken, ProviderFailure> {
        tokenRequestCount += 1
        let form = [
            ("grant_type", "client_credentials"), ("client_id", source.clientID), ("client_secret", clientSecret.reveal()),
        ].map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let limiter = requestLimiter
        let request = OutgoingRequest(
            method: .POST, url: source.tokenURL, kind: .token,
            headers: [("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"), ("Accept", "application/json")],
            body: { .bytes(ByteBuffer(string: form)) }, retryClass: .idempotent, followRedirects: false,
            timeoutSeconds: settings.requestTimeoutSeconds, rateLimit: { try await limiter.acquire() })
        let requestedAt = clock.now
        let response: ExchangeResponse
        do { response = try await exchange.send(request, mode: .collect) } catch { return .failure(error) }
        guard response.isSuccess else {
            if response.status == 400 || response.status == 401 {
                let error = ServerErrorBody(response.bytes)
                // IamError: bad client credentials are `unauthorized_client`/`access_denied`.
                if response.status == 401 || error.code == "unauthorized_client" || error.code == "access_denied" {
                    exchange.logger.error(
                        "token endpoint refused the client credentials",
                        metadata: ["endpoint": "\(response.endpoint)", "http_status": "\(response.status)", "code": "\(error.code ?? "")"])
                    return .failure(.unauthorized(endpoint: response.endpoint))
                }
            }
            return .failure(ProviderFailure.from(response, method: "POST"))
        }
        guard let object = JSONObject(bytes: response.bytes), let value = object.string("access_token"),
              let expiresIn = object.string("expires_in").flatMap(Double.init), expiresIn > 0
        else {
            return .failure(.malformedResponse("token answer of POST \(response.endpoint) lacks access_token or expires_in"))
        }
        let margin = settings.tokenRefreshMarginSeconds
        let lifetime = expiresIn > 2 * margin ? expiresIn - margin : expiresIn / 2
        settings.tokenIssued?(value)
        exchange.logger.debug("obtained an access token", metadata: ["expires_in": "\(Int(expiresIn))"])
        return .success(AccessToken(value: value, refreshAt: requestedAt.addingTimeInterval(lifetime)))
    }

    /// `application/x-www-form-urlencoded` value encoding: unreserved characters kept, the rest percent-encoded.
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
