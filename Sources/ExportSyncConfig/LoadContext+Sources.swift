import ExportSyncCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension LoadContext {
    func readSources(_ top: TableReader) -> [String: SourceSpec] {
        guard let sourcesTable = top.table("sources", required: true) else { return [:] }
        var sources: [String: SourceSpec] = [:]
        for name in sourcesTable.table.keys.sorted() {
            guard let reader = sourcesTable.table(name) else { continue }
            guard NamePattern.isSourceName(name) else {
                collector.report(reader.path, "invalid source name \"\(name)\"; use lower-case letters, digits, \"-\" and \"_\" (at most 64)")
                continue
            }
            guard let typeName = reader.string("type", required: true) else { continue }
            switch SourceType(rawValue: typeName) {
            case .workiva:
                if let spec = readWorkivaSource(name: name, reader) { sources[name] = .workiva(spec) }
            case .webadmit:
                if let spec = readWebAdmitSource(name: name, reader) { sources[name] = .webadmit(spec) }
            case nil:
                reader.report("type", "unknown source type \"\(typeName)\"; use \"workiva\" or \"webadmit\"")
                continue
            }
            reader.reportUnknownKeys(context: "for a \(typeName) source")
        }
        if sourcesTable.table.isEmpty { collector.report("sources", "no sources defined") }
        return sources
    }

    private func readWorkivaSource(name: String, _ reader: TableReader) -> WorkivaSourceSpec? {
        let allowInsecure = reader.bool("allow_insecure_http") ?? false
        let baseURL = readBaseURL(reader, default: nil, allowInsecure: allowInsecure)
        var version = WorkivaAPIVersion.v2026
        if let text = reader.string("api_version") {
            if let parsed = WorkivaAPIVersion(rawValue: text) { version = parsed } else {
                reader.report("api_version", "unsupported API version \"\(text)\"; use \"2026-01-01\" or \"2022-01-01\"")
            }
        }
        var tokenURL = baseURL.map { $0 + "/iam/v1/oauth2/token" }
        if let text = reader.string("token_url") {
            // The client secret goes to this URL: the same plain-http rule as base_url.
            tokenURL = checkURL(text, key: "token_url", reader).flatMap {
                Self.refusingInsecureHTTP($0, key: "token_url", allowInsecure: allowInsecure, reader)
            }
        }
        let clientID = reader.string("client_id", required: true)
        let secret = readSecret(reader, base: "client_secret", what: "the client secret")
        let requestsPerSecond = readRate(reader, key: "requests_per_second", default: 5, range: 0.01...1_000)
        let pollsPerSecond = readRate(reader, key: "polls_per_second", default: 1, range: 0.01...1_000)
        let sendAuthorization = reader.bool("send_authorization_on_upload") ?? true
        guard let baseURL, let tokenURL, let clientID, let secret else { return nil }
        return WorkivaSourceSpec(name: name, baseURL: baseURL, apiVersion: version, tokenURL: tokenURL, clientID: clientID,
                                 clientSecret: secret, requestsPerSecond: requestsPerSecond, pollsPerSecond: pollsPerSecond,
                                 sendAuthorizationOnUpload: sendAuthorization)
    }

    private func readWebAdmitSource(name: String, _ reader: TableReader) -> WebAdmitSourceSpec? {
        let baseURL = readBaseURL(reader, default: "https://api.webadmit.org", allowInsecure: reader.bool("allow_insecure_http") ?? false)
        let identity = readIdentifier(reader, "user_identity", required: false)
        let key = readSecret(reader, base: "api_key", what: "the API key")
        var perHour = 5_000
        if let configured = reader.integer("requests_per_hour") {
            if (1...1_000_000).contains(configured) { perHour = configured } else {
                reader.report("requests_per_hour", "must be between 1 and 1000000, got \(configured)")
            }
        }
        let pollInterval = readPollInterval(reader)
        guard let baseURL, let key else { return nil }
        return WebAdmitSourceSpec(
            name: name, baseURL: baseURL, userIdentity: identity, apiKey: key, requestsPerHour: perHour,
            pollIntervalSeconds: pollInterval)
    }

    /// `poll_interval`: a duration of at least one second (default 5 s) between two status polls
    /// of one export file. A zero or sub-second spelling (`"0s"`, `"500ms"`, `"0.5s"`) is named as
    /// too short rather than as an unreadable duration.
    private func readPollInterval(_ reader: TableReader) -> Double {
        let key = "poll_interval", defaultSeconds = 5.0
        if case .string(let text)? = reader.table[key], ConfigDuration.seconds(text) == nil, Self.isSubSecondDuration(text) {
            reader.markKnown(key)
            reader.report(key, "must be at least 1s, got \"\(text)\"")
            return defaultSeconds
        }
        guard let seconds = reader.duration(key) else { return defaultSeconds }
        guard seconds >= 1 else {
            reader.report(key, "must be at least 1s, got \"\(ConfigDuration.format(seconds))\"")
            return defaultSeconds
        }
        return Double(seconds)
    }

    /// Whether `text` spells a duration shorter than a second: all-zero amounts (`"0s"`,
    /// `"0m0s"`), milliseconds below 1000 (`"500ms"`) or a fraction of a second (`"0.5s"`).
    private static func isSubSecondDuration(_ text: String) -> Bool {
        if Self.isZeroDuration(text) { return true }
        if text.hasSuffix("ms") {
            let amount = text.dropLast(2)
            return !amount.isEmpty && amount.allSatisfy { $0.isASCII && $0.isNumber } && (Int(amount).map { $0 < 1_000 } ?? false)
        }
        if text.hasSuffix("s"), let amount = Double(text.dropLast()), text.contains("."), amount >= 0, amount < 1 {
            return true
        }
        return false
    }

    /// `"0s"`, `"00m"`, `"0h0m"`: every unit preceded by zeros only.
    private static func isZeroDuration(_ text: String) -> Bool {
        let units: Set<Character> = ["w", "d", "h", "m", "s"]
        var zeros = 0
        for character in text {
            if character == "0" {
                zeros += 1
            } else if units.contains(character), zeros > 0 {
                zeros = 0
            } else {
                return false
            }
        }
        return !text.isEmpty && zeros == 0
    }

    private func readRate(_ reader: TableReader, key: String, default value: Double, range: ClosedRange<Double>) -> Double {
        guard let rate = reader.number(key) else { return value }
        guard range.contains(rate) else {
            reader.report(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(rate)")
            return value
        }
        return rate
    }

    /// `base_url` without a trailing slash; plain http only to loopback unless allowed.
    private func readBaseURL(_ reader: TableReader, default defaultURL: String?, allowInsecure: Bool) -> String? {
        guard let text = reader.string("base_url", required: defaultURL == nil) ?? defaultURL else { return nil }
        guard let url = checkURL(text, key: "base_url", reader) else { return nil }
        return Self.refusingInsecureHTTP(url, key: "base_url", allowInsecure: allowInsecure, reader)
    }

    /// `url`, unless it is plain http to a host that is not loopback (every URL the daemon sends
    /// a credential to): then a reported error and `nil`, unless `allow_insecure_http` is set.
    private static func refusingInsecureHTTP(_ url: String, key: String, allowInsecure: Bool, _ reader: TableReader) -> String? {
        guard url.lowercased().hasPrefix("http://"), !allowInsecure, !isLoopback(url) else { return url }
        reader.report(key, "plain http to a non-loopback host would send credentials unencrypted; use https, or set allow_insecure_http = true")
        return nil
    }

    /// Checks an http(s) URL with a host and no query or fragment; answers it without a trailing slash.
    private func checkURL(_ text: String, key: String, _ reader: TableReader) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            reader.report(key, "invalid URL \"\(text)\"; expected http(s)://host[:port][/path]")
            return nil
        }
        guard components.query == nil, components.fragment == nil, components.user == nil, components.password == nil else {
            reader.report(key, "the URL must not carry a query, fragment or user information")
            return nil
        }
        var result = text
        while result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// Whether `url`'s host is the loopback interface: the name `localhost`, an IPv4 address in
    /// 127.0.0.0/8 or the IPv6 address ::1 (also IPv4-mapped, ::ffff:127.x.y.z), parsed as an
    /// address — `127.attacker.example` is a name, not a loopback address.
    static func isLoopback(_ url: String) -> Bool {
        guard var host = URLComponents(string: url)?.host?.lowercased() else { return false }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        return mapped && bytes[12] == 127
    }

    /// Exactly one of `<base>`, `<base>_file`, `<base>_credential`, `<base>_env`.
    private func readSecret(_ reader: TableReader, base: String, what: String) -> SecretReference? {
        let routes = [base, base + "_file", base + "_credential", base + "_env"]
        let present = routes.filter { reader.contains($0) }
        guard present.count == 1, let route = present.first else {
            if present.isEmpty {
                collector.report(reader.path, "missing \(what): set exactly one of \(base)_file, \(base)_credential or \(base)_env")
            } else {
                reader.report(present[1], "set exactly one of \(routes.joined(separator: ", ")); found \(present.joined(separator: " and "))")
            }
            return nil
        }
        guard let value = reader.string(route) else { return nil }
        switch route {
        case base:
            if let mode = insecureFileMode {
                reader.report(base, "\(what) is written inline, but \(filePath) can be read by group or others (mode \(mode)); move it to \(base)_file, \(base)_credential or \(base)_env, or make the file private (chmod 600)")
                return nil
            }
            return .inline(Secret(value))
        case base + "_file":
            return .file(path: resolvePath(value))
        case base + "_credential":
            guard !value.contains("/"), value != ".", value != ".." else {
                reader.report(route, "a credential name must not contain \"/\"; it names a file in $CREDENTIALS_DIRECTORY")
                return nil
            }
            return .credential(name: value)
        default:
            guard NamePattern.isEnvironmentVariableName(value) else {
                reader.report(route, "invalid environment variable name \"\(value)\"")
                return nil
            }
            return .environment(variable: value)
        }
    }

    /// An identifier that goes into a URL path: a string (or an integer, taken as its digits)
    /// with no `/`, `?`, `#`, `%` or white space.
    func readIdentifier(_ reader: TableReader, _ key: String, required: Bool) -> String? {
        let value: String?
        if case .integer(let number)? = reader.table[key] {
            reader.markKnown(key)
            value = String(number)
        } else {
            value = reader.string(key, required: required)
        }
        guard let value else { return nil }
        guard value.unicodeScalars.allSatisfy({ !"/?#% \t\n\r".unicodeScalars.contains($0) && $0.value >= 0x20 }) else {
            reader.report(key, "\"\(value)\" is not a valid identifier (no \"/\", \"?\", \"#\", \"%\" or white space)")
            return nil
        }
        guard value != ".", value != ".." else {
            // In a URL path, "." and ".." are resolved away: the request would go to another endpoint.
            reader.report(key, "\"\(value)\" is not a valid identifier (it would change the API path it is placed in)")
            return nil
        }
        return value
    }
}
