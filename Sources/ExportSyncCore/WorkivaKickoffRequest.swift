public import Foundation

/// The HTTP request that starts a Workiva operation for a job: path, body and version header.
///
/// Pure: it only builds values. The provider sends it with the source's Bearer token to the
/// source's origin, and persists `xVersion` with the operation so every poll and download of that
/// operation uses the same version.
public struct WorkivaKickoffRequest: Sendable, Hashable {
    /// Always `POST`.
    public let method = "POST"
    /// Path below the source's `base_url`, starting with `/`.
    public var path: String
    /// JSON body (keys sorted, so equal jobs send identical bytes).
    public var body: Data
    /// The `X-Version` header value.
    public var xVersion: String
    /// The OAuth scope the endpoint needs.
    public var scope: String

    /// Builds the kickoff for an export job payload, or `nil` for payloads that are not Workiva exports.
    public static func export(_ payload: JobPayload) -> WorkivaKickoffRequest? {
        switch payload {
        case .sampleAttachmentExport(let flavour, let locator, let attachment):
            let path = graphPath(flavour: flavour, locator: locator) + "/attachments/\(segment(attachment))/export"
            return WorkivaKickoffRequest(path: path, body: json(["format": "pdf"]), xVersion: flavour.xVersion, scope: "graph:read")
        case .fileExport(let flavour, let file, let kind):
            let prefix = flavour == .prototype ? "/prototype/platform" : prefix(flavour)
            var body: [String: Any] = ["kind": kind.apiName]
            switch kind {
            case .document(let spec?): body["documentExport"] = contentBody(spec)
            case .spreadsheet(let spec?): body["spreadsheetExport"] = contentBody(spec)
            case .presentation(let spec?): body["presentationExport"] = contentBody(spec)
            case .folder(let options) where !options.isEmpty: body["folderExport"] = optionsBody(options)
            case .workiva(let options) where !options.isEmpty:
                body["workivaFileExport"] = ["workivaFileExportOptions": optionsBody(options)]
            default: break
            }
            return WorkivaKickoffRequest(path: "\(prefix)/files/\(segment(file))/export", body: json(body),
                                         xVersion: flavour.xVersion, scope: "file:write")
        case .contentExport(let flavour, let id, let spec):
            let collection = switch spec.kind {
            case .document: "documents"
            case .spreadsheet: "spreadsheets"
            case .presentation: "presentations"
            }
            return WorkivaKickoffRequest(path: "\(prefix(flavour))/\(collection)/\(segment(id))/export",
                                         body: json(contentBody(spec)), xVersion: flavour.xVersion, scope: "file:read")
        case .webadmitExport, .sampleAttachmentUpload, .testFormAttachments, .webadmitExports:
            return nil
        }
    }

    /// Builds the `attachmentUpload` kickoff announcing `fileName` for an upload job's sample.
    public static func attachmentUpload(flavour: WorkivaPathFlavour, locator: SampleLocator, fileName: String) -> WorkivaKickoffRequest {
        WorkivaKickoffRequest(path: graphPath(flavour: flavour, locator: locator) + "/attachmentUpload",
                              body: json(["fileName": fileName]), xVersion: flavour.xVersion, scope: "graph:write")
    }

    /// `/platform/v1` for 2022 GA, nothing for 2026 (the prototype prefix is per endpoint).
    static func prefix(_ flavour: WorkivaPathFlavour) -> String {
        switch flavour {
        case .v2026: ""
        case .platformV1: "/platform/v1"
        case .prototype: "/prototype/platform"
        }
    }

    /// The test form / phase / matrix / sample part of a graph path (audits/procedures for the prototype).
    static func graphPath(flavour: WorkivaPathFlavour, locator: SampleLocator) -> String {
        var path = flavour == .prototype
            ? "/prototype/platform/audits/\(segment(locator.testForm))/procedures/\(segment(locator.testPhase))"
            : "\(prefix(flavour))/testForms/\(segment(locator.testForm))/testPhases/\(segment(locator.testPhase))"
        if let matrix = locator.matrix {
            path += "/matrices/\(segment(matrix))"
            if let sample = locator.sample { path += "/samples/\(segment(sample))" }
        }
        return path
    }

    static func contentBody(_ spec: ContentExportSpec) -> [String: Any] {
        var body: [String: Any] = ["format": spec.format]
        if !spec.parts.isEmpty { body[spec.kind.partsKey] = spec.parts }
        if !spec.options.isEmpty, let key = ExportOptionSchema.options(for: spec.kind, format: spec.format)?.key {
            body[key] = optionsBody(spec.options)
        }
        return body
    }

    static func optionsBody(_ options: ExportOptions) -> [String: Any] {
        options.mapValues { value -> Any in
            switch value {
            case .bool(let flag): flag
            case .number(let number): number
            case .text(let text): text
            }
        }
    }

    /// One path segment, percent-encoded (identifiers are validated to hold no `/`, `?`, `#` or `%`).
    static func segment(_ value: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func json(_ object: [String: Any]) -> Data {
        // Only strings, booleans, numbers, arrays and dictionaries built above: serialisation cannot fail.
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
