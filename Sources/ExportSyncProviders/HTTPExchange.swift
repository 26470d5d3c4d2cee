import AsyncHTTPClient
import ExportSyncCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sends one ``OutgoingRequest`` with layer-1 retries, hand-followed redirects and credential
/// scoping. Shared by both clients; it knows HTTP, not Workiva or WebAdMIT.
struct HTTPExchange: Sendable {
    /// Whether a 2xx body is read into memory (JSON) or handed back unread (downloads).
    enum BodyMode: Sendable { case collect, stream }

    let httpClient: HTTPClient
    let logger: Logger
    let settings: ProviderSettings
    let clock: any ProviderClock
    let jitter: JitterSource

    /// Statuses that mean "try again later".
    static func isTransientStatus(_ status: Int) -> Bool {
        status == 429 || status == 500 || status == 502 || status == 503 || status == 504
    }

    private enum AttemptOutcome {
        case response(ExchangeResponse)
        case transport(any Error)
        case failure(ProviderFailure)
    }

    /// Sends `request`. Returns the final answer when it is not transient (2xx, 3xx not followed,
    /// 4xx but 429); throws `.transient` once 429/5xx/transport failures exhaust the retry budget
    /// (or at once where ``OutgoingRequest/RetryClass/kickoff`` forbids a retry).
    func send(_ request: OutgoingRequest, mode: BodyMode) async throws(ProviderFailure) -> ExchangeResponse {
        let started = clock.now
        let endpoint = request.endpoint
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw .transient(reason: "\(request.method) \(endpoint) cancelled", retryAfter: nil) }
            if let rateLimit = request.rateLimit {
                do { try await rateLimit() } catch {
                    throw .transient(reason: "\(request.method) \(endpoint) cancelled while waiting for the rate limit", retryAfter: nil)
                }
            }
            let outcome = await self.attempt(request, mode: mode)
            let reason: String
            let retryable: Bool
            var serverWait: Double?
            var metadata: Logger.Metadata = ["endpoint": "\(endpoint)", "method": "\(request.method)", "attempt": "\(attempt)"]
            switch outcome {
            case .failure(let failure):
                throw failure
            case .response(let response):
                metadata["http_status"] = "\(response.status)"
                logger.debug("provider request answered", metadata: metadata)
                guard Self.isTransientStatus(response.status) else { return response }
                let error = ServerErrorBody(response.bytes)
                reason = Self.describe(status: response.status, method: request.method, endpoint: response.endpoint, error: error)
                serverWait = RetryAfter.delay(header: response.header("Retry-After"), now: clock.now, bounds: 0...86_400)
                retryable = response.status == 429 || request.retryClass == .idempotent
            case .transport(let error):
                if Task.isCancelled { throw .transient(reason: "\(request.method) \(endpoint) cancelled", retryAfter: nil) }
                reason = "\(request.method) \(endpoint): \(Self.describe(transport: error))"
                retryable = request.retryClass == .idempotent || Self.wasNotSent(error)
                metadata["error"] = "\(Self.describe(transport: error))"
                logger.debug("provider request failed in transport", metadata: metadata)
            }

            let attemptsLeft = attempt < settings.retryPolicy.maximumAttempts
            let wait = serverWait ?? (attemptsLeft ? jitter.delay(settings.retryPolicy, afterAttempt: attempt) : nil)
            let elapsed = clock.now.timeIntervalSince(started)
            var giveUp: String?
            if !retryable {
                giveUp = request.retryClass == .kickoff ? "not retried: the server may have acted on the POST" : "not retryable"
            } else if !attemptsLeft {
                giveUp = "after \(attempt) attempts"
            } else if let wait, wait > settings.maximumRetryAfterSeconds {
                giveUp = "server asks to wait \(ProviderFailure.seconds(wait)) s"
            } else if elapsed + (wait ?? 0) > settings.retryBudgetSeconds {
                giveUp = "retry budget of \(ProviderFailure.seconds(settings.retryBudgetSeconds)) s spent"
            }
            if let giveUp {
                metadata["retry_after"] = serverWait.map { "\(ProviderFailure.seconds($0))" }
                logger.warning("provider request gave up: \(reason) (\(giveUp))", metadata: metadata)
                throw .transient(reason: "\(reason) (\(giveUp))", retryAfter: serverWait)
            }
            let delay = wait ?? 0
            metadata["retry_in"] = "\(ProviderFailure.seconds(delay))"
            logger.debug("provider request will be retried: \(reason)", metadata: metadata)
            do { try await clock.sleep(seconds: delay) } catch {
                throw .transient(reason: "\(reason) (cancelled while waiting to retry)", retryAfter: serverWait)
            }
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
                return .response(ExchangeResponse(status: status, headers: response.headers, url: url, bytes: [], stream: response.body))
            }
            let limit = (200..<300).contains(status) ? settings.maximumJSONBytes : 64 * 1024
            do {
                let collected = try await response.body.collect(upTo: limit)
                return .response(
                    ExchangeResponse(status: status, headers: response.headers, url: url, bytes: Array(collected.readableBytesView), stream: nil))
            } catch is NIOTooManyBytesError {
                if (200..<300).contains(status) {
                    return .failure(.malformedResponse("answer of \(URLText.endpoint(url)) is larger than \(limit) bytes"))
                }
                return .response(ExchangeResponse(status: status, headers: response.headers, url: url, bytes: [], stream: nil))
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
