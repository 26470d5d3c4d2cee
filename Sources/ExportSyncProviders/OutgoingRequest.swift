import AsyncHTTPClient
import NIOHTTP1
import Foundation

/// One logical provider request, before retries and redirects.
struct OutgoingRequest: Sendable {
    /// How a request may be repeated after a failure.
    enum RetryClass: Sendable {
        /// GET/PUT/token requests: sending them again is harmless, so a lost answer is transient.
        case idempotent
        /// Kickoff POSTs: a transport failure after the request may have left is ambiguous (the
        /// server may have acted); the engine reconciles or flags a possible duplicate.
        case kickoff
    }

    /// Credential headers and where they may go.
    struct Credentials: Sendable {
        /// The headers (`Authorization`, `X-Version`, `x-api-key`).
        var headers: [(name: String, value: String)]
        /// The origin they belong to; `nil` sends them to the first URL whatever its host (the
        /// documented Workiva upload flow) and never across a redirect.
        var origin: HTTPOrigin?

        static let none = Credentials(headers: [], origin: nil)

        /// Whether the credentials go on a request to `url`, hop `hop` (0 = the first).
        func apply(to url: String, hop: Int) -> Bool {
            guard !headers.isEmpty else { return false }
            guard let origin else { return hop == 0 }
            return HTTPOrigin(url: url) == origin
        }
    }

    var method: HTTPMethod
    var url: String
    /// What the request is, for the `endpoint` label of `exportsync_http_requests_total`.
    var kind: ExportMetrics.Endpoint
    /// Headers that carry no credential (`Accept`, `Content-Type`).
    var headers: [(name: String, value: String)] = []
    var credentials: Credentials = .none
    /// Builds the body afresh for every attempt (a streamed file is reopened).
    var body: (@Sendable () throws -> HTTPClientRequest.Body)?
    var retryClass: RetryClass = .idempotent
    /// Follow 301/302/303/307/308 by hand (GETs only), scoping credentials per hop.
    var followRedirects = false
    /// Deadline for the response head of each attempt, in seconds.
    var timeoutSeconds: Double
    /// Waits for the source's rate limiters before each attempt.
    var rateLimit: (@Sendable () async throws -> Void)?
    /// Sees the headers of every response (quota headers), retried ones included.
    var observeHeaders: (@Sendable (HTTPHeaders) async -> Void)?

    /// The path, for logs and errors.
    var endpoint: String { URLText.endpoint(url) }
}

/// What came back from the last hop of a request.
struct ExchangeResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    /// The URL that answered (after redirects).
    var url: String
    /// The collected body (an error body, or the whole body in collect mode).
    var bytes: [UInt8]
    /// The unread body of a 2xx answer in stream mode.
    var stream: HTTPClientResponse.Body?
    /// When the answer's head arrived, on the provider's clock (a `Retry-After` HTTP-date is
    /// measured from it).
    var receivedAt: Date

    var isSuccess: Bool { (200..<300).contains(status) }
    var endpoint: String { URLText.endpoint(url) }
    func header(_ name: String) -> String? { headers.first(name: name) }
}
