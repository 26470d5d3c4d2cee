import Foundation

/// A decoded JSON object read tolerantly: unknown fields ignored, keys matched without regard
/// to case, numbers and strings both accepted where an identifier is expected.
struct JSONObject {
    let fields: [String: Any]

    init(_ fields: [String: Any]) {
        self.fields = fields
    }

    /// Parses `bytes` as one JSON object.
    init?(bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        self.init(object)
    }

    /// The value under `key`, matched case-insensitively (an exact match wins).
    func value(_ key: String) -> Any? {
        if let exact = fields[key] { return exact }
        let lowered = key.lowercased()
        return fields.first { $0.key.lowercased() == lowered }?.value
    }

    /// A non-empty string (numbers are rendered as integers).
    func string(_ key: String) -> String? {
        switch value(key) {
        case let text as String: return text.isEmpty ? nil : text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    /// A nested object.
    func object(_ key: String) -> JSONObject? {
        (value(key) as? [String: Any]).map(JSONObject.init)
    }

    /// The value under `key` re-encoded as JSON text (keys sorted), or `nil` when absent or null.
    func rawJSON(_ key: String) -> String? {
        guard let value = value(key), !(value is NSNull) else { return nil }
        guard JSONSerialization.isValidJSONObject([value]),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
