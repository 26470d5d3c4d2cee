import ExportSyncCore
import Foundation

/// Maps a final, non-2xx answer to a ``ProviderFailure``.
extension ProviderFailure {
    static func from(_ response: ExchangeResponse, method: String) -> ProviderFailure {
        let error = ServerErrorBody(response.bytes)
        let endpoint = response.endpoint
        // A path family past its published sunset that answers 404 or 410 is gone, not a
        // missing resource; before the date a 404 is a 404.
        let retired = PathSunset.of(endpoint: endpoint).map { $0.hasPassed(at: response.receivedAt) } ?? false
        switch response.status {
        case 401:
            return .unauthorized(endpoint: endpoint)
        case 404 where retired, 410 where retired:
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
