/// The kick-off endpoints, with their scopes and request-body rules (from the OpenAPI schemas).
enum KickoffKind: Sendable {
    case attachmentExport, fileExport, documentExport, spreadsheetExport, presentationExport, attachmentUpload

    var requiredScope: String {
        switch self {
        case .attachmentExport: "graph:read"
        case .attachmentUpload: "graph:write"
        case .documentExport, .spreadsheetExport, .presentationExport: "file:read"
        case .fileExport: "file:write"
        }
    }

    var resourceKind: WorkivaResource.Kind {
        switch self {
        case .attachmentExport: .attachment
        case .attachmentUpload: .sample
        case .documentExport: .document
        case .spreadsheetExport: .spreadsheet
        case .presentationExport: .presentation
        case .fileExport: .file
        }
    }
}

/// A request body that breaks the schema: answered with 400 `400BadRequest`.
struct KickoffValidationError: Error {
    let target: String
    let message: String
}

/// What a valid kick-off body asks for.
enum KickoffRequest {
    case export(WorkivaExportChoice)
    case upload(fileName: String)
}

enum KickoffValidation {
    static let documentFormats = ["pdf", "docx", "xhtml"]
    static let spreadsheetFormats = ["pdf", "xlsx", "csv"]
    static let presentationFormats = ["pdf", "pptx"]
    static let fileKinds = ["Document", "Spreadsheet", "Presentation", "SupportingDocument", "Folder", "Workiva"]

    /// Enumerated option values; every other option value must be a boolean.
    static let optionEnums: [String: [String]] = [
        "exportPrecision": ["fullPrecision", "rounded", "displayed"],
        "pageOrientation": ["portrait", "landscape"],
        "pageScale": ["actualSize", "fitToWidth"],
    ]
    static let optionNumbers: Set<String> = ["pageHeight", "pageWidth"]

    static func validate(_ kind: KickoffKind, body: JSONValue?) throws(KickoffValidationError) -> KickoffRequest {
        guard let object = body?.object else {
            throw KickoffValidationError(target: "body", message: "The request body must be a JSON object")
        }
        switch kind {
        case .attachmentExport:
            if let format = object["format"] {
                try requireEnum(format, ["pdf"], target: "format")
            }
            return .export(WorkivaExportChoice(format: "pdf", singleSheet: false))
        case .attachmentUpload:
            guard let fileName = object["fileName"]?.string, !fileName.isEmpty else {
                throw KickoffValidationError(target: "fileName", message: "fileName is required and must be a non-empty string")
            }
            return .upload(fileName: fileName)
        case .documentExport:
            return .export(try document(object, target: ""))
        case .spreadsheetExport:
            return .export(try spreadsheet(object, target: ""))
        case .presentationExport:
            return .export(try presentation(object, target: ""))
        case .fileExport:
            guard let kindValue = object["kind"] else {
                throw KickoffValidationError(target: "kind", message: "kind is required")
            }
            let fileKind = try requireEnum(kindValue, fileKinds, target: "kind")
            var choices: [String: WorkivaExportChoice] = [:]
            for (key, check) in [
                ("documentExport", document), ("spreadsheetExport", spreadsheet), ("presentationExport", presentation),
            ] as [(String, ([String: JSONValue], String) throws(KickoffValidationError) -> WorkivaExportChoice)] {
                guard let nested = object[key], nested != .null else { continue }
                guard let nestedObject = nested.object else {
                    throw KickoffValidationError(target: key, message: "\(key) must be an object")
                }
                choices[key] = try check(nestedObject, "\(key).")
            }
            for key in ["folderExport", "workivaFileExport"] {
                if let nested = object[key], nested != .null {
                    guard let nestedObject = nested.object else {
                        throw KickoffValidationError(target: key, message: "\(key) must be an object")
                    }
                    try options(nestedObject, target: key)
                }
            }
            switch fileKind {
            case "Document": return .export(choices["documentExport"] ?? WorkivaExportChoice(format: "docx", singleSheet: false))
            case "Spreadsheet": return .export(choices["spreadsheetExport"] ?? WorkivaExportChoice(format: "xlsx", singleSheet: false))
            case "Presentation": return .export(choices["presentationExport"] ?? WorkivaExportChoice(format: "pptx", singleSheet: false))
            case "SupportingDocument": return .export(WorkivaExportChoice(format: "pdf", singleSheet: false))
            default: return .export(WorkivaExportChoice(format: "zip", singleSheet: false))
            }
        }
    }

    private static func document(_ object: [String: JSONValue], target: String) throws(KickoffValidationError) -> WorkivaExportChoice {
        let format = try requiredFormat(object, documentFormats, target: target)
        try stringArray(object["sections"], target: target + "sections")
        for key in ["pdfOptions", "docxOptions", "xhtmlOptions"] { try nestedOptions(object[key], target: target + key) }
        return WorkivaExportChoice(format: format, singleSheet: false)
    }

    private static func spreadsheet(_ object: [String: JSONValue], target: String) throws(KickoffValidationError) -> WorkivaExportChoice {
        let format = try requiredFormat(object, spreadsheetFormats, target: target)
        let sheets = try stringArray(object["sheets"], target: target + "sheets")
        if format == "csv", let sheets, sheets.count > 1 {
            throw KickoffValidationError(
                target: target + "sheets", message: "A CSV export covers either the entire spreadsheet or a single sheet")
        }
        for key in ["pdfOptions", "xlsxOptions", "csvOptions"] { try nestedOptions(object[key], target: target + key) }
        return WorkivaExportChoice(format: format, singleSheet: sheets?.count == 1)
    }

    private static func presentation(_ object: [String: JSONValue], target: String) throws(KickoffValidationError) -> WorkivaExportChoice {
        let format = try requiredFormat(object, presentationFormats, target: target)
        try stringArray(object["slides"], target: target + "slides")
        for key in ["pdfOptions", "pptxOptions"] { try nestedOptions(object[key], target: target + key) }
        return WorkivaExportChoice(format: format, singleSheet: false)
    }

    private static func requiredFormat(_ object: [String: JSONValue], _ allowed: [String], target: String) throws(KickoffValidationError) -> String {
        guard let format = object["format"] else {
            throw KickoffValidationError(target: target + "format", message: "format is required")
        }
        return try requireEnum(format, allowed, target: target + "format")
    }

    @discardableResult
    private static func requireEnum(_ value: JSONValue, _ allowed: [String], target: String) throws(KickoffValidationError) -> String {
        guard let string = value.string, allowed.contains(string) else {
            throw KickoffValidationError(target: target, message: "\(target) must be one of: \(allowed.joined(separator: ", "))")
        }
        return string
    }

    @discardableResult
    private static func stringArray(_ value: JSONValue?, target: String) throws(KickoffValidationError) -> [String]? {
        guard let value, value != .null else { return nil }
        guard case .array(let array) = value, case let strings = array.compactMap(\.string), strings.count == array.count else {
            throw KickoffValidationError(target: target, message: "\(target) must be an array of strings")
        }
        return strings
    }

    private static func nestedOptions(_ value: JSONValue?, target: String) throws(KickoffValidationError) {
        guard let value, value != .null else { return }
        guard let object = value.object else {
            throw KickoffValidationError(target: target, message: "\(target) must be an object")
        }
        try options(object, target: target)
    }

    private static func options(_ object: [String: JSONValue], target: String) throws(KickoffValidationError) {
        for (key, value) in object {
            let path = "\(target).\(key)"
            if let allowed = optionEnums[key] {
                try requireEnum(value, allowed, target: path)
            } else if optionNumbers.contains(key) {
                guard case .number(let number) = value, (3...100).contains(number) else {
                    throw KickoffValidationError(target: path, message: "\(path) must be a number between 3 and 100")
                }
            } else if case .bool = value {
                continue
            } else if case .object(let nested) = value {
                try options(nested, target: path)
            } else {
                throw KickoffValidationError(target: path, message: "\(path) must be a boolean")
            }
        }
    }

}
