/// The file a Workiva export produces: a resource, a format and (for CSV) whether one sheet or
/// the whole workbook was asked for.
struct WorkivaExportChoice: Sendable, Hashable {
    /// `pdf`, `docx`, `xhtml`, `xlsx`, `csv`, `pptx`, or `zip` for folder/Workiva file exports.
    let format: String
    /// A CSV export of exactly one sheet (otherwise a whole-workbook CSV export is a ZIP).
    let singleSheet: Bool

    /// The generated file for `resource`.
    func content(for resource: WorkivaResource) -> SandboxContent {
        let seedText = "workiva|\(resource.id)|\(format)|\(singleSheet)"
        let name = resource.name
        let size = resource.size.bytes
        func make(_ kind: SandboxContent.Format, _ ext: String, _ type: String, parts: Int = 1) -> SandboxContent {
            SandboxContent(
                format: kind, fileName: "\(name).\(ext)", contentType: type, targetSize: size, parts: parts,
                seedText: seedText, title: name)
        }
        switch format {
        case "docx": return make(.zip, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        case "xlsx":
            return make(.zip, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", parts: resource.sheets)
        case "pptx": return make(.zip, "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")
        case "xhtml": return make(.html, "xhtml", "application/xhtml+xml")
        case "csv" where singleSheet: return make(.csv, "csv", "text/csv")
        case "csv": return make(.zip, "zip", "application/zip", parts: resource.sheets)
        case "zip": return make(.zip, "zip", "application/zip", parts: resource.sheets)
        default: return make(.pdf, "pdf", "application/pdf")
        }
    }
}
