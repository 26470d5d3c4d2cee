/// Text for a person's terminal: control characters that a server put into a failure reason or
/// a status (escape sequences that move the cursor, retitle the window or clear the screen)
/// are shown as `\xNN`, never sent raw. Newlines inside a value become `\n` as in the log.
enum TerminalText {
    /// `line` with C0 and C1 controls, DEL and bidi overrides escaped; tabs kept.
    static func escaped(_ line: Substring) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(line.unicodeScalars.count)
        for scalar in line.unicodeScalars {
            switch scalar.value {
            case 0x09:
                result.unicodeScalars.append(scalar)
            case 0x0A:
                result += "\\n"
            case 0x0D:
                result += "\\r"
            case 0x00..<0x20, 0x7F, 0x80..<0xA0:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
