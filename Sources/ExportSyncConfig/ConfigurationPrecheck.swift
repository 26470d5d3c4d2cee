/// Checks that run on a configuration's text before the TOML parser sees it, for inputs the
/// parser cannot take safely or faithfully: a file too large to parse in reasonable time and
/// memory, table headers or dotted keys nested so deep that parsing them exhausts the stack
/// (the parser bounds nested values, not keys), and NUL characters, which the parser's C
/// strings would silently cut a string at.
enum ConfigurationPrecheck {
    /// Largest configuration accepted: room for 100,000 jobs (about 22 MB), and a fast refusal
    /// of anything far larger.
    static let maximumBytes = 32 * 1024 * 1024
    /// Most dots in one key or table header (nesting depth minus one).
    static let maximumKeyDepth = 64

    /// The first problem found, with its 1-based line and column.
    static func problem(in text: String) -> ConfigurationIssue? {
        let size = text.utf8.count
        if size > maximumBytes {
            return ConfigurationIssue(
                line: nil, column: nil, keyPath: "",
                message: "the configuration is \(size) bytes; at most \(maximumBytes) bytes (32 MiB) are accepted")
        }
        return scan(text)
    }

    private enum Quote { case basic, literal, multilineBasic, multilineLiteral }

    /// One pass over the text, outside strings and comments: dots per key or header (a number's
    /// one decimal point does not count), and NUL, raw or escaped, anywhere.
    private static func scan(_ text: String) -> ConfigurationIssue? {
        let scalars = Array(text.unicodeScalars)
        var line = 1, column = 1
        var quote: Quote?
        var inComment = false
        var dotsOnLine = 0
        var tokenStartsWithDigit = false, tokenDots = 0, inToken = false
        func endToken() {
            if inToken { dotsOnLine += tokenStartsWithDigit ? max(0, tokenDots - 1) : tokenDots }
            inToken = false
            tokenDots = 0
        }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            if scalar == "\0" {
                return ConfigurationIssue(line: line, column: column, keyPath: "", message: "the configuration contains a NUL character")
            }
            if quote == .basic || quote == .multilineBasic, scalar == "\\", let next, next != "\n" {
                // An escape: \u0000 or \U00000000 is a NUL the parser would cut the string at.
                if next == "u" || next == "U" {
                    let digits = next == "u" ? 4 : 8
                    let hex = scalars[(index + 2)..<min(scalars.count, index + 2 + digits)]
                    if hex.count == digits, hex.allSatisfy({ $0 == "0" }) {
                        return ConfigurationIssue(
                            line: line, column: column, keyPath: "",
                            message: "the configuration contains an escaped NUL (\\\(next)\(String(repeating: "0", count: digits))); NUL is not allowed in strings")
                    }
                }
                index += 2
                column += 2
                continue
            }
            if scalar == "\n" {
                endToken()
                if dotsOnLine > maximumKeyDepth { return tooDeep(line: line) }
                dotsOnLine = 0
                inComment = false
                if quote == .basic || quote == .literal { quote = nil }
                line += 1
                column = 1
                index += 1
                continue
            }
            defer {
                column += 1
                index += 1
            }
            if inComment { continue }
            switch quote {
            case .basic:
                if scalar == "\"" { quote = nil }
                continue
            case .literal:
                if scalar == "'" { quote = nil }
                continue
            case .multilineBasic, .multilineLiteral:
                let delimiter: Unicode.Scalar = quote == .multilineBasic ? "\"" : "'"
                if scalar == delimiter, index + 2 < scalars.count, scalars[index + 1] == delimiter, scalars[index + 2] == delimiter {
                    quote = nil
                    index += 2
                    column += 2
                }
                continue
            case nil:
                break
            }
            switch scalar {
            case "#":
                endToken()
                inComment = true
            case "\"", "'":
                endToken()
                let triple = index + 2 < scalars.count && scalars[index + 1] == scalar && scalars[index + 2] == scalar
                if triple {
                    quote = scalar == "\"" ? .multilineBasic : .multilineLiteral
                    index += 2
                    column += 2
                } else {
                    quote = scalar == "\"" ? .basic : .literal
                }
            case " ", "\t", "\r", "=", ",", "[", "]", "{", "}":
                endToken()
            default:
                if !inToken {
                    inToken = true
                    tokenStartsWithDigit = ("0"..."9").contains(scalar) || scalar == "+" || scalar == "-"
                }
                if scalar == "." { tokenDots += 1 }
            }
        }
        endToken()
        if dotsOnLine > maximumKeyDepth { return tooDeep(line: line) }
        return nil
    }

    private static func tooDeep(line: Int) -> ConfigurationIssue {
        ConfigurationIssue(
            line: line, column: nil, keyPath: "",
            message: "a key or table header on this line is nested more than \(maximumKeyDepth) levels deep")
    }
}
