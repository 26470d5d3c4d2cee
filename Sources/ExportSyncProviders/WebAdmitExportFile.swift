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
}
