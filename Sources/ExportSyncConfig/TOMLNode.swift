import TOMLKit

/// A parsed TOML value as a plain Sendable tree, detached from TOMLKit's C++ storage.
indirect enum TOMLNode: Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case dateTime(String)
    case array([TOMLNode])
    case table([String: TOMLNode])

    var isString: Bool {
        if case .string = self { true } else { false }
    }

    /// The TOML type name, for error messages.
    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .dateTime: "a date/time"
        case .array: "an array"
        case .table: "a table"
        }
    }

    /// Parses a TOML document with TOMLKit (toml++), converting its tree.
    static func parse(_ text: String) throws(ConfigurationIssue) -> [String: TOMLNode] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationIssue(line: error.source.begin.line, column: error.source.begin.column, keyPath: "",
                                     message: "TOML syntax error: \(error.description)")
        } catch {
            throw ConfigurationIssue(line: nil, column: nil, keyPath: "", message: "TOML syntax error: \(error)")
        }
        return convert(table)
    }

    private static func convert(_ table: TOMLTable) -> [String: TOMLNode] {
        var result: [String: TOMLNode] = [:]
        for key in table.keys {
            if let value = table[key] { result[key] = convert(value) }
        }
        return result
    }

    private static func convert(_ value: any TOMLValueConvertible) -> TOMLNode {
        switch value.type {
        case .table: .table(value.table.map(convert) ?? [:])
        case .array: .array(value.array.map { $0.map(convert) } ?? [])
        case .string: .string(value.string ?? "")
        case .int: .integer(value.int ?? 0)
        case .double: .float(value.double ?? 0)
        case .bool: .boolean(value.bool ?? false)
        case .date, .time, .dateTime: .dateTime(value.tomlValue.debugDescription)
        }
    }
}
