import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4), for checking what
/// `/metrics` serves: any line it does not accept is an error, so a broken format fails the test.
///
/// Accepted: `# HELP name text`, `# TYPE name counter|gauge|histogram|summary|untyped` (at most
/// once per family, before its samples), other `#` comments, and samples
/// `name{label="value",…} value [timestamp]` with escaped label values (`\\`, `\"`, `\n`).
/// Refused besides malformed lines: a missing final newline, blank lines, a family's samples
/// not contiguous, a sample of a typed family with another name, the same series twice,
/// a label name twice in one sample, and a negative counter.
struct PrometheusText: Sendable {
    struct Sample: Sendable, Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family: Sendable {
        var name: String
        var type: String?
        var help: String?
        var samples: [Sample] = []
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: Int
        var text: String
        var problem: String
        var description: String { "line \(line): \(problem): \(text)" }
    }

    private(set) var families: [Family] = []

    /// The value of the series `name{labels}` (exactly these labels), if present.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every sample named `name`.
    func samples(named name: String) -> [Sample] { samples.filter { $0.name == name } }

    var samples: [Sample] { families.flatMap(\.samples) }

    init(parsing text: String) throws(Malformed) {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Malformed(line: 0, text: "", problem: "no final newline") }
        var closed: Set<String> = []
        var seen: Set<[String]> = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let line = String(raw)
            func fail(_ problem: String) -> Malformed { Malformed(line: number, text: line, problem: problem) }
            guard !line.isEmpty else { throw fail("blank line") }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { continue }
                let name = parts[2]
                guard Self.isMetricName(name) else { throw fail("bad metric name in \(parts[1])") }
                var family = try family(named: name, closed: &closed, fail: fail)
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw fail("bad TYPE")
                    }
                    guard family.type == nil, family.samples.isEmpty else { throw fail("TYPE repeated or after samples") }
                    family.type = parts[3]
                } else {
                    guard family.help == nil else { throw fail("HELP repeated") }
                    family.help = parts.count == 4 ? parts[3] : ""
                }
                families[families.count - 1] = family
                continue
            }
            let sample = try Self.sample(line, fail: fail)
            let familyName = families.last.map { family in
                family.type == nil || family.name == sample.name ? family.name : sample.name
            } ?? sample.name
            var family = try family(named: familyName, closed: &closed, fail: fail)
            if let type = family.type, type == "counter" || type == "gauge" {
                guard sample.name == family.name else { throw fail("sample \(sample.name) inside family \(family.name)") }
            }
            if family.type == "counter", sample.value < 0 { throw fail("negative counter") }
            let key = [sample.name] + sample.labels.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
            guard seen.insert(key).inserted else { throw fail("series repeated") }
            family.samples.append(sample)
            families[families.count - 1] = family
        }
    }

    /// The family `name`: the current one, or a new one; a family that appeared before and was
    /// left may not come back.
    private mutating func family(named name: String, closed: inout Set<String>, fail: (String) -> Malformed) throws(Malformed) -> Family {
        if let last = families.last, last.name == name { return last }
        if let last = families.last { closed.insert(last.name) }
        guard !closed.contains(name) else { throw fail("family \(name) is not contiguous") }
        families.append(Family(name: name))
        return families[families.count - 1]
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == ":" }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" }
    }

    static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard text.unicodeScalars.allSatisfy({ $0.isASCIIDigit || "+-.eE".unicodeScalars.contains($0) }) else { return nil }
            return Double(text)
        }
    }

    /// `name{labels} value [timestamp]`.
    static func sample(_ line: String, fail: (String) -> Malformed) throws(Malformed) -> Sample {
        var rest = Substring(line)
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard isMetricName(name) else { throw fail("bad metric name") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw fail("label without =") }
                let label = String(rest[..<equals])
                guard isLabelName(label) else { throw fail("bad label name \(label)") }
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw fail("unquoted label value") }
                rest = rest.dropFirst()
                var value = ""
                while true {
                    guard let character = rest.first else { throw fail("unterminated label value") }
                    rest = rest.dropFirst()
                    if character == "\"" { break }
                    if character == "\\" {
                        switch rest.first {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape in label value")
                        }
                        rest = rest.dropFirst()
                    } else {
                        value.append(character)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else { throw fail("label \(label) repeated") }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected , or }") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(fields.count), let value = number(fields[0]) else { throw fail("bad value") }
        if fields.count == 2 {
            guard fields[1].allSatisfy({ $0.isNumber || $0 == "-" }), Int64(fields[1]) != nil else { throw fail("bad timestamp") }
        }
        return Sample(name: name, labels: labels, value: value)
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
