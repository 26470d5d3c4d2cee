import Foundation
import ExportSyncCore

/// The scheme, host and port of a URL: the unit credentials are scoped to.
struct HTTPOrigin: Sendable, Hashable, CustomStringConvertible {
    let scheme: String
    let host: String
    let port: Int

    /// The origin of an absolute `http`/`https` URL, or `nil`.
    init?(url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
    }

    var description: String { "\(scheme)://\(host):\(port)" }
}

/// URL helpers that never let a query string (a pre-signed signature) into logs or errors.
enum URLText {
    /// The path of `url` without query or fragment, for logs and error messages (`/` when empty).
    static func endpoint(_ url: String) -> String {
        if let components = URLComponents(string: url) {
            let path = components.percentEncodedPath
            return path.isEmpty ? "/" : path
        }
        let cut = url.firstIndex(where: { $0 == "?" || $0 == "#" }).map { String(url[..<$0]) } ?? url
        return cut.isEmpty ? "/" : cut
    }

    /// `reference` resolved against `base` (RFC 3986); absolute references come back unchanged.
    static func resolve(_ reference: String, against base: String) -> String? {
        let trimmed = reference.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        if HTTPOrigin(url: trimmed) != nil { return trimmed }
        guard let baseURL = URL(string: base), let resolved = URL(string: trimmed, relativeTo: baseURL)?.absoluteURL,
              HTTPOrigin(url: resolved.absoluteString) != nil
        else { return nil }
        return resolved.absoluteString
    }

    /// `base` without a trailing slash, followed by `path` (which starts with `/`).
    static func join(_ base: String, _ path: String) -> String {
        var trimmed = Substring(base)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed) + path
    }
}
