import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which service's error format a fault answers in.
enum ErrorDialect: Sendable {
    case workiva(WorkivaFlavor?)
    case webadmit
    case storage
}

/// Thrown after the sandbox dropped a connection on purpose (reset, hang, truncation).
struct ConnectionAborted: Error {}

extension SandboxEnvironment {
    /// Performs the faults that replace the answer. Returns the replacement reply (`.status`),
    /// throws ``ConnectionAborted`` after dropping the connection (`.reset`, `.hang`), or
    /// returns `nil` so the handler answers normally (after waiting, for `.delay`).
    func replacement(for rule: FaultRule?, dialect: ErrorDialect, context: SandboxRequestContext) async throws -> Reply? {
        guard let rule else { return nil }
        switch rule.kind {
        case .status:
            let status = Reply.status(code: rule.status ?? 500)
            let reply: Reply
            switch dialect {
            case .workiva(let flavor):
                reply = .workivaError(status, flavor: flavor, retryAfter: rule.retryAfter)
            case .webadmit:
                reply = Reply.webadmitMessage(status, status.reasonPhrase).withRetryAfter(rule.retryAfter)
            case .storage:
                let code = status.code == 503 ? "SlowDown" : status.code == 500 ? "InternalError" : status.reasonPhrase.filter(\.isLetter)
                let message = status.code == 503 ? "Please reduce your request rate." : "We encountered an internal error. Please try again."
                reply = Reply.s3Error(status, code: code, message: message).withRetryAfter(rule.retryAfter)
            }
            if rule.retryAfterDate == true, let seconds = rule.retryAfter {
                // Whole seconds rounded up: the date is never earlier than `retryAfter` from now.
                let date = (clock.now().timeIntervalSince1970 + TimeInterval(seconds)).rounded(.up)
                return reply.withRetryAfterDate(Date(timeIntervalSince1970: date))
            }
            return reply
        case .reset:
            await resetConnection(context.channel)
            throw ConnectionAborted()
        case .hang:
            let deadline = Date().addingTimeInterval(rule.seconds ?? 3600)
            while Date() < deadline, context.channel.isActive, !isShuttingDown.load(ordering: .relaxed), !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
            }
            context.channel.close(promise: nil)
            throw ConnectionAborted()
        case .delay:
            try? await Task.sleep(for: .seconds(rule.seconds ?? 1))
            return nil
        case .echoCredentials:
            // ``JournalMiddleware`` has the request and writes the echo.
            var reply = Reply(status: Reply.status(code: rule.status ?? 400))
            reply.headers[.sandboxEchoCredentials] = "1"
            return reply
        case .resetAfterEffect, .truncate, .malformedJSON, .unknownFields, .relativeLocation, .resourceURLCasing, .foreignNextLink:
            return nil
        }
    }

    /// Closes with SO_LINGER 0, so the peer sees a TCP RST rather than an orderly FIN.
    func resetConnection(_ channel: any Channel) async {
        if let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close().get()
    }

    /// Applies the body faults (and the scenario-wide unknown fields) and builds the response.
    func finalize(_ reply: Reply, fault rule: FaultRule?) -> Response {
        var reply = reply
        if case .bytes(let bytes, true) = reply.body {
            if rule?.kind == .malformedJSON {
                // Cut inside the document: a decoder must fail, not guess.
                reply.status = .ok
                reply.body = .bytes(Array(bytes.prefix(max(1, bytes.count / 2))) + Array(",\"".utf8), isJSON: false)
            } else if scenario.unknownFields || rule?.kind == .unknownFields {
                reply.body = .bytes(bytes.insertingUnknownField(), isJSON: true)
            }
        }
        var response = reply.response()
        if rule?.kind == .resetAfterEffect {
            // The handler has done its work; ``JournalMiddleware`` drops the connection instead
            // of sending this answer.
            response.headers[.sandboxResetAfterEffect] = "1"
        }
        if rule?.kind == .truncate {
            response.body = Self.truncated(response.body)
        }
        return response
    }

    /// A body that announces its full length, writes half of it and then drops the connection.
    private static func truncated(_ body: ResponseBody) -> ResponseBody {
        let full = body.contentLength ?? 0
        return ResponseBody(contentLength: full) { writer in
            try await body.write(TruncatingWriter(base: writer, remaining: full / 2))
            throw ConnectionAborted()
        }
    }
}

extension HTTPField.Name {
    /// Marks a response the sandbox replaces by a connection reset (never sent on the wire).
    static let sandboxResetAfterEffect = HTTPField.Name("X-Sandbox-Reset-After-Effect")!
    /// Marks a response whose body ``JournalMiddleware`` replaces by an echo of the credentials.
    static let sandboxEchoCredentials = HTTPField.Name("X-Sandbox-Echo-Credentials")!
}

/// Forwards at most `remaining` bytes, then throws ``ConnectionAborted``.
private struct TruncatingWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    var remaining: Int

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard remaining > 0 else { throw ConnectionAborted() }
        if buffer.readableBytes <= remaining {
            remaining -= buffer.readableBytes
            try await base.write(buffer)
            return
        }
        let head = buffer.getSlice(at: buffer.readerIndex, length: remaining) ?? ByteBuffer()
        remaining = 0
        try await base.write(head)
        throw ConnectionAborted()
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        throw ConnectionAborted()
    }
}
