import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/_sandbox/…`: health, the request journal and received uploads, for tests and people
/// driving the sandbox from outside the process. Not journaled themselves.
struct ControlRoutes: Sendable {
    let environment: SandboxEnvironment
    let started = Date()

    func register(on router: Router<SandboxRequestContext>) {
        router.get("/_sandbox/health") { _, _ in
            Reply.json(.ok, Health(status: "ok", uptimeSeconds: Int(Date().timeIntervalSince(self.started)))).response()
        }
        router.get("/_sandbox/journal") { _, _ in
            Self.encoded(self.environment.journal.entries())
        }
        router.delete("/_sandbox/journal") { _, _ in
            self.environment.journal.clear()
            return Reply(status: .noContent).response()
        }
        router.get("/_sandbox/uploads") { _, _ in
            Self.encoded(await self.environment.state.receivedUploads())
        }
        // A sink for WebAdMIT callbacks, so a demo or test can use the sandbox itself as the
        // callback receiver: POST bodies are kept and listed by the GET.
        router.post("/_sandbox/callbacks") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            await self.environment.state.recordCallback(String(buffer: body))
            return Reply(status: .noContent).response()
        }
        router.get("/_sandbox/callbacks") { _, _ in
            Self.encoded(await self.environment.state.receivedCallbacks())
        }
    }

    /// JSON with ISO 8601 dates carrying fractional seconds (timing assertions need them).
    struct Health: Encodable {
        let status: String
        let uptimeSeconds: Int
    }

    static func encoded(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        let bytes = (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("[]".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
