import Foundation

/// The `code` and `message` of an error answer, whatever the dialect: Workiva `ErrorResponse`
/// (`code`, `message`), IAM `IamError` (`error`, `error_description`), WebAdMIT (`message`) or
/// S3's XML (`<Code>`, `<Message>`). Nothing else of the body is kept (S3 echoes the offending
/// `Authorization` header in `<ArgumentValue>`).
struct ServerErrorBody: Sendable, Hashable {
    var code: String?
    var message: String?

    init(code: String?, message: String?) {
        self.code = code
        self.message = message
    }

    init(_ bytes: [UInt8]) {
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
            code = Self.text(object["code"]) ?? Self.text(object["error"])
            message = Self.text(object["message"]) ?? Self.text(object["error_description"])
            return
        }
        let text = String(decoding: bytes.prefix(64 * 1024), as: UTF8.self)
        if text.contains("<Error>") {
            code = Self.element("Code", in: text)
            message = Self.element("Message", in: text)
        }
    }

    /// Whether this is S3's answer to an expired pre-signed URL.
    var isExpiredURL: Bool {
        message?.localizedCaseInsensitiveContains("request has expired") ?? false
    }

    private static func text(_ value: Any?) -> String? {
        guard let string = value as? String, !string.isEmpty else { return nil }
        return string
    }

    private static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        let raw = String(xml[open.upperBound..<close.lowerBound])
        let unescaped = raw.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        return unescaped.isEmpty ? nil : unescaped
    }
}
