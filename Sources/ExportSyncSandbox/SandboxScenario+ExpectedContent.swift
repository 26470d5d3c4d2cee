extension SandboxScenario {
    /// The file a Workiva export of resource `id` in `format` yields (`singleSheet`: a CSV
    /// export of one sheet; otherwise a whole-workbook CSV export is a ZIP). For a
    /// `files/{id}/export`, `format` is the nested export's format or the kind's default
    /// (`docx`, `xlsx`, `pptx`; `pdf` for SupportingDocument; `zip` for Folder/Workiva).
    /// `nil` when the scenario has no such resource.
    public func expectedWorkivaContent(resource id: String, format: String, singleSheet: Bool = false) -> SandboxContent? {
        guard let resource = workiva.resources.first(where: { $0.id == id }) else { return nil }
        return WorkivaExportChoice(format: format, singleSheet: singleSheet).content(for: resource)
    }

    /// The file every run of WebAdMIT export `id` yields; `nil` when there is no such export.
    public func expectedWebAdmitContent(export id: Int) -> SandboxContent? {
        guard let export = webadmit.exports.first(where: { $0.id == id }) else { return nil }
        return WebAdmitRoutes.content(for: export)
    }
}
