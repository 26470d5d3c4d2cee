import ExportSyncCore

/// Collects issues and places each one at the line and column of the key it concerns.
final class IssueCollector {
    private(set) var issues: [ConfigurationIssue] = []
    private let text: String
    /// Built on the first issue only: a valid configuration (the daemon's start) never pays for
    /// the second scan, which took about a fifth of loading a large one.
    private lazy var locator = TOMLKeyLocator(text: text)

    init(text: String) { self.text = text }

    func report(_ keyPath: String, _ message: String) {
        let position = locator.position(of: keyPath)
        issues.append(ConfigurationIssue(line: position?.line, column: position?.column, keyPath: keyPath, message: message))
    }

    /// Issues in file order (those without a position last), each reported once.
    var sortedIssues: [ConfigurationIssue] {
        var seen = Set<ConfigurationIssue>()
        return issues.enumerated()
            .sorted { lhs, rhs in
                let left = (lhs.element.line ?? .max, lhs.element.column ?? .max, lhs.offset)
                let right = (rhs.element.line ?? .max, rhs.element.column ?? .max, rhs.offset)
                return left < right
            }
            .map(\.element)
            .filter { seen.insert($0).inserted }
    }
}

/// Typed, position-aware reads from one TOML table.
///
/// Every read records the key as known; ``reportUnknownKeys()`` then names each key that no read
/// asked for — misspellings and keys that do not apply to the job's kind — with a suggestion
/// when a known key is close.
final class TableReader {
    let path: String
    let table: [String: TOMLNode]
    let collector: IssueCollector
    private var known: Set<String> = []

    init(path: String, table: [String: TOMLNode], collector: IssueCollector) {
        self.path = path
        self.table = table
        self.collector = collector
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func report(_ key: String, _ message: String) { collector.report(keyPath(key), message) }

    /// Whether the table has `key` (and marks it known).
    func contains(_ key: String) -> Bool {
        known.insert(key)
        return table[key] != nil
    }

    private func value(_ key: String, required: Bool) -> TOMLNode? {
        known.insert(key)
        guard let value = table[key] else {
            if required { collector.report(keyPath(key), "missing required key") }
            return nil
        }
        return value
    }

    private func wrongType(_ key: String, expected: String, got: TOMLNode) {
        report(key, "expected \(expected), got \(got.typeName)")
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let node = value(key, required: required) else { return nil }
        guard case .string(let text) = node else { wrongType(key, expected: "a string", got: node); return nil }
        if text.isEmpty { report(key, "must not be empty"); return nil }
        return text
    }

    func integer(_ key: String, required: Bool = false) -> Int? {
        guard let node = value(key, required: required) else { return nil }
        guard case .integer(let number) = node else { wrongType(key, expected: "an integer", got: node); return nil }
        return number
    }

    func number(_ key: String, required: Bool = false) -> Double? {
        guard let node = value(key, required: required) else { return nil }
        switch node {
        case .integer(let number): return Double(number)
        case .float(let number): return number
        default: wrongType(key, expected: "a number", got: node); return nil
        }
    }

    func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let node = value(key, required: required) else { return nil }
        guard case .boolean(let flag) = node else { wrongType(key, expected: "true or false", got: node); return nil }
        return flag
    }

    /// An array of strings; a single string is accepted as a one-element list when `allowSingle`.
    func stringList(_ key: String, required: Bool = false, allowSingle: Bool = false) -> [String]? {
        guard let node = value(key, required: required) else { return nil }
        if allowSingle, case .string(let text) = node { return [text] }
        guard case .array(let elements) = node else {
            wrongType(key, expected: allowSingle ? "a string or an array of strings" : "an array of strings", got: node)
            return nil
        }
        var result: [String] = []
        for (offset, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                collector.report("\(keyPath(key))[\(offset)]", "expected a string, got \(element.typeName)")
                return nil
            }
            result.append(text)
        }
        return result
    }

    func table(_ key: String, required: Bool = false) -> TableReader? {
        guard let node = value(key, required: false) else {
            if required { collector.report(keyPath(key), "missing required table [\(keyPath(key))]") }
            return nil
        }
        guard case .table(let child) = node else { wrongType(key, expected: "a table", got: node); return nil }
        return TableReader(path: keyPath(key), table: child, collector: collector)
    }

    /// Duration keys (`"6h"`, `"90s"`) in seconds.
    func duration(_ key: String, required: Bool = false) -> Int64? {
        if let node = table[key], !(node.isString) {
            known.insert(key)
            report(key, "expected a duration such as \"30m\" or \"6h\", got \(node.typeName)")
            return nil
        }
        guard let text = string(key, required: required) else { return nil }
        guard let seconds = ConfigDuration.seconds(text) else {
            report(key, "invalid duration \"\(text)\"; use a number with a unit, like \"90s\", \"15m\", \"6h\", \"1h30m\", \"2d\"")
            return nil
        }
        return seconds
    }

    /// Marks keys as known without reading them (read elsewhere).
    func markKnown(_ keys: String...) { known.formUnion(keys) }

    /// Reports every key of the table that no read asked for.
    func reportUnknownKeys(context: String? = nil) {
        for key in table.keys.sorted() where !known.contains(key) {
            var message = "unknown key \"\(key)\""
            if let context { message += " \(context)" }
            if let suggestion = known.filter({ editDistance($0, key) <= 2 }).min(by: { editDistance($0, key) < editDistance($1, key) }) {
                message += "; did you mean \"\(suggestion)\"?"
            }
            report(key, message)
        }
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ lhs: String, _ rhs: String) -> Int {
    let left = Array(lhs.lowercased()), right = Array(rhs.lowercased())
    guard !left.isEmpty else { return right.count }
    guard !right.isEmpty else { return left.count }
    var previous = Array(0...right.count)
    for (i, leftCharacter) in left.enumerated() {
        var row = [i + 1]
        for (j, rightCharacter) in right.enumerated() {
            row.append(min(previous[j + 1] + 1, row[j] + 1, previous[j] + (leftCharacter == rightCharacter ? 0 : 1)))
        }
        previous = row
    }
    return previous[right.count]
}
