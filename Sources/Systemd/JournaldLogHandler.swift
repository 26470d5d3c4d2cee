public import Logging

/// A swift-log handler that writes structured entries to journald over its native protocol.
///
/// Every entry carries `MESSAGE`, `PRIORITY` (see ``SyslogPriority``), `SYSLOG_IDENTIFIER`,
/// `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, `LOGGER_LABEL`, and one field per metadata key (handler
/// metadata, metadata provider and call metadata merged in that order of precedence), named by
/// ``JournalFieldName/sanitize(_:)``: `logger[metadataKey: "job"] = "nightly-csv"` becomes
/// `JOB=nightly-csv`, so `journalctl -u exportsync JOB=nightly-csv` finds it.
///
/// Text passes through the optional ``SecretRedactor`` first. If journald cannot be reached, the
/// entry is written to the fallback writer (stderr) in ``StderrLogHandler``'s format instead:
/// logging never throws, crashes, or blocks longer than the connection's send timeout.
public struct JournaldLogHandler: LogHandler {
    /// The logger's label, sent as `LOGGER_LABEL`.
    public let label: String
    /// Entries below this level are dropped.
    public var logLevel: Logger.Level
    /// Metadata attached to every entry of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Supplies contextual metadata (e.g. from task-locals) for every entry.
    public var metadataProvider: Logger.MetadataProvider?

    private let connection: JournalConnection
    private let syslogIdentifier: String
    private let redactor: SecretRedactor?
    private let fallback: FileDescriptorLineWriter

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - connection: The shared journald client.
    ///   - syslogIdentifier: `SYSLOG_IDENTIFIER`, what `journalctl -t` filters on (e.g. `exportsync`).
    ///   - logLevel: The minimum level written.
    ///   - redactor: Secrets to hide in messages and metadata.
    ///   - fallback: Where an entry goes when journald cannot take it.
    ///   - metadataProvider: Contextual metadata merged into every entry.
    public init(
        label: String,
        connection: JournalConnection,
        syslogIdentifier: String,
        logLevel: Logger.Level = .info,
        redactor: SecretRedactor? = nil,
        fallback: FileDescriptorLineWriter = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.connection = connection
        self.syslogIdentifier = syslogIdentifier
        self.logLevel = logLevel
        self.redactor = redactor
        self.fallback = fallback
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let priority = SyslogPriority(event.level)
        let message = self.redact(event.message.description)
        let metadata = event.effectiveMetadata(handlerMetadata: self.metadata, provider: self.metadataProvider)
            .map { (key: self.redact($0.key), value: self.redact($0.value.flattened)) }

        var entry = JournalEntry()
        entry.append("MESSAGE", message)
        entry.append("PRIORITY", String(priority.rawValue))
        entry.append("SYSLOG_IDENTIFIER", self.syslogIdentifier)
        entry.append("CODE_FILE", event.file)
        entry.append("CODE_LINE", String(event.line))
        entry.append("CODE_FUNC", event.function)
        entry.append("LOGGER_LABEL", self.label)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            entry.append(JournalFieldName.sanitize(key), value)
        }

        do {
            try self.connection.send(entry.encoded())
        } catch {
            self.fallback.write(StderrLineFormatter.line(priority: priority, message: message, metadata: metadata))
        }
    }

    private func redact(_ text: String) -> String {
        self.redactor?.redact(text) ?? text
    }
}
