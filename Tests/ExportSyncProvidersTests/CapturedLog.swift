import ExportSyncProviders
import Foundation
import Logging
import Synchronization
import Testing

/// Every log line the clients wrote (trace level and up), with its metadata, so tests can
/// assert on attempts and scan for leaked secrets.
final class CapturedLog: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]

        var text: String { "\(level) \(message) " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    private let storage = Mutex<[Line]>([])
    /// Extra strings that must never appear (tokens, download URLs seen during a test).
    private let forbidden = Mutex<[String]>([])

    var lines: [Line] { storage.withLock { $0 } }

    func logger() -> Logger {
        var logger = Logger(label: "exportsync.providers.test") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: Line) { storage.withLock { $0.append(line) } }

    /// Adds a string that must not show up in any line (e.g. a pre-signed query seen by the test).
    func forbid(_ text: String) { forbidden.withLock { $0.append(text) } }

    /// Lines whose message contains `text`.
    func lines(containing text: String) -> [Line] { lines.filter { $0.message.contains(text) } }

    /// Fails the test when a secret, a token, an api key or a pre-signed query shows up.
    func assertNoSecrets(sourceLocation: SourceLocation = #_sourceLocation) {
        let needles = [Fixture.clientSecret, Fixture.apiKey, "sbx.", "Signature=", "AWSAccessKeyId", "Expires=", "Bearer "]
            + forbidden.withLock { $0 }
        for line in lines {
            for needle in needles where line.text.contains(needle) {
                Issue.record("log line leaks '\(needle)': \(line.text)", sourceLocation: sourceLocation)
            }
        }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let extra = event.metadata { merged.merge(extra) { $1 } }
            log.append(Line(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
