/// The shapes names in the configuration must have, checked by hand: a job name is checked for
/// every job, and compiling a regular expression each time dominated loading large configurations.
enum NamePattern {
    /// `^[a-z0-9][a-z0-9_-]{0,63}$`
    static func isSourceName(_ name: String) -> Bool {
        matches(name, maximumLength: 64, first: { isLowerAlphanumeric($0) }, rest: { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
    }

    /// `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`
    static func isJobName(_ name: String) -> Bool {
        matches(name, maximumLength: 64, first: { isAlphanumeric($0) }, rest: { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
    }

    /// `^[A-Za-z_][A-Za-z0-9_]*$`
    static func isEnvironmentVariableName(_ name: String) -> Bool {
        matches(name, maximumLength: .max, first: { isLetter($0) || $0 == UInt8(ascii: "_") }, rest: { isAlphanumeric($0) || $0 == UInt8(ascii: "_") })
    }

    private static func matches(_ name: String, maximumLength: Int, first: (UInt8) -> Bool, rest: (UInt8) -> Bool) -> Bool {
        let bytes = name.utf8
        guard let head = bytes.first, bytes.count <= maximumLength, first(head) else { return false }
        return bytes.dropFirst().allSatisfy(rest)
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isDigit(byte)
    }
}
