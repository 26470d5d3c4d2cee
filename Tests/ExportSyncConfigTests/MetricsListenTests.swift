import ExportSyncConfig
import Foundation
import Testing

@Suite("[daemon] metrics_listen")
struct MetricsListenTests {
    let loader = ConfigurationLoader(environment: [:], workingDirectory: "/work")

    /// The `[daemon]` table with `lines` added, and one job.
    func load(_ lines: String) throws(ConfigurationError) -> Configuration {
        let text = """
            [daemon]
            output_directory = "/srv/exports"
            \(lines)
            [sources.adm]
            type = "webadmit"
            base_url = "https://api.webadmit.org"
            api_key_env = "ADM_KEY"
            [[jobs]]
            name = "nightly"
            source = "adm"
            kind = "webadmit-export"
            user_identity = 1
            export = 2
            every = "1d"
            output = "out/{filename}"
            """
        return try loader.load(text: text, filePath: "/work/c.toml", fileMode: nil)
    }

    @Test("off by default")
    func offByDefault() throws {
        #expect(try load("").daemon.metricsListen == nil)
    }

    static let accepted: [(text: String, host: String, port: Int)] = [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("127.8.9.10:1", "127.8.9.10", 1), ("localhost:9464", "localhost", 9464),
        ("LOCALHOST:80", "localhost", 80), ("[::1]:9464", "::1", 9464), ("[::ffff:127.0.0.1]:65535", "::ffff:127.0.0.1", 65535),
        ("127.0.0.1:0", "127.0.0.1", 0),
    ]

    @Test("loopback addresses are accepted", arguments: accepted)
    func loopback(text: String, host: String, port: Int) throws {
        let address = try #require(try load("metrics_listen = \"\(text)\"").daemon.metricsListen)
        #expect(address == MetricsListenAddress(host: host, port: port))
    }

    static let remote = ["0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464", "[2001:db8::1]:9464", "128.0.0.1:9464"]

    @Test("a non-loopback address needs allow_remote_metrics = true", arguments: remote)
    func remoteNeedsPermission(text: String) throws {
        let host = try #require(Self.host(text))
        do {
            _ = try load("metrics_listen = \"\(text)\"")
            Issue.record("\(text) was accepted without allow_remote_metrics")
        } catch {
            #expect(error.issues.map(\.description) == [
                "3:1: daemon.metrics_listen: \(host) is not a loopback address and the endpoint has no authentication; use 127.0.0.1 or ::1, or set allow_remote_metrics = true",
            ], "\(error.description)")
        }
        let allowed = try load("metrics_listen = \"\(text)\"\nallow_remote_metrics = true")
        #expect(allowed.daemon.metricsListen?.description == text)
    }

    static let malformed = [
        "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:94a4", ":9464", "::1:9464", "[::1]9464",
        "[::1:9464", "127.attacker.example:9464", "metrics.internal:9464", "localhost.attacker.example:9464", "0x7f.0.0.1:9464",
        "127.0.0.1:9464/metrics", "http://127.0.0.1:9464", "127.0.0.1:+80", " 127.0.0.1:9464",
    ]

    @Test("anything but IP:port, [IPv6]:port or localhost:port is refused", arguments: malformed)
    func refused(text: String) {
        do {
            _ = try load("metrics_listen = \"\(text)\"\nallow_remote_metrics = true")
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.contains("daemon.metrics_listen: invalid address"), "\(text): \(error.description)")
        }
    }

    static func host(_ text: String) -> String? {
        if text.hasPrefix("[") { return text.split(separator: "]").first.map { String($0.dropFirst()) } }
        return text.split(separator: ":").first.map(String.init)
    }
}
