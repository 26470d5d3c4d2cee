/// Turns swift-log metadata keys into valid journald field names.
///
/// journald accepts only `[A-Z0-9_]`, at most 64 characters, not starting with a digit, and
/// reserves a leading `_` for fields it sets itself (`_PID`, `_SYSTEMD_UNIT`, …), which a client
/// must not be able to forge. The rule, in order:
/// 1. a camelCase boundary (lowercase letter or digit, then uppercase) becomes `_`: `runID` → `RUN_ID`;
/// 2. ASCII letters are uppercased, digits and `_` kept, anything else becomes `_`:
///    `run-id`, `run.id`, `run id` → `RUN_ID`;
/// 3. runs of `_` collapse to one, and leading/trailing `_` are stripped: `_PID` → `PID`;
/// 4. a name starting with a digit gets the prefix `F_`: `3d` → `F_3D`;
/// 5. names the handler writes itself (``reservedNames``) get the prefix `META_`, so metadata
///    never masquerades as `MESSAGE` or `PRIORITY`;
/// 6. the result is cut to 64 characters; a key with nothing usable becomes `FIELD`.
public enum JournalFieldName {
    /// The longest field name journald accepts.
    public static let maximumLength = 64

    /// Fields ``JournaldLogHandler`` sets itself; metadata cannot override them.
    public static let reservedNames: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER_LABEL",
    ]

    /// The journald field name for a metadata key (see the type's rule).
    public static func sanitize(_ key: String) -> String {
        var name: [UInt8] = []
        name.reserveCapacity(key.utf8.count + 4)
        var previousWasLowerOrDigit = false
        for scalar in key.unicodeScalars {
            let isUpper = scalar >= "A" && scalar <= "Z"
            let isLower = scalar >= "a" && scalar <= "z"
            let isDigit = scalar >= "0" && scalar <= "9"
            if isUpper && previousWasLowerOrDigit {
                Self.appendUnderscore(to: &name)
            }
            if isUpper || isDigit {
                name.append(UInt8(scalar.value))
            } else if isLower {
                name.append(UInt8(scalar.value) - 32)
            } else {
                Self.appendUnderscore(to: &name)
            }
            previousWasLowerOrDigit = isLower || isDigit
        }

        var text = Self.trimmingUnderscores(name)
        if let first = text.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") {
            text = Array("F_".utf8) + text
        }
        if Self.reservedNames.contains(String(decoding: text, as: UTF8.self)) {
            text = Array("META_".utf8) + text
        }
        text = Self.trimmingUnderscores(Array(text.prefix(Self.maximumLength)))
        return text.isEmpty ? "FIELD" : String(decoding: text, as: UTF8.self)
    }

    /// Whether `name` is already a valid client-settable journald field name.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= Self.maximumLength,
              first != UInt8(ascii: "_"), !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        else { return false }
        return bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_")
        }
    }

    private static func appendUnderscore(to name: inout [UInt8]) {
        if name.last != UInt8(ascii: "_") { name.append(UInt8(ascii: "_")) }
    }

    private static func trimmingUnderscores(_ bytes: [UInt8]) -> [UInt8] {
        let underscore = UInt8(ascii: "_")
        guard let start = bytes.firstIndex(where: { $0 != underscore }),
              let end = bytes.lastIndex(where: { $0 != underscore })
        else { return [] }
        return Array(bytes[start...end])
    }
}
