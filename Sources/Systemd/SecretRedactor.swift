import Synchronization

/// Replaces known secret strings with `[REDACTED]` in everything the log handlers write.
///
/// Share one redactor between the logging factory and the code that loads credentials: the
/// daemon bootstraps logging before the configuration is read, then calls ``add(_:)`` with every
/// secret it loads (API keys, client secrets, tokens it obtains), and again after a reload.
/// Handlers redact the message, every metadata key and value, and the error description.
/// Matching is exact, byte for byte in UTF-8; empty strings are ignored. Longer secrets are
/// replaced first, so a secret that contains another is hidden whole.
///
/// Redaction is a safety net, not the policy: code should still never log a secret on purpose.
public final class SecretRedactor: Sendable {
    /// The text that stands in for a secret.
    public static let marker = "[REDACTED]"

    private let secrets: Mutex<[[UInt8]]>

    /// Creates a redactor that hides `secrets`.
    public init(secrets: some Sequence<String> = [String]()) {
        self.secrets = Mutex(Self.normalized(secrets.map { Array($0.utf8) }))
    }

    /// Adds secrets to hide from now on.
    public func add(_ newSecrets: some Sequence<String>) {
        let added = newSecrets.map { Array($0.utf8) }
        self.secrets.withLock { secrets in
            secrets = Self.normalized(secrets + added)
        }
    }

    /// Replaces the whole set of secrets (e.g. after a reload dropped a source).
    public func replaceSecrets(with newSecrets: some Sequence<String>) {
        let replacement = Self.normalized(newSecrets.map { Array($0.utf8) })
        self.secrets.withLock { $0 = replacement }
    }

    /// `text` with every occurrence of every secret replaced by ``marker``.
    public func redact(_ text: String) -> String {
        let secrets = self.secrets.withLock { $0 }
        guard !secrets.isEmpty else { return text }
        var bytes = Array(text.utf8)
        var changed = false
        for secret in secrets where Self.replace(secret, in: &bytes) {
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    private static let markerBytes = Array(SecretRedactor.marker.utf8)

    private static func normalized(_ secrets: [[UInt8]]) -> [[UInt8]] {
        Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    /// Replaces every occurrence of `secret` in `bytes`; whether anything changed.
    private static func replace(_ secret: [UInt8], in bytes: inout [UInt8]) -> Bool {
        guard bytes.count >= secret.count, let first = secret.first else { return false }
        var result: [UInt8] = []
        var index = 0
        var changed = false
        let lastStart = bytes.count - secret.count
        while index < bytes.count {
            if index <= lastStart, bytes[index] == first, bytes[index..<(index + secret.count)].elementsEqual(secret) {
                if !changed {
                    result.reserveCapacity(bytes.count)
                    result.append(contentsOf: bytes[0..<index])
                    changed = true
                }
                result.append(contentsOf: Self.markerBytes)
                index += secret.count
            } else {
                if changed { result.append(bytes[index]) }
                index += 1
            }
        }
        if changed { bytes = result }
        return changed
    }
}
