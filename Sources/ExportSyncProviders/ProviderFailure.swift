import ExportSyncCore
import Foundation

/// A provider call that did not succeed, classified for the engine's decisions.
///
/// Descriptions are one line and name the endpoint (path only, never the query), the status and
/// the server's `code`/`message`; they never carry a secret, a token or a pre-signed query string.
public enum ProviderFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// 429, 5xx, a connection that failed before the request left, a truncated body, a token
    /// endpoint that is down: the call had no effect and may be made again. `retryAfter` is the
    /// server's wish, in seconds, if it stated one. Never retried inside the client: the engine
    /// persists the wait first.
    case transient(reason: String, retryAfter: Double?)
    /// A POST was sent but its answer was lost (reset, timeout): the server may have acted on it.
    case ambiguous(reason: String)
    /// A definite refusal (400, 403, 404, 409, …): not to be retried blindly.
    case rejected(status: Int, code: String?, message: String?, endpoint: String)
    /// 401 even after one token refresh, or the token endpoint refusing the client credentials.
    case unauthorized(endpoint: String)
    /// 404/410 on a `/prototype/platform` route: the prototype API is gone.
    case sunset(endpoint: String)
    /// Storage answered 403 "Request has expired": fetch a fresh URL and try again.
    case expiredURL
    /// The server answered something this client cannot read (bad JSON, a 202 without `Location`, …).
    case malformedResponse(String)

    /// One line naming the endpoint, status and the server's code/message; never a secret.
    public var description: String {
        switch self {
        case .transient(let reason, let retryAfter):
            let wait = retryAfter.map { ", retry after \(Self.seconds($0)) s" } ?? ""
            return "transient failure: \(reason)\(wait)"
        case .ambiguous(let reason):
            return "answer lost: \(reason) (the server may have acted on the request)"
        case .rejected(let status, let code, let message, let endpoint):
            var text = "rejected: HTTP \(status) from \(endpoint)"
            if let code, !code.isEmpty { text += " code=\(code)" }
            if let message, !message.isEmpty { text += " message=\"\(Self.oneLine(message))\"" }
            return text
        case .unauthorized(let endpoint):
            return "unauthorized: HTTP 401 from \(endpoint) after a token refresh (check the credentials)"
        case .sunset(let endpoint):
            let retired = PathSunset.of(endpoint: endpoint).map { "the \($0.pathPrefix)… paths were retired on \($0.day)" } ?? "its paths were retired"
            return "sunset: \(endpoint) is no longer served: \(retired); set the job's flavour = \"2026-01-01\" (the same ids work there; prototype attachments are named by test_form, test_phase, matrix and sample)"
        case .expiredURL:
            return "expired URL: storage answered 403 \"Request has expired\""
        case .malformedResponse(let detail):
            return "malformed response: \(Self.oneLine(detail))"
        }
    }

    /// Whether the engine may try the same call again later (on its own schedule).
    public var isTransient: Bool {
        switch self {
        case .transient, .ambiguous: true
        default: false
        }
    }

    /// Whether the server answered something this client cannot read.
    public var isMalformed: Bool {
        if case .malformedResponse = self { return true }
        return false
    }

    /// The server's wait of a transient failure, if it gave one.
    public var serverWait: Double? {
        if case .transient(_, let wait) = self { return wait }
        return nil
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    /// Newlines and control characters folded to spaces, at most 300 characters.
    static func oneLine(_ text: String) -> String {
        let folded = String(text.map { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) ? " " : $0 })
        return folded.count > 300 ? String(folded.prefix(300)) + "…" : folded
    }
}
