/// The facts of Workiva's OpenAPI document that the sandbox's tests check against, carried in
/// the repository so that a fresh clone needs nothing beside it.
///
/// Source: `shared/workiva-oas-excerpt.yaml` (the 2026-01-01 Workiva API, document version
/// 1.2734.0, trimmed from the vendor's public `oas.yaml`), extracted on 2026-12-02. Only enum
/// lists, required-field lists and property names are kept. Where the excerpt is beside the
/// repository, `OpenAPIFactsTests` checks that these still match it.
enum OpenAPIFacts {
    /// `components.schemas.<schema>.properties.<property>.enum`, keyed by schema, then property.
    static let enums: [String: [String: [String]]] = [
        "Operation": ["status": ["acknowledged", "queued", "started", "completed", "cancelled", "failed"]],
        "DocumentExport": ["format": ["pdf", "docx", "xhtml"]],
        "SpreadsheetExport": ["format": ["pdf", "xlsx", "csv"]],
        "PresentationExport": ["format": ["pdf", "pptx"]],
        "FileExportById": ["kind": ["Document", "Spreadsheet", "Presentation", "SupportingDocument", "Folder", "Workiva"]],
        "GraphAttachmentExport": ["format": ["pdf"]],
    ]

    /// `components.schemas.<schema>.required`.
    static let required: [String: [String]] = [
        "BearerToken": ["access_token", "expires_in", "token_type", "scope"]
    ]

    /// `components.schemas.<schema>.properties` names.
    static let properties: [String: [String]] = [
        "ErrorResponse": ["code", "details", "documentationUrl", "message", "target", "version"]
    ]

    static func enumValues(schema: String, property: String) -> [String] {
        enums[schema]?[property] ?? []
    }

    static func requiredFields(schema: String) -> [String] {
        required[schema] ?? []
    }

    static func propertyNames(schema: String) -> [String] {
        properties[schema] ?? []
    }
}
