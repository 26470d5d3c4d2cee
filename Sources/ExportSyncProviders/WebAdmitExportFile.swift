public import ExportSyncCore
import Foundation

/// An export file run as `POST …/export_files` answered it.
public struct WebAdmitExportFile: Sendable, Hashable {
    /// The export file id (WebAdMIT answers the id of the run already in flight for the same export).
    public var id: String
    /// The export the run belongs to.
    public var exportID: String
    /// `status` as spelled by the server (capitalised or legacy snake_case).
    public var status: String
    /// What the status means.
    public var outcome: OperationOutcome

    /// Creates a record; ``outcome`` follows from `status`.
    public init(id: String, exportID: String, status: String) {
        self.id = id
        self.exportID = exportID
        self.status = status
        self.outcome = OperationStatus.webAdmit(status)
    }
}

/// The state of one export file (`GET /api/v1/exports/:export_id/export_files/:id`).
///
/// ``downloadURL`` is a pre-signed URL that expires within seconds: download it at once, never
/// log or persist it. The description leaves it out.
public struct WebAdmitExportFileState: Sendable, Hashable, CustomStringConvertible {
    /// The export file id.
    public var id: String
    /// The export the file belongs to.
    public var exportID: String
    /// `status` as spelled by the server.
    public var status: String
    /// What the status means.
    public var outcome: OperationOutcome
    /// `download_url`; `nil` while it is `""` or `null`.
    public var downloadURL: String?

    /// Creates a state; ``outcome`` follows from `status`.
    public init(id: String, exportID: String, status: String, downloadURL: String?) {
        self.id = id
        self.exportID = exportID
        self.status = status
        self.outcome = OperationStatus.webAdmit(status)
        self.downloadURL = downloadURL
    }

    /// Names the file and its status, never the download URL.
    public var description: String {
        "export file \(id) of export \(exportID): \(status)\(downloadURL == nil ? "" : " (download URL issued)")"
    }
}

/// Reading the `export_files` envelope: an object, or (older docs) a one-element array.
enum WebAdmitExportFileDecoding {
    static func record(_ bytes: [UInt8]) -> JSONObject? {
        guard let object = JSONObject(bytes: bytes) else {
            // A bare array of one record.
            if let array = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]], array.count == 1 {
                return JSONObject(array[0])
            }
            return nil
        }
        switch object.value("export_files") {
        case let single as [String: Any]: return JSONObject(single)
        case let array as [[String: Any]]: return array.count == 1 ? JSONObject(array[0]) : nil
        default: return object.string("id") != nil ? object : nil
        }
    }

    /// The `export_files` array of a list answer (`{"href": …, "export_files": [{id, href,
    /// export_id, status}, …]}`), ids as numbers or strings, unknown fields ignored; `nil` when
    /// the array is missing or not an array, or an entry is not an object with an `id` and an
    /// `export_id` (a list that cannot be read whole must not hide the run it was asked for).
    static func list(_ bytes: [UInt8]) -> [WebAdmitExportFile]? {
        guard let object = JSONObject(bytes: bytes), let entries = object.value("export_files") as? [Any] else { return nil }
        var files: [WebAdmitExportFile] = []
        files.reserveCapacity(entries.count)
        for entry in entries {
            guard let fields = entry as? [String: Any] else { return nil }
            let record = JSONObject(fields)
            guard let id = record.string("id"), let exportID = record.string("export_id") else { return nil }
            files.append(WebAdmitExportFile(id: id, exportID: exportID, status: record.string("status") ?? ""))
        }
        return files
    }
}

extension WebAdmitExportFile {
    /// The export file a lost `POST …/export_files` of `exportID` started, from the identity's
    /// listing; `nil` when there is none, so the POST is sent again.
    ///
    /// Files this database already follows or followed (`knownFileIDs`) are never adopted. Among
    /// the rest, one still in flight wins (WebAdMIT answers a repeated POST with that same id);
    /// else the newest (largest numeric id) that is newer than every known id of the export, since
    /// ids grow and an older finished file is some earlier run's.
    public static func adoptable(from files: [WebAdmitExportFile], exportID: String, knownFileIDs: Set<String>) -> WebAdmitExportFile? {
        let candidates = files.filter { $0.exportID == exportID && !knownFileIDs.contains($0.id) }
        if let running = candidates.filter({ !$0.outcome.isTerminal }).max(by: { numericID($0.id) < numericID($1.id) }) {
            return running
        }
        // Known ids the listing shows under another export say nothing about this one.
        let otherExports = Set(files.filter { $0.exportID != exportID }.map(\.id))
        let newestKnown = knownFileIDs.subtracting(otherExports).map(numericID).max() ?? -1
        return candidates.filter { numericID($0.id) > newestKnown }.max { numericID($0.id) < numericID($1.id) }
    }

    private static func numericID(_ id: String) -> Int64 { Int64(id) ?? -1 }
}
