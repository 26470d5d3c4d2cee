import Foundation

/// Reads the file name out of a `Content-Disposition` header (RFC 6266).
public enum ContentDisposition {
    /// The file name the header proposes, preferring `filename*` (RFC 5987, percent-encoded
    /// UTF-8 or ISO-8859-1) over `filename`, already sanitised into one safe path component.
    /// `nil` when the header has no usable name.
    public static func fileName(_ header: String?) -> String? {
        guard let header else { return nil }
        var plain: String?
        var extended: String?
        for parameter in parameters(header) {
            switch parameter.name {
            case "filename*": extended = decodeExtended(parameter.value)
            case "filename": plain = parameter.value
            default: break
            }
        }
        guard let name = extended ?? plain, !name.isEmpty else { return nil }
        // Only the last path segment counts: "a/b/report.pdf" and "..\\x.pdf" name files, not paths.
        let lastSegment = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? name
        let sanitized = PathComponentSanitizer.sanitize(lastSegment)
        return sanitized == "_" ? nil : sanitized
    }

    /// `; name=value` pairs after the disposition type; quoted values unescaped.
    static func parameters(_ header: String) -> [(name: String, value: String)] {
        var result: [(String, String)] = []
        var scalars = Substring(header)
        guard let firstSemicolon = scalars.firstIndex(of: ";") else { return [] }
        scalars = scalars[scalars.index(after: firstSemicolon)...]
        while !scalars.isEmpty {
            scalars = scalars.drop(while: { $0 == " " || $0 == "\t" || $0 == ";" })
            guard let equals = scalars.firstIndex(of: "=") else { break }
            let name = scalars[..<equals].trimmingSpaces().lowercased()
            scalars = scalars[scalars.index(after: equals)...].drop(while: { $0 == " " })
            var value = ""
            if scalars.first == "\"" {
                scalars = scalars.dropFirst()
                var escaped = false
                while let character = scalars.first {
                    scalars = scalars.dropFirst()
                    if escaped { value.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { break }
                    value.append(character)
                }
                scalars = scalars.drop(while: { $0 != ";" })
            } else {
                let end = scalars.firstIndex(of: ";") ?? scalars.endIndex
                value = scalars[..<end].trimmingSpaces()
                scalars = scalars[end...]
            }
            result.append((name, value))
        }
        return result
    }

    /// `UTF-8''na%C3%AFve.pdf` → `naïve.pdf`.
    static func decodeExtended(_ value: String) -> String? {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let charset = parts[0].lowercased()
        var bytes: [UInt8] = []
        var iterator = parts[2].utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        switch charset {
        case "utf-8": return String(bytes: bytes, encoding: .utf8)
        case "iso-8859-1": return String(bytes: bytes, encoding: .isoLatin1)
        default: return nil
        }
    }
}
