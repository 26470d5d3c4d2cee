/// One problem found in a configuration file, with where it is.
public struct ConfigurationIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// The key path the problem concerns (`jobs[2].output`), or empty for the file as a whole.
    public var keyPath: String
    /// What is wrong, in words an operator can act on.
    public var message: String

    public init(line: Int?, column: Int?, keyPath: String, message: String) {
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `LINE:COLUMN: KEY.PATH: message` (parts that are unknown are left out).
    public var description: String {
        var parts: [String] = []
        if let line { parts.append(column.map { "\(line):\($0)" } ?? "\(line)") }
        if !keyPath.isEmpty { parts.append(keyPath) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// A configuration that cannot be used, with every problem found in it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The configuration file's path as given.
    public var file: String
    /// All problems found, in file order.
    public var issues: [ConfigurationIssue]

    public init(file: String, issues: [ConfigurationIssue]) {
        self.file = file
        self.issues = issues
    }

    /// One `FILE:LINE:COLUMN: KEY.PATH: message` line per issue (`FILE: KEY.PATH: message` when the line is unknown).
    public var description: String {
        issues.map { $0.line == nil ? "\(file): \($0)" : "\(file):\($0)" }.joined(separator: "\n")
    }
}
