/// A secret value (client secret, API key) that never prints itself.
///
/// `description`, `debugDescription` and string interpolation all yield `[REDACTED]`, so a secret
/// that slips into a log line or an error message does not leak. Read the value with ``reveal()``
/// only where it goes onto the wire.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    /// Wraps a secret value.
    public init(_ value: String) { self.value = value }

    /// The secret itself, for the one place that sends it.
    public func reveal() -> String { value }

    /// Always `[REDACTED]`.
    public var description: String { "[REDACTED]" }
    /// Always `[REDACTED]`.
    public var debugDescription: String { "[REDACTED]" }
}

/// Where a secret comes from. Exactly one route is configured per secret.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    /// A file whose whole content (trailing newline removed) is the secret.
    case file(path: String)
    /// A systemd credential: the file `$CREDENTIALS_DIRECTORY/<name>` (`LoadCredential=`).
    case credential(name: String)
    /// An environment variable holding the secret.
    case environment(variable: String)
    /// A value written inline in the configuration file (only allowed when the file is private).
    case inline(Secret)

    /// Says where the secret comes from without revealing it.
    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .credential(let name): "systemd credential \(name)"
        case .environment(let variable): "environment variable \(variable)"
        case .inline: "inline value"
        }
    }
}

/// Hides known secrets (configured credentials, tokens the daemon obtained) in text that came
/// from outside (a server's error message, a failure reason) before it is stored or printed.
public protocol SecretScrubber: Sendable {
    /// `text` with every known secret replaced.
    func scrub(_ text: String) -> String
}
