/// Maps key paths (`jobs[2].output`) to the line and column where they are written.
///
/// TOMLKit reports positions for syntax errors only, so the loader scans the (already valid)
/// document once more to learn where each key, table header and array element stands. The
/// scanner understands tables, arrays of tables, dotted and quoted keys, inline tables, arrays
/// and every string form; anything it cannot place falls back to the nearest enclosing key.
struct TOMLKeyLocator {
    struct Position: Hashable {
        var line: Int
        var column: Int
    }

    private(set) var positions: [String: Position] = [:]
    private var arrayCounts: [String: Int] = [:]
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(text: String) {
        scalars = Array(text.unicodeScalars)
        scanDocument()
    }

    /// Where `keyPath` is written, or where its nearest written ancestor is.
    func position(of keyPath: String) -> Position? {
        var path = keyPath
        while !path.isEmpty {
            if let position = positions[path] { return position }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = String(path[..<cut])
        }
        return nil
    }

    // MARK: Scanning

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        guard let scalar = current else { return }
        index += 1
        if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
    }

    private var here: Position { Position(line: line, column: column) }

    private mutating func skipSpaces() {
        while let scalar = current, scalar == " " || scalar == "\t" { advance() }
    }

    private mutating func skipSpacesNewlinesAndComments() {
        while let scalar = current {
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                advance()
            } else if scalar == "#" {
                while let next = current, next != "\n" { advance() }
            } else {
                return
            }
        }
    }

    private mutating func skipRestOfLine() {
        while let scalar = current, scalar != "\n" { advance() }
    }

    private mutating func scanDocument() {
        var table = ""
        while true {
            skipSpacesNewlinesAndComments()
            guard let scalar = current else { return }
            if scalar == "[" {
                let start = here
                let isArray = peek(1) == "["
                advance()
                if isArray { advance() }
                skipSpaces()
                let segments = scanKey()
                var path = resolveArrayElements(segments)
                if isArray {
                    let count = arrayCounts[path, default: 0]
                    arrayCounts[path] = count + 1
                    path += "[\(count)]"
                }
                if positions[path] == nil { positions[path] = start }
                table = path
                skipRestOfLine()
            } else {
                scanKeyValue(prefix: table)
                skipRestOfLine()
            }
        }
    }

    /// Rewrites a header's dotted path so that segments naming an array of tables point at its
    /// latest element (`[[jobs]]` … `[jobs.options]` → `jobs[3].options`).
    private func resolveArrayElements(_ segments: [String]) -> String {
        var path = ""
        for (offset, segment) in segments.enumerated() {
            path = path.isEmpty ? segment : path + "." + segment
            if offset < segments.count - 1, let count = arrayCounts[path] {
                path += "[\(count - 1)]"
            }
        }
        return path
    }

    private mutating func scanKeyValue(prefix: String) {
        let start = here
        let segments = scanKey()
        guard !segments.isEmpty else { advance(); return }
        var path = prefix
        for segment in segments {
            path = path.isEmpty ? segment : path + "." + segment
            if positions[path] == nil { positions[path] = start }
        }
        skipSpaces()
        guard current == "=" else { return }
        advance()
        skipSpaces()
        scanValue(path: path)
    }

    /// Reads a possibly dotted, possibly quoted key; stops before `=` or `]`.
    private mutating func scanKey() -> [String] {
        var segments: [String] = []
        var segment = ""
        while let scalar = current {
            if scalar == "\"" || scalar == "'" {
                segment += scanQuotedKey(quote: scalar)
            } else if scalar == "." {
                segments.append(segment.trimmingSpaces())
                segment = ""
                advance()
            } else if scalar == "=" || scalar == "]" || scalar == "\n" || scalar == "#" {
                break
            } else {
                segment.unicodeScalars.append(scalar)
                advance()
            }
        }
        let last = segment.trimmingSpaces()
        if !last.isEmpty { segments.append(last) }
        return segments
    }

    private mutating func scanQuotedKey(quote: Unicode.Scalar) -> String {
        advance()
        var text = ""
        while let scalar = current, scalar != quote, scalar != "\n" {
            if scalar == "\\", quote == "\"" { advance() }
            if let escaped = current { text.unicodeScalars.append(escaped) }
            advance()
        }
        advance()
        return text
    }

    private mutating func scanValue(path: String) {
        guard let scalar = current else { return }
        switch scalar {
        case "\"", "'":
            scanString(quote: scalar)
        case "[":
            advance()
            var element = 0
            while true {
                skipSpacesNewlinesAndComments()
                guard let next = current else { return }
                if next == "]" { advance(); return }
                if next == "," { advance(); continue }
                let elementPath = "\(path)[\(element)]"
                if positions[elementPath] == nil { positions[elementPath] = here }
                let before = index
                scanValue(path: elementPath)
                if index == before { advance() }
                element += 1
            }
        case "{":
            advance()
            while true {
                skipSpaces()
                guard let next = current, next != "\n" else { return }
                if next == "}" { advance(); return }
                if next == "," { advance(); continue }
                let before = index
                scanKeyValue(prefix: path)
                if index == before { advance() }
            }
        default:
            while let next = current, next != ",", next != "]", next != "}", next != "\n", next != "#" { advance() }
        }
    }

    private mutating func scanString(quote: Unicode.Scalar) {
        let multiline = peek(1) == quote && peek(2) == quote
        if multiline {
            advance(); advance(); advance()
            while current != nil {
                if current == "\\", quote == "\"" { advance(); advance(); continue }
                if current == quote, peek(1) == quote, peek(2) == quote {
                    advance(); advance(); advance()
                    // A closing delimiter may be followed by up to two more quotes of content.
                    while current == quote { advance() }
                    return
                }
                advance()
            }
        } else {
            advance()
            while let scalar = current, scalar != quote, scalar != "\n" {
                if scalar == "\\", quote == "\"" { advance() }
                advance()
            }
            advance()
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
