import Foundation
import HTTPTypes

/// Workiva `ErrorResponse` body.
struct WorkivaErrorBody: Encodable {
    struct Detail: Encodable {
        let code: String?
        let message: String?
        let target: String?
    }

    let code: String
    let message: String
    let target: String?
    let details: [Detail]?
    let documentationUrl: String?
    let version: String?
}

/// Workiva IAM `IamError` body.
struct IamErrorBody: Encodable {
    let error: String
    let error_description: String
    let error_uri: String?
}

extension Reply {
    /// The status for `code` with its standard reason phrase (`Status(code:)` leaves it empty).
    static func status(code: Int) -> HTTPResponse.Status {
        let known: [HTTPResponse.Status] = [
            .badRequest, .unauthorized, .forbidden, .notFound, .requestTimeout, .conflict, .gone, .tooManyRequests,
            .internalServerError, .notImplemented, .badGateway, .serviceUnavailable, .gatewayTimeout,
        ]
        return known.first { $0.code == code } ?? HTTPResponse.Status(code: code, reasonPhrase: "Error")
    }

    /// The documented default message for each Workiva error status.
    static func workivaMessage(for status: Int) -> String {
        switch status {
        case 400: "The request was unacceptable, often due to a missing or invalid parameter"
        case 401: "No valid API token provided"
        case 403: "The API token does not have permissions to perform the request"
        case 404: "The requested resource could not be found"
        case 409: "The request conflicts with another request"
        case 429: "Too many requests have been made against the API in too short a time"
        case 500: "The server encountered an unexpected condition that prevented it from fulfilling the request"
        case 503: "The server cannot handle the request due to a temporary overload or scheduled maintenance"
        default: Reply.status(code: status).reasonPhrase
        }
    }

    /// A Workiva `ErrorResponse` (`{"code":"404NotFound","message":…}`); 502/504 are HTML pages.
    static func workivaError(
        _ status: HTTPResponse.Status, flavor: WorkivaFlavor?, message: String? = nil, target: String? = nil,
        details: [WorkivaErrorBody.Detail]? = nil, retryAfter: Int? = nil
    ) -> Reply {
        if status.code == 502 || status.code == 504 { return gatewayPage(status).withRetryAfter(retryAfter) }
        let code = "\(status.code)" + status.reasonPhrase.filter { $0.isLetter }
        let body = WorkivaErrorBody(
            code: code, message: message ?? workivaMessage(for: status.code), target: target, details: details,
            documentationUrl: flavor == .v2026 ? "https://developers.workiva.com/2026-01-01/errors" : nil,
            version: flavor == .v2026 ? "2026-01-01" : nil
        )
        return json(status, body).withRetryAfter(retryAfter)
    }

    /// An OAuth `IamError` body.
    static func iamError(_ status: HTTPResponse.Status, error: String, description: String) -> Reply {
        json(status, IamErrorBody(error: error, error_description: description, error_uri: nil))
    }

    /// WebAdMIT's `{"message": …}` error body.
    static func webadmitMessage(_ status: HTTPResponse.Status, _ message: String) -> Reply {
        if status.code == 502 || status.code == 504 { return gatewayPage(status) }
        return json(status, ["message": message])
    }

    /// An S3 XML error document; HEAD answers carry no body, as S3's do.
    static func s3Error(
        _ status: HTTPResponse.Status, code: String, message: String, extra: [(String, String)] = [], bodyless: Bool = false
    ) -> Reply {
        if bodyless {
            return Reply(status: status, headers: [.contentType: "application/xml"])
        }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(xmlEscaped(message))</Message>"
        for (name, value) in extra { xml += "<\(name)>\(xmlEscaped(value))</\(name)>" }
        let requestId = SandboxState.randomHex(bytes: 8).uppercased()
        xml += "<RequestId>\(requestId)</RequestId><HostId>\(Data(requestId.utf8).base64EncodedString())</HostId></Error>"
        return text(status, xml, contentType: "application/xml")
    }

    private static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Adds `Retry-After: seconds` when `seconds` is given.
    func withRetryAfter(_ seconds: Int?) -> Reply {
        guard let seconds else { return self }
        var copy = self
        copy.headers[.retryAfter] = String(seconds)
        return copy
    }

    /// Replaces `Retry-After` by the IMF-fixdate form (RFC 9110 §10.2.3) of `date`.
    func withRetryAfterDate(_ date: Date) -> Reply {
        var copy = self
        copy.headers[.retryAfter] = date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .padded(4)) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT",
                locale: Locale(identifier: "en_US_POSIX"), timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
        return copy
    }
}
