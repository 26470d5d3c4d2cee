import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /iam/v1/oauth2/token`: form body, JSON body or HTTP Basic client authentication.
extension WorkivaRoutes {
    struct TokenBody: Encodable {
        let access_token: String
        let expires_in: Int
        let scope: String
        let token_type: String
    }

    func issueToken(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        var request = request
        let now = environment.clock.now()
        let body = try await request.collectBody(upTo: 64 * 1024)
        let text = String(buffer: body)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""

        var fields: [String: String] = [:]
        if contentType.hasPrefix("application/json") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                return environment.finalize(.iamError(.badRequest, error: "invalid_request", description: "The body is not a JSON object"), fault: nil)
            }
            for (key, value) in object {
                guard let string = value as? String else { continue }
                fields[key] = string
            }
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            guard let pairs = PercentEncoding.decodeForm(text) else {
                return environment.finalize(.iamError(.badRequest, error: "invalid_request", description: "Malformed form body"), fault: nil)
            }
            for pair in pairs {
                if fields[pair.key] != nil {
                    return environment.finalize(
                        .iamError(.badRequest, error: "invalid_request", description: "Parameter '\(pair.key)' given more than once"), fault: nil)
                }
                fields[pair.key] = pair.value
            }
        } else {
            return environment.finalize(
                .iamError(
                    .badRequest, error: "invalid_request",
                    description: "Content-Type must be application/x-www-form-urlencoded or application/json"),
                fault: nil)
        }

        var clientId = fields["client_id"]
        var clientSecret = fields["client_secret"]
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("basic ") {
            let encoded = authorization.dropFirst("basic ".count).trimmingCharacters(in: .whitespaces)
            guard let decoded = Data(base64Encoded: encoded).flatMap({ String(data: $0, encoding: .utf8) }),
                let colon = decoded.firstIndex(of: ":")
            else {
                return environment.finalize(.iamError(.unauthorized, error: "unauthorized_client", description: "Malformed Basic credentials"), fault: nil)
            }
            clientId = String(decoded[..<colon])
            clientSecret = String(decoded[decoded.index(after: colon)...])
        }

        guard let grantType = fields["grant_type"] else {
            return environment.finalize(.iamError(.badRequest, error: "invalid_request", description: "grant_type is required"), fault: nil)
        }
        guard grantType == "client_credentials" else {
            return environment.finalize(
                .iamError(.badRequest, error: "invalid_request", description: "grant_type must be client_credentials"), fault: nil)
        }
        guard let clientId, let clientSecret, !clientId.isEmpty else {
            return environment.finalize(
                .iamError(.badRequest, error: "invalid_request", description: "client_id and client_secret are required"), fault: nil)
        }
        if case .limited(let retryAfter) = await state.admitClientRequest(clientId: clientId, now: now) {
            return environment.finalize(.workivaError(.tooManyRequests, flavor: nil, retryAfter: retryAfter), fault: nil)
        }
        let fault = await state.fault(for: .workivaToken, resource: clientId, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .workiva(nil), context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        switch await state.issueToken(clientId: clientId, clientSecret: clientSecret, scope: fields["scope"], now: now) {
        case .invalidClient:
            return environment.finalize(
                .iamError(.unauthorized, error: "unauthorized_client", description: "Client authentication failed"), fault: fault)
        case .invalidScope:
            return environment.finalize(
                .iamError(.badRequest, error: "invalid_scope", description: "The requested scope is invalid, unknown, or malformed"),
                fault: fault)
        case .issued(let token, let scopes, let expiresIn):
            let reply = Reply.json(
                .ok,
                TokenBody(access_token: token, expires_in: expiresIn, scope: scopes.joined(separator: " "), token_type: "Bearer"),
                headers: [.cacheControl: "no-store"])
            return environment.finalize(reply, fault: fault)
        }
    }
}
