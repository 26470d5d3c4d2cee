/// An independent reader of journald's native protocol, as journald parses it: `NAME=value\n`, or
/// `NAME\n` + little-endian UInt64 length + bytes + `\n`.
enum JournalNativeParser {
    struct Field: Equatable, CustomStringConvertible {
        var name: String
        var value: String
        var binary: Bool

        var description: String { "\(self.name)=\(self.value)\(self.binary ? " (binary)" : "")" }
    }

    enum ParseError: Error {
        case truncated(at: Int)
        case missingTerminator(at: Int)
    }

    static func parse(_ bytes: [UInt8]) throws -> [Field] {
        var fields: [Field] = []
        var index = 0
        while index < bytes.count {
            guard let separator = bytes[index...].firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\n") })
            else { throw ParseError.truncated(at: index) }
            let name = String(decoding: bytes[index..<separator], as: UTF8.self)
            if bytes[separator] == UInt8(ascii: "=") {
                guard let end = bytes[separator...].firstIndex(of: UInt8(ascii: "\n")) else {
                    throw ParseError.missingTerminator(at: separator)
                }
                fields.append(Field(name: name, value: String(decoding: bytes[(separator + 1)..<end], as: UTF8.self), binary: false))
                index = end + 1
            } else {
                let lengthStart = separator + 1
                guard lengthStart + 8 <= bytes.count else { throw ParseError.truncated(at: lengthStart) }
                var length: UInt64 = 0
                for (shift, byte) in bytes[lengthStart..<(lengthStart + 8)].enumerated() {
                    length |= UInt64(byte) << (8 * UInt64(shift))
                }
                let valueStart = lengthStart + 8
                let valueEnd = valueStart + Int(length)
                guard valueEnd < bytes.count else { throw ParseError.truncated(at: valueStart) }
                guard bytes[valueEnd] == UInt8(ascii: "\n") else { throw ParseError.missingTerminator(at: valueEnd) }
                fields.append(Field(name: name, value: String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self), binary: true))
                index = valueEnd + 1
            }
        }
        return fields
    }
}

extension Array where Element == JournalNativeParser.Field {
    /// The values of every field called `name`, in order.
    func values(_ name: String) -> [String] {
        self.filter { $0.name == name }.map(\.value)
    }

    /// The single value of `name`, or `nil` if absent.
    func value(_ name: String) -> String? {
        self.first { $0.name == name }?.value
    }
}
