public import Logging

/// A swift-log handler that writes one line per entry to stderr with an sd-daemon `<N>` priority
/// prefix: `<6>download finished job=nightly-csv bytes=1024`.
///
/// Under systemd without the native journal (or with `--log-target stderr`), journald reads the
/// prefix as the entry's priority. Metadata (handler, provider and call metadata merged) follows
/// the message as sorted `key=value` pairs; newlines are escaped so an entry stays one line (see
/// the format notes on the formatter). Text passes through the optional ``SecretRedactor``.
public struct StderrLogHandler: LogHandler {
    /// The logger's label.
    public let label: String
    /// Entries below this level are dropped.
    public var logLevel: Logger.Level
    /// Metadata attached to every entry of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Supplies contextual metadata (e.g. from task-locals) for every entry.
    public var metadataProvider: Logger.MetadataProvider?

    private let output: FileDescriptorLineWriter
    private let redactor: SecretRedactor?

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - logLevel: The minimum level written.
    ///   - redactor: Secrets to hide in messages and metadata.
    ///   - output: Where lines go; stderr unless a test injects a pipe.
    ///   - metadataProvider: Contextual metadata merged into every entry.
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        redactor: SecretRedactor? = nil,
        output: FileDescriptorLineWriter = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.logLevel = logLevel
        self.redactor = redactor
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let metadata = event.effectiveMetadata(handlerMetadata: self.metadata, provider: self.metadataProvider)
            .map { (key: self.redact($0.key), value: self.redact($0.value.flattened)) }
        self.output.write(
            StderrLineFormatter.line(
                priority: SyslogPriority(event.level),
                message: self.redact(event.message.description),
                metadata: metadata
            )
        )
    }

    private func redact(_ text: String) -> String {
        self.redactor?.redact(text) ?? text
    }
}
