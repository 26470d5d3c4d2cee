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

    /// Configured secrets, tokens the daemon obtained (newest last, at most ``issuedLimit``: a
    /// token refreshed every ten minutes must not slow every redaction for the life of the
    /// process), and both together, longest first, as ``redact(_:)`` uses them.
    private struct State {
        var configured: [[UInt8]] = []
        var issued: [[UInt8]] = []
        var all: [[UInt8]] = []

        mutating func recombine() { all = SecretRedactor.normalized(configured + issued) }
    }

    private let state = Mutex(State())

    /// How many obtained tokens are hidden (older ones have expired long before).
    public static let issuedLimit = 32

    /// Creates a redactor that hides `secrets`.
    public init(secrets: some Sequence<String> = [String]()) {
        let configured = secrets.map { Array($0.utf8) }
        state.withLock { state in
            state.configured = configured
            state.recombine()
        }
    }

    /// Adds secrets to hide from now on.
    public func add(_ newSecrets: some Sequence<String>) {
        let added = newSecrets.map { Array($0.utf8) }
        state.withLock { state in
            state.configured += added
            state.recombine()
        }
    }

    /// Adds a token the daemon obtained; the oldest beyond ``issuedLimit`` is forgotten.
    public func addIssued(_ token: String) {
        guard !token.isEmpty else { return }
        state.withLock { state in
            state.issued.append(Array(token.utf8))
            if state.issued.count > Self.issuedLimit { state.issued.removeFirst(state.issued.count - Self.issuedLimit) }
            state.recombine()
        }
    }

    /// Replaces the configured secrets (e.g. after a reload dropped a source); obtained tokens stay.
    public func replaceSecrets(with newSecrets: some Sequence<String>) {
        let replacement = newSecrets.map { Array($0.utf8) }
        state.withLock { state in
            state.configured = replacement
            state.recombine()
        }
    }

    /// `text` with every occurrence of every secret replaced by ``marker``.
    public func redact(_ text: String) -> String {
        let secrets = state.withLock { $0.all }
        guard !secrets.isEmpty else { return text }
        var bytes = Array(text.utf8)
        var changed = false
        for secret in secrets where Self.replace(secret, in: &bytes) {
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    private static let markerBytes = Array(SecretRedactor.marker.utf8)

    fileprivate static func normalized(_ secrets: [[UInt8]]) -> [[UInt8]] {
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
