/// A size in bytes, written in a scenario either as an integer or as a string such as
/// `"512 KiB"`, `"3GiB"` or `"10 MB"`.
public struct ByteCount: Codable, Sendable, Hashable, ExpressibleByIntegerLiteral {
    /// The number of bytes.
    public var bytes: Int

    /// Creates a size of `bytes` bytes.
    public init(_ bytes: Int) { self.bytes = bytes }

    public init(integerLiteral value: Int) { self.bytes = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int.self) {
            self.bytes = integer
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = Self.parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a size (use e.g. 4096, \"64 KiB\", \"3GiB\")"
            )
        }
        self.bytes = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes)
    }

    /// Parses `"<number> [unit]"` with units B, KB, MB, GB (powers of 1000) and KiB, MiB, GiB
    /// (powers of 1024).
    static func parse(_ text: String) -> Int? {
        let trimmed = text.filter { $0 != " " && $0 != "_" }
        let digits = trimmed.prefix { $0.isNumber }
        guard let number = Int(digits) else { return nil }
        let multipliers: [String: Int] = [
            "": 1, "b": 1,
            "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000,
            "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
        ]
        guard let multiplier = multipliers[trimmed.dropFirst(digits.count).lowercased()] else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
