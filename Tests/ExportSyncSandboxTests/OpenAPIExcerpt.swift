import Foundation

/// Reads enum lists and required-field lists out of `../shared/workiva-oas-excerpt.yaml` with
/// a small indentation-based scan (the excerpt's layout is plain block YAML). The file is beside
/// the repository only in the project's own workplace, so the tests use ``OpenAPIFacts``; this
/// reader checks that those still match the excerpt where it is present.
struct OpenAPIExcerpt {
    let lines: [Substring]

    /// The excerpt, or `nil` when the file is not beside the repository.
    static func load(filePath: String = #filePath) -> OpenAPIExcerpt? {
        var url = URL(fileURLWithPath: filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // …/Tests/ExportSyncSandboxTests/file → repo
        let candidate = url.deletingLastPathComponent().appendingPathComponent("shared/workiva-oas-excerpt.yaml")
        guard let text = try? String(contentsOf: candidate, encoding: .utf8) else { return nil }
        return OpenAPIExcerpt(lines: text.split(separator: "\n", omittingEmptySubsequences: false))
    }

    private func indentation(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }

    /// The lines of the block that starts at `header` (exact, trimmed) at `indent` spaces.
    private func block(named header: String, indent: Int, in range: Range<Int>) -> Range<Int>? {
        guard let start = range.first(where: { indentation(lines[$0]) == indent && lines[$0].trimmingCharacters(in: .whitespaces) == header })
        else { return nil }
        var end = start + 1
        while end < range.upperBound {
            let line = lines[end]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            // Block sequences may sit at the key's own indentation (`enum:` / `- value`).
            let isSequenceItem = indentation(line) == indent && trimmed.hasPrefix("- ")
            if !trimmed.isEmpty && indentation(line) <= indent && !isSequenceItem { break }
            end += 1
        }
        return (start + 1)..<end
    }

    private func schema(_ name: String) -> Range<Int>? {
        guard let schemas = block(named: "schemas:", indent: 2, in: 0..<lines.count) else { return nil }
        return block(named: "\(name):", indent: 4, in: schemas)
    }

    /// `components.schemas.<schema>.properties.<property>.enum`.
    func enumValues(schema name: String, property: String) -> [String] {
        guard let schema = schema(name), let properties = block(named: "properties:", indent: 6, in: schema),
            let field = block(named: "\(property):", indent: 8, in: properties),
            let values = block(named: "enum:", indent: 10, in: field)
        else { return [] }
        return values.map { lines[$0].trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
    }

    /// `components.schemas.<schema>.required`.
    func requiredFields(schema name: String) -> [String] {
        guard let schema = schema(name), let required = block(named: "required:", indent: 6, in: schema) else { return [] }
        return required.map { lines[$0].trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
    }

    /// `components.schemas.<schema>.properties` names.
    func propertyNames(schema name: String) -> [String] {
        guard let schema = schema(name), let properties = block(named: "properties:", indent: 6, in: schema) else { return [] }
        return properties.filter { indentation(lines[$0]) == 8 && lines[$0].hasSuffix(":") }
            .map { String(lines[$0].trimmingCharacters(in: .whitespaces).dropLast()) }
    }
}
