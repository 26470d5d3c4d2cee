public import ExportSyncCore
import Foundation

/// Reads the secrets a configuration refers to: systemd credentials, files, environment.
public struct CredentialResolver: Sendable {
    /// Why a secret could not be read. Messages say where from, never the value.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var source: String
        public var reference: SecretReference
        public var reason: String

        public var description: String { "source \"\(source)\": cannot read its secret from \(reference): \(reason)" }
    }

    /// The environment (`$CREDENTIALS_DIRECTORY`, `*_env` variables).
    public var environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    /// Resolves one reference for `source`.
    public func resolve(_ reference: SecretReference, source: String) throws(Failure) -> Secret {
        switch reference {
        case .inline(let secret):
            return secret
        case .environment(let variable):
            guard let value = environment[variable], !value.isEmpty else {
                throw Failure(source: source, reference: reference, reason: "the variable is not set or empty")
            }
            return Secret(value)
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw Failure(source: source, reference: reference,
                              reason: "$CREDENTIALS_DIRECTORY is not set (add LoadCredential=\(name):/path/to/secret to the unit, or use a *_file key outside systemd)")
            }
            return try readFile(directory + "/" + name, source: source, reference: reference)
        case .file(let path):
            return try readFile(path, source: source, reference: reference)
        }
    }

    /// Resolves every secret of `configuration`, by source name; all failures at once.
    public func resolveAll(_ configuration: Configuration) throws(ResolutionError) -> [String: Secret] {
        var secrets: [String: Secret] = [:]
        var failures: [Failure] = []
        for (source, reference) in configuration.secretReferences {
            do {
                secrets[source] = try resolve(reference, source: source)
            } catch {
                failures.append(error)
            }
        }
        guard failures.isEmpty else { throw ResolutionError(failures: failures) }
        return secrets
    }

    /// Every secret that could not be read.
    public struct ResolutionError: Error, Sendable, CustomStringConvertible {
        public var failures: [Failure]
        public var description: String { failures.map(\.description).joined(separator: "\n") }
    }

    private func readFile(_ path: String, source: String, reference: SecretReference) throws(Failure) -> Secret {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "the file \(path) is not readable" : "the file \(path) does not exist"
            throw Failure(source: source, reference: reference, reason: reason)
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw Failure(source: source, reference: reference, reason: "the file \(path) is not UTF-8 text")
        }
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        guard !text.isEmpty else { throw Failure(source: source, reference: reference, reason: "the file \(path) is empty") }
        return Secret(text)
    }
}
