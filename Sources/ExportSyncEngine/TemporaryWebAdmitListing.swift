// TEMPORARY until the webadmit-list branch is merged.
import ExportSyncCore
import ExportSyncProviders

extension WebAdmitSourceSpec {
    var pollIntervalSeconds: Double { 5 }
}

extension WebAdmitClient {
    func listExportFiles(userIdentity: String) async throws(ProviderFailure) -> [WebAdmitExportFile] { [] }
}

extension WebAdmitExportFile {
    static func adoptable(from files: [WebAdmitExportFile], exportID: String, knownFileIDs: Set<String>) -> WebAdmitExportFile? { nil }
}
