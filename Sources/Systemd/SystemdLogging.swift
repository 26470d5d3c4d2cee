public import Logging

/// Chooses and builds the daemon's log handlers: journald or stderr, with shared redaction.
///
/// Decide once at start-up, then bootstrap swift-log with it:
/// ```swift
/// let redactor = SecretRedactor()
/// let logging = SystemdLogging(
///     target: options.logTarget,                    // LogTarget, from --log-target
///     syslogIdentifier: "exportsync",
///     environment: ProcessInfo.processInfo.environment,
///     redactor: redactor
/// )
/// LoggingSystem.bootstrap(logging.makeHandler(label:metadataProvider:), metadataProvider: nil)
/// // … after loading credentials:
/// redactor.add(configuration.secrets)
/// ```
/// All handlers made by one value share one journald socket and one stderr writer.
public struct SystemdLogging: Sendable {
    /// Where entries go: decided at creation.
    public let destination: LogDestination
    /// `SYSLOG_IDENTIFIER` of every journald entry.
    public let syslogIdentifier: String
    /// The level new handlers start with.
    public let logLevel: Logger.Level
    /// The secrets hidden from every entry, if any.
    public let redactor: SecretRedactor?

    private let journal: JournalConnection?
    private let standardError: FileDescriptorLineWriter

    /// Resolves `target` against the environment and prepares the shared outputs.
    ///
    /// - Parameters:
    ///   - target: `auto` (the default) picks journald only when stderr is the journal stream.
    ///   - syslogIdentifier: `SYSLOG_IDENTIFIER`, e.g. `"exportsync"`.
    ///   - environment: Where `JOURNAL_STREAM` is read from.
    ///   - journalSocketPath: journald's native socket (a test listener in tests).
    ///   - logLevel: The minimum level of new handlers.
    ///   - redactor: Secrets to hide; keep a reference to add secrets later.
    ///   - standardError: The stderr writer (stderr lines, and journald's fallback).
    ///   - standardErrorDescriptor: The descriptor compared with `JOURNAL_STREAM`.
    public init(
        target: LogTarget = .auto,
        syslogIdentifier: String,
        environment: [String: String],
        journalSocketPath: String = JournalConnection.defaultSocketPath,
        logLevel: Logger.Level = .info,
        redactor: SecretRedactor? = nil,
        standardError: FileDescriptorLineWriter = .standardError,
        standardErrorDescriptor: Int32 = 2
    ) {
        self.destination = target.resolve(
            environment: environment,
            journalSocketPath: journalSocketPath,
            standardErrorDescriptor: standardErrorDescriptor
        )
        self.syslogIdentifier = syslogIdentifier
        self.logLevel = logLevel
        self.redactor = redactor
        self.standardError = standardError
        self.journal = self.destination == .journal ? JournalConnection(socketPath: journalSocketPath) : nil
    }

    /// A handler for `label`, for `LoggingSystem.bootstrap(_:metadataProvider:)`.
    public func makeHandler(label: String, metadataProvider: Logger.MetadataProvider?) -> any LogHandler {
        if let journal = self.journal {
            return JournaldLogHandler(
                label: label,
                connection: journal,
                syslogIdentifier: self.syslogIdentifier,
                logLevel: self.logLevel,
                redactor: self.redactor,
                fallback: self.standardError,
                metadataProvider: metadataProvider
            )
        }
        return StderrLogHandler(
            label: label,
            logLevel: self.logLevel,
            redactor: self.redactor,
            output: self.standardError,
            metadataProvider: metadataProvider
        )
    }

    /// A handler for `label`, for `LoggingSystem.bootstrap(_:)`.
    public func makeHandler(label: String) -> any LogHandler {
        self.makeHandler(label: label, metadataProvider: nil)
    }
}
