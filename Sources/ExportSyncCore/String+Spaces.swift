extension Substring {
    /// The text without leading and trailing spaces and tabs: what Foundation's
    /// `trimmingCharacters(in: .whitespaces)` returns (tab and the Unicode space separators, not
    /// line breaks), without bridging through `NSString` — headers and statuses are trimmed on
    /// every answer, and that bridge was about 1 % of the CPU per run.
    public func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isSpaceOrTab }),
              let last = scalars.lastIndex(where: { !$0.isSpaceOrTab }) else { return "" }
        return String(Substring(scalars[first...last]))
    }
}

extension String {
    /// ``Substring/trimmingSpaces()`` of the whole string.
    public func trimmingSpaces() -> String { Substring(self).trimmingSpaces() }
}

extension Unicode.Scalar {
    /// Tab, a space separator (general category Zs) or the zero-width space: exactly
    /// Foundation's `CharacterSet.whitespaces` (checked over every scalar).
    var isSpaceOrTab: Bool {
        self == "\t" || self == "\u{200B}" || properties.generalCategory == .spaceSeparator
    }
}
