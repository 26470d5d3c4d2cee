import Foundation

/// The `NAME.sha256` file written beside a delivered file when `checksum_files = true`: one line
/// in the format `sha256sum -c` reads, naming the file by its base name, so the check runs in
/// the file's directory (`cd dir && sha256sum -c NAME.sha256`).
public enum ChecksumFile {
    /// What a checksum file's name adds to the name of the file it describes.
    public static let suffix = ".sha256"

    /// The checksum file's path for the file at `path` (relative or absolute).
    public static func path(for path: String) -> String { path + suffix }

    /// The file's content: `<64 lower-case hex digits>  <base name>\n`. A name holding `\` or a
    /// newline (which a resolved output path never does: templates refuse them and values are
    /// sanitised) is escaped as coreutils does, with the line starting with `\`.
    public static func content(sha256: String, fileName: String) -> String {
        guard fileName.contains("\\") || fileName.contains("\n") else {
            return "\(sha256.lowercased())  \(fileName)\n"
        }
        let escaped = fileName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
        return "\\\(sha256.lowercased())  \(escaped)\n"
    }

    /// Whether `content` is a checksum file for `fileName` with any digest: the
    /// ``content(sha256:fileName:)`` form of some 64 hex digits (what the daemon would have written).
    public static func describes(_ content: [UInt8], fileName: String) -> Bool {
        guard let text = String(validating: content, as: UTF8.self) else { return false }
        let line = text.hasPrefix("\\") ? text.dropFirst() : Substring(text)
        let digest = line.prefix(64)
        guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else { return false }
        return matches(content, sha256: String(digest), fileName: fileName)
    }

    /// Whether `content` (a checksum file's bytes) states `sha256` for `fileName`: exactly what
    /// ``content(sha256:fileName:)`` writes, or the same digest in upper case, or with
    /// `sha256sum -b`'s `*` before the name, as a person regenerating it by hand might write.
    public static func matches(_ content: [UInt8], sha256: String, fileName: String) -> Bool {
        guard let text = String(validating: content, as: UTF8.self) else { return false }
        let expected = self.content(sha256: sha256, fileName: fileName)
        if text == expected { return true }
        guard text.hasSuffix("\n"), text.utf8.count == expected.utf8.count else { return false }
        let escapedPrefix = expected.hasPrefix("\\") ? "\\" : ""
        let line = text.dropLast()
        guard line.hasPrefix(escapedPrefix) else { return false }
        let body = line.dropFirst(escapedPrefix.count)
        let digest = body.prefix(64)
        let rest = body.dropFirst(64)
        let name = expected.dropFirst(escapedPrefix.count + 64 + 2).dropLast()
        return digest.lowercased() == sha256.lowercased() && (rest == "  " + name || rest == " *" + name)
    }
}
