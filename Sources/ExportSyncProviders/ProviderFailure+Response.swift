import ExportSyncCore
import Foundation

/// Maps a final, non-2xx answer to a ``ProviderFailure``.
extension ProviderFailure {
    static func from(_ response: ExchangeResponse, method: String) -> ProviderFailure {
        let error = ServerErrorBody(response.bytes)
        let endpoint = response.endpoint
        let isPrototype = endpoint.hasPrefix("/prototype/platform/")
        switch response.status {
        case 401:
            return .unauthorized(endpoint: endpoint)
        case 404 where isPrototype, 410 where isPrototype:
            return .sunset(endpoint: endpoint)
        case 403 where error.isExpiredURL:
            return .expiredURL
        case let status where HTTPExchange.isTransientStatus(status):
            let retryAfter = RetryAfter.delay(header: response.header("Retry-After"), now: response.receivedAt, bounds: 0...86_400)
            return .transient(
                reason: "HTTP \(status) from \(method) \(endpoint)" + (error.code.map { " code=\($0)" } ?? ""), retryAfter: retryAfter)
        default:
            return .rejected(status: response.status, code: error.code, message: error.message.map(oneLine), endpoint: endpoint)
        }
    }
}
