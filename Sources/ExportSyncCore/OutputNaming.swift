public import Foundation

/// Names an output file: the values an output template sees for one run.
public enum OutputNaming {
    /// File extensions for the content types the APIs send.
    static let extensionsByType: [String: String] = [
        "application/pdf": "pdf",
        "text/csv": "csv",
        "application/zip": "zip",
        "application/x-zip-compressed": "zip",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
        "application/xhtml+xml": "xhtml",
        "application/vnd.ms-excel": "xls",
        "text/html": "html",
        "text/plain": "txt",
        "application/gzip": "gz",
        "application/x-gzip": "gz",
        "application/x-tar": "tar",
        "application/x-gtar": "tar.gz",
    ]

    /// The extension from the server's file name, else its content type, else `fallback`.
    public static func fileExtension(fileName: String?, contentType: String?, fallback: String?) -> String {
        if let fileName, let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex {
            let candidate = fileName[fileName.index(after: dot)...].lowercased()
            if fileName.lowercased().hasSuffix(".tar.gz") { return "tar.gz" }
            if !candidate.isEmpty, candidate.count <= 8, candidate.allSatisfy({ $0.isLetter || $0.isNumber }) { return candidate }
        }
        if let contentType {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() } ?? ""
            if let known = extensionsByType[mediaType] { return known }
        }
        return fallback ?? "bin"
    }

    /// Every template value for one run: the job's identifiers, `{job}`, `{run}`, the schedule
    /// slot's `{date}`/`{time}`/`{datetime}` (UTC; a retried or resumed run resolves to the same
    /// path), `{ext}` and `{filename}` (the server's name, else `<job>-<run>.<ext>`).
    public static func templateValues(job: JobSpec, runID: Int64, scheduledFor: Date, serverFileName: String?, contentType: String?) -> [String: String] {
        var values = fixedTemplateValues(job: job)
        let ext = fileExtension(fileName: serverFileName, contentType: contentType, fallback: job.templateValues["format"])
        values["run"] = String(runID)
        values["ext"] = ext
        values["filename"] = serverFileName ?? "\(job.name)-\(runID).\(ext)"
        let seconds = Int64(scheduledFor.timeIntervalSince1970)
        let days = Schedule.floorDiv(seconds, 86_400)
        let secondOfDay = Schedule.floorMod(seconds, 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let time = pad(Int(secondOfDay / 3_600)) + pad(Int(secondOfDay % 3_600 / 60)) + pad(Int(secondOfDay % 60))
        values["date"] = "\(year)-\(pad(month))-\(pad(day))"
        values["time"] = time
        values["datetime"] = "\(year)\(pad(month))\(pad(day))T\(time)Z"
        return values
    }

    /// The placeholders whose values change from run to run (set by ``templateValues(job:runID:scheduledFor:serverFileName:contentType:)``
    /// beyond ``fixedTemplateValues(job:)``); every other placeholder has one value per job.
    public static let runDependentPlaceholders: Set<String> = ["run", "date", "time", "datetime", "filename", "ext"]

    /// The placeholders a discovery job's runs take from the item they export
    /// (``JobSpec/exporting(_:)``): they vary from run to run like ``runDependentPlaceholders``.
    public static let itemPlaceholders: Set<String> = [
        "test_phase", "matrix", "sample", "attachment", "attachment_name", "level", "export", "export_name",
    ]

    /// The placeholders whose values vary between `job`'s runs.
    public static func variablePlaceholders(of job: JobSpec) -> Set<String> {
        job.isDiscovery ? runDependentPlaceholders.union(itemPlaceholders) : runDependentPlaceholders
    }

    /// The template values a job fixes: its identifiers and `{job}`. A placeholder the job's
    /// kind allows but the job leaves unset (`{sample}` without a sample) resolves to `_`.
    public static func fixedTemplateValues(job: JobSpec) -> [String: String] {
        var values = job.templateValues
        values["job"] = job.name
        return values
    }

    static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Days since 1970-01-01 → proleptic Gregorian (year, month, day) (Howard Hinnant's algorithm).
    static func civilDate(daysSinceEpoch: Int64) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }
}

extension OutputPattern {
    /// The paths `job`'s output template can resolve to, or `nil` for a job without output.
    public init?(job: JobSpec) {
        guard let output = job.output else { return nil }
        self.init(template: output, fixedValues: OutputNaming.fixedTemplateValues(job: job),
                  runDependent: OutputNaming.variablePlaceholders(of: job))
    }
}
