/// Formats one log entry as one line for stderr: `<N>message key=value key2="two words"`.
///
/// `<N>` is the sd-daemon priority prefix, which journald strips and stores as `PRIORITY=` when
/// stderr is a journal stream. The message and metadata are escaped so an entry never spans two
/// lines: `\` → `\\`, newline → `\n`, carriage return → `\r`, other control characters → `\xHH`.
/// Metadata is sorted by key; values that are empty or contain a space, `=` or `"` are quoted
/// (logfmt style), with `"` escaped as `\"`.
enum StderrLineFormatter {
    static func line(priority: SyslogPriority, message: String, metadata: [(key: String, value: String)]) -> String {
        var line = priority.linePrefix
        line += Self.escaped(message, quoting: false)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += Self.escaped(key, quoting: false).replacingSeparators()
            line += "="
            line += Self.needsQuotes(value) ? "\"\(Self.escaped(value, quoting: true))\"" : Self.escaped(value, quoting: false)
        }
        line += "\n"
        return line
    }

    private static func needsQuotes(_ value: String) -> Bool {
        value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" }
    }

    private static func escaped(_ text: String, quoting: Bool) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result.unicodeScalars.append(scalar)
            case "\"" where quoting: result += "\\\""
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

extension String {
    /// A metadata key with the characters that would make `key=value` ambiguous replaced by `_`.
    fileprivate func replacingSeparators() -> String {
        String(String.UnicodeScalarView(self.unicodeScalars.map { scalar -> Unicode.Scalar in
            scalar == " " || scalar == "=" || scalar == "\"" || scalar == "\t" ? "_" : scalar
        }))
    }
}
