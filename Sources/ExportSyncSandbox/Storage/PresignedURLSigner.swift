import Crypto
import Foundation

/// Signs and checks S3 SigV2-style query-authenticated URLs
/// (`?AWSAccessKeyId=…&Expires=<epoch>&Signature=<base64 HMAC-SHA1>`). The method is part of
/// the signature, so a URL signed for GET does not authorize HEAD or PUT.
struct PresignedURLSigner: Sendable {
    /// The access key id printed in URLs (not a secret).
    let accessKeyId = "AKIASANDBOXEXAMPLE7Q"
    private let key = SymmetricKey(size: .bits256)

    enum Verdict: Equatable {
        case valid
        case expired(expires: Int)
        case badSignature
        case missing
    }

    /// The query string (without `?`) authorizing `method` on `path` until `expires`, with the
    /// `response-content-*` overrides S3 applies to the answer.
    func query(method: String, path: String, expires: Int, overrides: [(name: String, value: String)]) -> String {
        let signature = sign(method: method, path: path, expires: expires, overrides: overrides)
        var items = [
            "AWSAccessKeyId=\(accessKeyId)", "Expires=\(expires)",
            "Signature=\(PercentEncoding.encode(signature))",
        ]
        for override in overrides { items.append("\(override.name)=\(PercentEncoding.encode(override.value))") }
        return items.joined(separator: "&")
    }

    /// Checks the decoded query parameters of a request for `method` on `path`.
    func verify(method: String, path: String, parameters: [String: String], now: Date) -> Verdict {
        guard let signature = parameters["Signature"], let expiresText = parameters["Expires"],
            parameters["AWSAccessKeyId"] != nil
        else { return .missing }
        guard let expires = Int(expiresText), parameters["AWSAccessKeyId"] == accessKeyId else { return .badSignature }
        let overrides = parameters.filter { $0.key.hasPrefix("response-") }
            .map { (name: $0.key, value: $0.value) }
        let expected = sign(method: method, path: path, expires: expires, overrides: overrides)
        guard Data(expected.utf8) == Data(signature.utf8) else { return .badSignature }
        if Int(now.timeIntervalSince1970) > expires { return .expired(expires: expires) }
        return .valid
    }

    private func sign(method: String, path: String, expires: Int, overrides: [(name: String, value: String)]) -> String {
        var resource = path
        let sorted = overrides.sorted { $0.name < $1.name }
        if !sorted.isEmpty { resource += "?" + sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&") }
        let stringToSign = "\(method)\n\n\n\(expires)\n\(resource)"
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: key)
        return Data(mac).base64EncodedString()
    }
}
