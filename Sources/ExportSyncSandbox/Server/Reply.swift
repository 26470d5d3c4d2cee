import Foundation
import HTTPTypes
import Hummingbird

/// A response under construction. Handlers build replies rather than `Response`s so that
/// body faults (malformed JSON, unknown fields, truncation) can still see and change the bytes.
struct Reply: Sendable {
    enum Body: Sendable {
        case empty
        /// A complete body; `isJSON` marks it as a JSON document the JSON faults may alter.
        case bytes([UInt8], isJSON: Bool)
        /// A streamed body of known length.
        case stream(ResponseBody)
    }

    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Body

    init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON reply; slashes stay unescaped so URLs read naturally.
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Reply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let bytes = (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("{}".utf8)
        var headers = headers
        headers[.contentType] = "application/json"
        return Reply(status: status, headers: headers, body: .bytes(bytes, isJSON: true))
    }

    /// A body of fixed text with the given content type.
    static func text(_ status: HTTPResponse.Status, _ text: String, contentType: String, headers: HTTPFields = [:]) -> Reply {
        var headers = headers
        headers[.contentType] = contentType
        return Reply(status: status, headers: headers, body: .bytes(Array(text.utf8), isJSON: false))
    }

    /// The HTML page a load balancer answers a 502 or 504 with (not JSON, whatever the API).
    static func gatewayPage(_ status: HTTPResponse.Status) -> Reply {
        let title = "\(status.code) \(status.reasonPhrase)"
        return text(
            status, "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n</body>\r\n</html>\r\n",
            contentType: "text/html")
    }

    /// Converts to a Hummingbird response.
    func response() -> Response {
        switch body {
        case .empty:
            var headers = headers
            headers[.contentLength] = "0"
            return Response(status: status, headers: headers, body: ResponseBody())
        case .bytes(let bytes, _):
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .stream(let body):
            return Response(status: status, headers: headers, body: body)
        }
    }
}

extension [UInt8] {
    /// The JSON object with an unknown field inserted first, as a vendor adding fields would.
    func insertingUnknownField() -> [UInt8] {
        guard first == UInt8(ascii: "{") else { return self }
        let field = Array("\"x_sandbox_unknown\":{\"note\":\"clients must ignore unknown fields\",\"n\":1},".utf8)
        let rest = self.dropFirst()
        if rest.first == UInt8(ascii: "}") { return [UInt8(ascii: "{")] + field.dropLast() + rest }
        return [UInt8(ascii: "{")] + field + rest
    }
}
