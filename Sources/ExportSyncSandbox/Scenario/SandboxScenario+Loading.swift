public import Foundation
import TOMLKit

extension SandboxScenario {
    /// A scenario file that could not be read or understood.
    public struct LoadError: Error, CustomStringConvertible {
        /// What went wrong, naming the file.
        public let description: String
    }

    /// Loads a scenario from a `.toml` or `.json` file (chosen by extension; anything else is
    /// read as TOML). Unknown keys are errors.
    public static func load(from path: String) throws -> SandboxScenario {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LoadError(description: "\(path): cannot read: \(error)")
        }
        if url.pathExtension.lowercased() == "json" {
            return try decode(json: data, origin: path)
        }
        return try decode(toml: String(decoding: data, as: UTF8.self), origin: path)
    }

    /// Decodes a scenario from TOML text.
    public static func decode(toml text: String, origin: String = "<toml>") throws -> SandboxScenario {
        let json: String
        do {
            // TOML → JSON, then one decoding path: JSONDecoder converts integers to Double where
            // a field wants one, which TOMLKit's decoder does not.
            json = try TOMLTable(string: text).convert(to: .json)
        } catch {
            throw LoadError(description: "\(origin): invalid TOML: \(error)")
        }
        return try decode(json: Data(json.utf8), origin: origin)
    }

    /// Decodes a scenario from JSON data.
    public static func decode(json data: Data, origin: String = "<json>") throws -> SandboxScenario {
        do {
            return try JSONDecoder().decode(SandboxScenario.self, from: data)
        } catch let error as DecodingError {
            throw LoadError(description: "\(origin): \(Self.describe(error))")
        } catch {
            throw LoadError(description: "\(origin): \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context)).\(key.stringValue): missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
