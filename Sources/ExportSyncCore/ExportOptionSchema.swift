/// A value of one export option, as the Workiva API takes it.
public enum ExportOptionValue: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case number(Double)
    case text(String)

    public var description: String {
        switch self {
        case .bool(let value): "\(value)"
        case .number(let value): "\(value)"
        case .text(let value): "\"\(value)\""
        }
    }
}

/// The type an export option must have.
public enum ExportOptionType: Sendable, Hashable, CustomStringConvertible {
    case bool
    case number(minimum: Double, maximum: Double)
    case choice([String])

    /// Whether `value` fits this type.
    public func accepts(_ value: ExportOptionValue) -> Bool {
        switch (self, value) {
        case (.bool, .bool): true
        case (.number(let minimum, let maximum), .number(let number)): number >= minimum && number <= maximum
        case (.choice(let allowed), .text(let text)): allowed.contains(text)
        default: false
        }
    }

    public var description: String {
        switch self {
        case .bool: "a boolean"
        case .number(let minimum, let maximum): "a number from \(minimum) to \(maximum)"
        case .choice(let allowed): "one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }
}

/// The option sets of the Workiva export bodies, named as in the vendor's OpenAPI schemas
/// (`DocumentToPdfOptions`, `SpreadsheetToXlsxOptions`, `FolderExport`, …). Option names in the
/// configuration are exactly the API's, so the vendor documentation applies word for word.
public enum ExportOptionSchema {
    static func flags(_ names: [String]) -> [String: ExportOptionType] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, ExportOptionType.bool) })
    }

    static let folderAndWorkivaFileFlags = flags([
        "emailOnComplete", "includeAttachments", "includeComments", "includeCustomFieldValues",
        "includeDocumentMarkup", "includeInputCellValues", "includeOutlineLabels", "includeSmartLinkMetadata",
        "includeWdataIncomingConnections", "includeWdataOutgoingConnections", "includeXBRL",
        "includeXBRLDisconnected", "keepInputModeEnabled", "removeGRCLinks", "removeLinks",
    ])

    /// Options of `FolderExport`.
    public static let folder = folderAndWorkivaFileFlags
    /// Options of `WorkivaFileExportByIdOptions`.
    public static let workivaFile = folderAndWorkivaFileFlags

    /// Options allowed for a content export of `kind` in `format`, and the JSON key that holds them
    /// (`pdfOptions`, `xlsxOptions`, …); `nil` when the format is not one the kind supports.
    public static func options(for kind: ContentKind, format: String) -> (key: String, options: [String: ExportOptionType])? {
        switch (kind, format) {
        case (.document, "pdf"):
            ("pdfOptions", flags([
                "includeAlternateRowFill", "includeAttachmentLabels", "includeComments", "includeDraftWatermark",
                "includeHyperlinks", "includeLeaderDots", "includeTrackChanges", "tagForWebAccessibility",
                "useCmykColorspace", "removeSpaceFromPartialExport",
            ]))
        case (.document, "docx"):
            ("docxOptions", flags(["includeLeaderDots", "showTableCellShading"]))
        case (.document, "xhtml"):
            ("xhtmlOptions", flags(["editableSimple", "editableXhtml", "includeExternalHyperlinks", "includeHeadersAndFooters"]))
        case (.spreadsheet, "pdf"):
            ("pdfOptions", flags([
                "includeComments", "includeDraftWatermark", "includeHyperlinks", "includeLeaderDots",
                "includeTrackChanges", "onlyExportPrintAreas", "showCellFills", "showGridlines", "useCmykColorspace",
            ]).merging([
                "pageHeight": .number(minimum: 3, maximum: 100),
                "pageWidth": .number(minimum: 3, maximum: 100),
                "pageOrientation": .choice(["portrait", "landscape"]),
                "pageScale": .choice(["actualSize", "fitToWidth"]),
            ]) { first, _ in first })
        case (.spreadsheet, "xlsx"):
            ("xlsxOptions", ["exportAsFormulas": .bool, "exportPrecision": .choice(["fullPrecision", "rounded", "displayed"])])
        case (.spreadsheet, "csv"):
            ("csvOptions", ["exportAsFormulas": .bool])
        case (.presentation, "pdf"):
            ("pdfOptions", flags([
                "includeAlternateRowFill", "includeComments", "includeDraftWatermark", "includeHyperlinks",
                "includeLeaderDots", "tagForWebAccessibility", "useCmykColorspace",
            ]))
        case (.presentation, "pptx"):
            ("pptxOptions", flags(["includeUnusedLayoutSlides"]))
        default:
            nil
        }
    }
}
