import Foundation

/// An output path template such as `workiva/{test_form}/{sample}/{attachment}.pdf`.
///
/// Templates are relative to the output root. Validation (at configuration time) rejects absolute
/// paths, `..` and `.` components, empty components, unknown placeholders and unbalanced braces.
/// Resolution sanitises every substituted value into a single safe path component, so nothing
/// that comes from the network or the configuration can move a file outside the output root.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a template.
    public enum Piece: Sendable, Hashable {
        case literal(String)
        case placeholder(String)
    }

    /// Why a template is not acceptable.
    public enum ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case absolute
        case escapesRoot(component: String)
        case emptyComponent
        case unbalancedBrace
        case unknownPlaceholder(name: String, known: [String])
        case forbiddenCharacter(String)
        case endsWithSeparator
        case reservedMarker
        case componentTooLong(component: String, bytes: Int)

        public var description: String {
            switch self {
            case .empty: "the template is empty"
            case .absolute: "the template must be relative to the output directory, not start with \"/\""
            case .escapesRoot(let component): "the template escapes the output directory (component \"\(component)\")"
            case .emptyComponent: "the template has an empty path component (\"//\")"
            case .unbalancedBrace: "the template has an unbalanced \"{\" or \"}\""
            case .unknownPlaceholder(let name, let known):
                "unknown placeholder {\(name)}; known: " + known.map { "{\($0)}" }.joined(separator: ", ")
            case .forbiddenCharacter(let character): "the template contains a forbidden character (\(character))"
            case .endsWithSeparator: "the template ends with \"/\"; it must name a file"
            case .reservedMarker:
                "the template contains \"\(PathTemplate.temporaryFileMarker)\", which marks exportsync's partial files (such a file would be deleted at the next start)"
            case .componentTooLong(let component, let bytes):
                "the path component \"\(component.prefix(40))…\" is \(bytes) bytes before any value is filled in; a file name may have at most \(PathTemplate.maximumFileNameBytes) bytes"
            }
        }
    }

    /// Placeholders every template may use, whatever the job kind.
    public static let commonPlaceholders = ["job", "date", "time", "datetime", "run", "filename", "ext"]

    /// Marks the names of partial files (the download's temp file beside its target); the
    /// start-up sweep deletes files carrying it, so no template may produce it. It is also the
    /// start of ``legacyTemporaryFileMarker``, so refusing it refuses both.
    public static let temporaryFileMarker = "exportsync-part"

    /// The marker versions before 2026-12 used (`.<name>.exportsync-partial-<decimal>`); the
    /// sweep still removes such files.
    public static let legacyTemporaryFileMarker = "exportsync-partial"

    /// Length of the random hex token that ends a temp file's name.
    public static let temporaryTokenLength = 8

    /// Whether `name` is a temp file this daemon, or an older version, left: a leading dot,
    /// then `.exportsync-part-` and exactly 8 lower-case hex digits at the end, or (older)
    /// `.exportsync-partial-` and 1 to 15 decimal digits at the end. The start-up sweep removes
    /// exactly these; `verify` does not count them as unrecorded files.
    public static func isTemporaryFileName(_ name: String) -> Bool {
        guard name.hasPrefix(".") else { return false }
        let scalars = Array(name.unicodeScalars)
        func ends(marker: String, tokenLengths: ClosedRange<Int>, isTokenScalar: (Unicode.Scalar) -> Bool) -> Bool {
            let token = scalars.reversed().prefix(while: isTokenScalar).count
            guard tokenLengths.contains(token) else { return false }
            let head = String(String.UnicodeScalarView(scalars.dropLast(token)))
            return head.hasSuffix(".\(marker)-") && head.count > marker.count + 3
        }
        let hex: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
        let decimal: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
        let length = temporaryTokenLength
        return ends(marker: temporaryFileMarker, tokenLengths: length...length, isTokenScalar: hex)
            || ends(marker: legacyTemporaryFileMarker, tokenLengths: 1...15, isTokenScalar: decimal)
    }

    /// What ``fitted(_:)`` turns the marker into in a resolved name.
    static let neutralisedMarker = temporaryFileMarker.replacingOccurrences(of: "-", with: "_")

    /// Longest file name a template resolves to: 255 bytes (the file system's limit) minus what
    /// the temp file's name adds: `.<name>.exportsync-part-<8 hex digits>`, 26 bytes.
    public static let maximumFileNameBytes = 255 - (3 + temporaryFileMarker.utf8.count + temporaryTokenLength)

    /// The template text as written.
    public let text: String
    /// The parsed pieces.
    public let pieces: [Piece]

    /// Parses and validates `text`, allowing `commonPlaceholders` plus `extraPlaceholders`.
    public init(_ text: String, extraPlaceholders: [String] = []) throws(ValidationError) {
        guard !text.isEmpty else { throw .empty }
        guard !text.hasPrefix("/") else { throw .absolute }
        guard !text.hasSuffix("/") else { throw .endsWithSeparator }
        if text.contains("\0") { throw .forbiddenCharacter("NUL") }
        if let control = text.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }) {
            throw .forbiddenCharacter(String(format: "control character U+%04X", control.value))
        }
        if text.contains("\\") { throw .forbiddenCharacter("backslash") }
        let known = Self.commonPlaceholders + extraPlaceholders
        var pieces: [Piece] = []
        var literal = ""
        var placeholder: String?
        for character in text {
            switch (character, placeholder) {
            case ("{", nil):
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                placeholder = ""
            case ("}", let name?):
                guard known.contains(name) else { throw .unknownPlaceholder(name: name, known: known) }
                pieces.append(.placeholder(name))
                placeholder = nil
            case ("{", .some), ("}", nil):
                throw .unbalancedBrace
            case (_, let name?):
                placeholder = name + String(character)
            case (_, nil):
                literal.append(character)
            }
        }
        guard placeholder == nil else { throw .unbalancedBrace }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        // Check the literal skeleton component by component; placeholders count as a safe name.
        let skeleton = pieces.map { piece -> String in
            if case .literal(let value) = piece { return value }
            return "x"
        }.joined()
        for component in skeleton.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { throw .emptyComponent }
            if component == ".." || component == "." { throw .escapesRoot(component: String(component)) }
            if component.utf8.count > Self.maximumFileNameBytes { throw .componentTooLong(component: String(component), bytes: component.utf8.count) }
        }
        if text.contains(Self.temporaryFileMarker) { throw .reservedMarker }
        self.text = text
        self.pieces = pieces
    }

    /// The placeholders the template uses.
    public var placeholders: [String] {
        pieces.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// Resolves the template to a relative path whose components are all safe names.
    ///
    /// Each value is sanitised with ``PathComponentSanitizer`` before substitution; a value that
    /// is missing resolves to `_`. The result never starts with `/` and has no `.`/`..` component.
    public func resolve(_ values: [String: String]) -> String {
        let raw = pieces.map { piece -> String in
            switch piece {
            case .literal(let text): text
            case .placeholder(let name): PathComponentSanitizer.sanitize(values[name] ?? "")
            }
        }.joined()
        return raw.split(separator: "/", omittingEmptySubsequences: true)
            .map { component in
                component == "." || component == ".." ? "_" : Self.fitted(String(component))
            }
            .joined(separator: "/")
    }

    /// The directory every path the template resolves to lies in, as far as `values` fix it:
    /// the template resolved (as ``resolve(_:)`` does) up to the last `/` before the first
    /// placeholder in `variable` (or before the file name, when none occurs). `""` when the
    /// first component already varies from run to run: the files may then land anywhere below
    /// the output root.
    public func fixedDirectory(_ values: [String: String], variable: Set<String>) -> String {
        var raw = ""
        scan: for piece in pieces {
            switch piece {
            case .literal(let text): raw += text
            case .placeholder(let name):
                if variable.contains(name) { break scan }
                raw += PathComponentSanitizer.sanitize(values[name] ?? "")
            }
        }
        // Sanitised values hold no "/": every separator in `raw` comes from a literal, so the
        // components before the last one resolve exactly as they do in a full resolution.
        guard let slash = raw.lastIndex(of: "/") else { return "" }
        return raw[..<slash].split(separator: "/", omittingEmptySubsequences: true)
            .map { component in
                component == "." || component == ".." ? "_" : Self.fitted(String(component))
            }
            .joined(separator: "/")
    }

    /// `component` cut to ``maximumFileNameBytes`` on a character boundary, keeping a short
    /// extension (`….pdf`), and never leaving the temp-file marker in it.
    static func fitted(_ component: String) -> String {
        var name = component.replacingOccurrences(of: temporaryFileMarker, with: neutralisedMarker)
        guard name.utf8.count > maximumFileNameBytes else { return name }
        let ext = (name as NSString).pathExtension
        let keep = ext.isEmpty || ext.utf8.count > 16 ? "" : "." + ext
        var stem = String(name.dropLast(keep.count))
        while stem.utf8.count + keep.utf8.count > maximumFileNameBytes { stem.removeLast() }
        name = stem + keep
        return name
    }

    public var description: String { text }
}

/// Turns an arbitrary string (a server's file name, an identifier) into one safe path component.
public enum PathComponentSanitizer {
    /// The longest component produced, in UTF-8 bytes (file systems allow 255).
    public static let maximumBytes = 200

    /// Replaces `/`, `\`, their look-alikes (`∕`, `／`, `⁄`, …), NUL and control characters (C0,
    /// DEL, C1) with `_`, drops bidi controls (which make `cod.exe\u{202E}fdp` read as
    /// `codpdf.exe`), strips leading dots, spaces and combining marks and trailing spaces — all
    /// on Unicode scalars, so `.\u{301}.` cannot hide behind a grapheme cluster as a dotfile —
    /// trims to ``maximumBytes`` on a character boundary, and answers `_` for what is left empty.
    public static func sanitize(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            if bidiControls.contains(scalar.value) { continue }
            if scalar == "/" || scalar == "\\" || slashLookAlikes.contains(scalar.value)
                || scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) {
                scalars.append("_")
            } else {
                scalars.append(scalar)
            }
        }
        var start = scalars.startIndex
        while start < scalars.endIndex, scalars[start] == "." || scalars[start] == " " || isCombiningMark(scalars[start]) {
            start = scalars.index(after: start)
        }
        var result = String(scalars[start...])
        while result.last == " " { result.removeLast() }
        while result.utf8.count > maximumBytes { result.removeLast() }
        return result.isEmpty ? "_" : result
    }

    /// Bidirectional formatting characters: embeddings, overrides, isolates and marks.
    static let bidiControls: Set<UInt32> = [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]

    /// Characters drawn like `/` or `\`.
    static let slashLookAlikes: Set<UInt32> = [0x2044, 0x2215, 0x2216, 0x29F8, 0x29F9, 0xFF0F, 0xFF3C, 0x1735, 0x2571, 0x2572]

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }
}
