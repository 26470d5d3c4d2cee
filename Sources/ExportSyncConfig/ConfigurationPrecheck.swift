/// Checks that run on a configuration's text before the TOML parser sees it, for inputs the
/// parser cannot take safely or faithfully: a file too large to parse in reasonable time and
/// memory, nesting so deep (dotted keys, table headers, inline tables and arrays together) that
/// parsing or converting it exhausts the stack, and NUL characters, which the parser's C strings
/// would silently cut a string at.
enum ConfigurationPrecheck {
    /// Largest configuration accepted: room for 100,000 jobs (about 22 MB), and a fast refusal
    /// of anything far larger.
    static let maximumBytes = 32 * 1024 * 1024
    /// Deepest nesting accepted, counting every table a dotted key or header opens and every
    /// inline table and array (exportsync's own configurations nest four levels).
    static let maximumDepth = 64

    /// The first problem found, with its 1-based line and column.
    static func problem(in text: String) -> ConfigurationIssue? {
        let size = text.utf8.count
        if size > maximumBytes {
            return ConfigurationIssue(
                line: nil, column: nil, keyPath: "",
                message: "the configuration is \(size) bytes; at most \(maximumBytes) bytes (32 MiB) are accepted")
        }
        var scanner = Scanner(Array(text.unicodeScalars))
        return scanner.run()
    }

    /// A single pass over the text that follows TOML's structure just far enough to know the
    /// nesting depth at every key and value, skipping strings and comments.
    private struct Scanner {
        enum Quote { case basic, literal, multilineBasic, multilineLiteral }

        /// An open inline table or array, and the depth of what is directly inside it.
        struct Frame {
            var isTable: Bool
            var depth: Int
        }

        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1, column = 1
        var quote: Quote?
        var inComment = false
        var frames: [Frame] = []
        /// Depth of the keys below the last `[header]` (0 before any).
        var headerDepth = 0
        var inHeader = false
        /// Reading a key (at line start, after `{`, after `,` in an inline table).
        var inKey = true
        /// Dots in the key being read.
        var keyDots = 0
        /// Nothing but whitespace so far on this line (a `[` here opens a header).
        var lineIsBlank = true
        /// Depth a value assigned by the last `=` has.
        var valueDepth = 1

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        /// Depth of a key's first part where the key being read stands.
        var keyBase: Int { frames.last?.depth ?? headerDepth }

        mutating func run() -> ConfigurationIssue? {
            while index < scalars.count {
                if let issue = step() { return issue }
            }
            return nil
        }

        func scalar(at offset: Int) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        mutating func advance(_ count: Int = 1) {
            index += count
            column += count
        }

        func issue(_ message: String, column: Int? = nil) -> ConfigurationIssue {
            ConfigurationIssue(line: line, column: column, keyPath: "", message: message)
        }

        func tooDeep() -> ConfigurationIssue {
            issue("nesting on this line goes deeper than \(ConfigurationPrecheck.maximumDepth) levels (keys, tables and arrays together)")
        }

        mutating func step() -> ConfigurationIssue? {
            let current = scalars[index]
            if current == "\0" { return issue("the configuration contains a NUL character", column: column) }
            if current == "\n" {
                inComment = false
                if quote == .basic || quote == .literal { quote = nil }
                if frames.isEmpty {
                    inKey = true
                    keyDots = 0
                }
                lineIsBlank = true
                line += 1
                column = 1
                index += 1
                return nil
            }
            if inComment {
                advance()
                return nil
            }
            if let open = quote { return stepInString(open, current) }
            switch current {
            case " ", "\t", "\r":
                advance()
                return nil
            case "#":
                inComment = true
            case "\"", "'":
                let run = runLength(of: current)
                if run >= 3 {
                    quote = current == "\"" ? .multilineBasic : .multilineLiteral
                    advance(3)
                } else {
                    quote = current == "\"" ? .basic : .literal
                    // `""` is an empty string: open, and the next quote closes it.
                    advance()
                }
                lineIsBlank = false
                return nil
            case "[" where frames.isEmpty && lineIsBlank:
                inHeader = true
                inKey = true
                keyDots = 0
                if scalar(at: 1) == "[" { advance() }
            case "]" where inHeader:
                inHeader = false
                inKey = false
                headerDepth = keyDots + 1
                if scalar(at: 1) == "]" { advance() }
                if headerDepth > ConfigurationPrecheck.maximumDepth { return tooDeep() }
            case "[", "{":
                let depth = frames.last.map { $0.isTable ? valueDepth : $0.depth + 1 } ?? valueDepth
                if depth > ConfigurationPrecheck.maximumDepth { return tooDeep() }
                frames.append(Frame(isTable: current == "{", depth: depth))
                inKey = current == "{"
                keyDots = 0
            case "]", "}":
                if !frames.isEmpty { frames.removeLast() }
                inKey = false
            case "=" where inKey:
                valueDepth = keyBase + keyDots + 1
                if valueDepth > ConfigurationPrecheck.maximumDepth { return tooDeep() }
                inKey = false
            case ",":
                if frames.last?.isTable == true {
                    inKey = true
                    keyDots = 0
                }
            case "." where inKey || inHeader:
                keyDots += 1
                if keyBase + keyDots > ConfigurationPrecheck.maximumDepth { return tooDeep() }
            default:
                break
            }
            lineIsBlank = false
            advance()
            return nil
        }

        /// Inside a string: escapes (an escaped NUL is refused), and the closing delimiter — for
        /// multi-line strings the last three of a run of up to five quotes (TOML lets one or
        /// two quotes stand just before the closing three).
        mutating func stepInString(_ open: Quote, _ current: Unicode.Scalar) -> ConfigurationIssue? {
            if open == .basic || open == .multilineBasic, current == "\\", let next = scalar(at: 1), next != "\n" {
                if next == "u" || next == "U" {
                    let digits = next == "u" ? 4 : 8
                    let hex = scalars[(index + 2)..<min(scalars.count, index + 2 + digits)]
                    if hex.count == digits, hex.allSatisfy({ $0 == "0" }) {
                        return issue(
                            "the configuration contains an escaped NUL (\\\(next)\(String(repeating: "0", count: digits))); NUL is not allowed in strings",
                            column: column)
                    }
                }
                advance(2)
                return nil
            }
            switch open {
            case .basic where current == "\"", .literal where current == "'":
                quote = nil
                advance()
            case .multilineBasic where current == "\"", .multilineLiteral where current == "'":
                let run = runLength(of: current)
                if run >= 3 {
                    quote = nil
                    advance(min(run, 5))
                } else {
                    advance(run)
                }
            default:
                advance()
            }
            return nil
        }

        /// How many `quote` scalars follow from the current position (at most 6 are counted).
        func runLength(of quote: Unicode.Scalar) -> Int {
            var count = 0
            while count < 6, let next = scalar(at: count), next == quote { count += 1 }
            return count
        }
    }
}
