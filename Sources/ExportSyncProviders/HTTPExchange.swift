import AsyncHTTPClient
import ExportSyncCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sends one ``OutgoingRequest`` with hand-followed redirects and credential scoping. Shared by
/// both clients; it knows HTTP, not Workiva or WebAdMIT.
///
/// It never retries and never sleeps: a 429, a 5xx or a transport failure ends the call as
/// ``ProviderFailure/transient(reason:retryAfter:)`` (with the server's `Retry-After`) or, for a
/// kickoff whose answer was lost after it was sent, ``ProviderFailure/ambiguous(reason:)``. The
/// engine's run core decides the wait and persists it before waiting, so a `kill -9` during a
/// wait never makes the next request early.
struct HTTPExchange: Sendable {
    /// Whether a 2xx body is read into memory (JSON) or handed back unread (downloads).
    enum BodyMode: Sendable { case collect, stream }

    let httpClient: HTTPClient
    /// The configured source's name (the `source` label of the request counter).
    let source: String
    let logger: Logger
    let settings: ProviderSettings
    let clock: any ProviderClock

    /// Statuses that mean "try again later".
    static func isTransientStatus(_ status: Int) -> Bool {
        status == 429 || status == 500 || status == 502 || status == 503 || status == 504
    }

    private enum AttemptOutcome {
        case response(ExchangeResponse)
        case transport(any Error)
        case failure(ProviderFailure)
    }

    /// Sends `request` once. Returns the answer when it is not transient (2xx, 3xx not followed,
    /// 4xx but 429); throws `.transient` for 429/5xx/transport failures and `.ambiguous` for a
    /// kickoff that may have reached the server.
    func send(_ request: OutgoingRequest, mode: BodyMode) async throws(ProviderFailure) -> ExchangeResponse {
        let endpoint = request.endpoint
        if Task.isCancelled { throw .transient(reason: "\(request.method) \(endpoint) cancelled", retryAfter: nil) }
        if let rateLimit = request.rateLimit {
            do { try await rateLimit() } catch {
                throw .transient(reason: "\(request.method) \(endpoint) cancelled while waiting for the rate limit", retryAfter: nil)
            }
        }
        var metadata: Logger.Metadata = ["endpoint": "\(endpoint)", "method": "\(request.method)"]
        let outcome = await attempt(request, mode: mode)
        if case .response(let response) = outcome {
            settings.metrics.countHTTPRequest(source: source, endpoint: request.kind, status: String(response.status))
        } else {
            settings.metrics.countHTTPRequest(source: source, endpoint: request.kind, status: "error")
        }
        switch outcome {
        case .failure(let failure):
            throw failure
        case .response(let response):
            metadata["http_status"] = "\(response.status)"
            logger.debug("provider request answered", metadata: metadata)
            guard Self.isTransientStatus(response.status) else { return response }
            let error = ServerErrorBody(response.bytes)
            let reason = Self.describe(status: response.status, method: request.method, endpoint: response.endpoint, error: error)
            let serverWait = RetryAfter.delay(header: response.header("Retry-After"), now: clock.now, bounds: 0...86_400)
            metadata["retry_after"] = serverWait.map { "\(ProviderFailure.seconds($0))" }
            logger.debug("provider request answered with a transient status", metadata: metadata)
            throw .transient(reason: reason, retryAfter: serverWait)
        case .transport(let error):
            if Task.isCancelled { throw .transient(reason: "\(request.method) \(endpoint) cancelled", retryAfter: nil) }
            let reason = "\(request.method) \(endpoint): \(Self.describe(transport: error))"
            metadata["error"] = "\(Self.describe(transport: error))"
            logger.debug("provider request failed in transport", metadata: metadata)
            if request.retryClass == .kickoff, !Self.wasNotSent(error) { throw .ambiguous(reason: reason) }
            throw .transient(reason: reason, retryAfter: nil)
        }
    }

    /// One attempt: the request plus any redirects it is allowed to follow.
    private func attempt(_ request: OutgoingRequest, mode: BodyMode) async -> AttemptOutcome {
        var url = request.url
        var method = request.method
        var body = request.body
        var hop = 0
        while true {
            var outgoing = HTTPClientRequest(url: url)
            outgoing.method = method
            for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
            if request.credentials.apply(to: url, hop: hop) {
                for header in request.credentials.headers { outgoing.headers.replaceOrAdd(name: header.name, value: header.value) }
            }
            if let body {
                do { outgoing.body = try body() } catch { return .failure(.malformedResponse("cannot read the request body: \(error)")) }
            }
            let response: HTTPClientResponse
            do {
                // No logger handed to AsyncHTTPClient: its lines would carry full URLs.
                response = try await httpClient.execute(outgoing, deadline: .now() + Self.timeAmount(request.timeoutSeconds))
            } catch {
                return .transport(error)
            }
            await request.observeHeaders?(response.headers)
            let status = Int(response.status.code)
            if request.followRedirects, [301, 302, 303, 307, 308].contains(status),
               let location = response.headers.first(name: "Location") {
                _ = try? await response.body.collect(upTo: 64 * 1024)
                hop += 1
                guard hop <= settings.maximumRedirects else {
                    return .failure(.malformedResponse("more than \(settings.maximumRedirects) redirects from \(request.endpoint)"))
                }
                guard let next = URLText.resolve(location, against: url) else {
                    return .failure(.malformedResponse("unusable redirect Location from \(URLText.endpoint(url))"))
                }
                if status == 303 || method != .GET {
                    method = .GET
                    body = nil
                }
                logger.debug(
                    "provider request redirected",
                    metadata: [
                        "endpoint": "\(URLText.endpoint(url))", "http_status": "\(status)", "location": "\(URLText.endpoint(next))",
                        "credentials_kept": "\(request.credentials.apply(to: next, hop: hop))",
                    ])
                url = next
                continue
            }
            if mode == .stream, (200..<300).contains(status) {
                return .response(ExchangeResponse(status: status, headers: response.headers, url: url, bytes: [], stream: response.body, receivedAt: clock.now))
            }
            let limit = (200..<300).contains(status) ? settings.maximumJSONBytes : 64 * 1024
            do {
                let collected = try await response.body.collect(upTo: limit)
                return .response(
                    ExchangeResponse(status: status, headers: response.headers, url: url, bytes: Array(collected.readableBytesView), stream: nil, receivedAt: clock.now))
            } catch is NIOTooManyBytesError {
                if (200..<300).contains(status) {
                    return .failure(.malformedResponse("answer of \(URLText.endpoint(url)) is larger than \(limit) bytes"))
                }
                return .response(ExchangeResponse(status: status, headers: response.headers, url: url, bytes: [], stream: nil, receivedAt: clock.now))
            } catch {
                // A body cut short (reset, truncation) is a transport failure.
                return .transport(error)
            }
        }
    }

    static func timeAmount(_ seconds: Double) -> TimeAmount {
        .milliseconds(Int64(max(0, seconds) * 1000))
    }

    /// Whether a transport error proves the request never reached the server (connect refused
    /// or timed out), so even a POST may be sent again.
    static func wasNotSent(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .connectTimeout || error == .getConnectionFromPoolTimeout
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        // NIOPosix's aggregate of failed connection attempts; NIOPosix is not a dependency of
        // this module, so it is recognised by name.
        let typeName = String(describing: type(of: error))
        return typeName == "NIOConnectionError" || typeName == "NWPOSIXError" && "\(error)".contains("refused")
    }

    /// A short, secret-free description of a transport failure.
    static func describe(transport error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "timed out waiting for the answer"
            case .readTimeout: return "read timed out"
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return "connection closed by the server"
            default: return error.shortDescription
            }
        }
        if let error = error as? IOError {
            return error.errnoCode == ECONNREFUSED ? "connection refused" : "I/O error \(error.errnoCode)"
        }
        if wasNotSent(error) { return "connection refused" }
        if error is ChannelError { return "channel error: \(error)" }
        return "transport error: \(String(describing: type(of: error)))"
    }

    /// `HTTP 503 from GET /x (code=…, message="…")`.
    static func describe(status: Int, method: HTTPMethod, endpoint: String, error: ServerErrorBody) -> String {
        var text = "HTTP \(status) from \(method) \(endpoint)"
        if let code = error.code { text += " code=\(code)" }
        if let message = error.message { text += " message=\"\(ProviderFailure.oneLine(message))\"" }
        return text
    }
}
