import ExportSyncCore
import Foundation

extension LoadContext {
    /// Reads `[[jobs]]`; `checksumFiles` is `[daemon] checksum_files` and `hookDefaults` its hook keys, the jobs' defaults.
    func readJobs(_ top: TableReader, sources: [String: SourceSpec], declaredSources: Set<String>, checksumFiles: Bool,
                  hookDefaults: HookSettings = HookSettings()) -> [JobSpec] {
        guard top.contains("jobs") else { return [] }
        guard case .array(let elements)? = top.table["jobs"] else {
            top.report("jobs", "expected an array of tables ([[jobs]]), got \(top.table["jobs"]?.typeName ?? "nothing")")
            return []
        }
        var jobs: [JobSpec] = []
        var firstPathByName: [String: String] = [:]
        var earlierOutputs: [(job: String, output: PathTemplate, pattern: OutputPattern)] = []
        var outputIndex = OutputPatternIndex()
        for (index, element) in elements.enumerated() {
            let path = "jobs[\(index)]"
            guard case .table(let table) = element else {
                collector.report(path, "expected a table, got \(element.typeName)")
                continue
            }
            let reader = TableReader(path: path, table: table, collector: collector)
            if let name = reader.string("name", required: true) {
                if let first = firstPathByName[name] {
                    reader.report("name", "duplicate job name \"\(name)\" (also \(first).name)")
                } else {
                    firstPathByName[name] = path
                }
            }
            guard let job = readJob(reader, sources: sources, declaredSources: declaredSources, checksumFiles: checksumFiles,
                                    fingerprint: Self.canonical(.table(table)), hookDefaults: hookDefaults)
            else { continue }
            if let output = job.output, let pattern = OutputPattern(job: job) {
                if let earlier = outputIndex.firstOverlap(with: pattern) {
                    let other = earlierOutputs[earlier]
                    reader.report("output", Self.collision(job.name, output, pattern, with: other.job, other.output, other.pattern))
                }
                outputIndex.insert(pattern)
                earlierOutputs.append((job.name, output, pattern))
            }
            jobs.append(job)
        }
        return jobs
    }

    /// Says that two jobs' output templates can name the same file.
    static func collision(_ job: String, _ output: PathTemplate, _ pattern: OutputPattern,
                          with other: String, _ otherOutput: PathTemplate, _ otherPattern: OutputPattern) -> String {
        func shown(_ name: String, _ template: PathTemplate, _ pattern: OutputPattern) -> String {
            let resolved = pattern.description == template.text ? "" : " → \"\(pattern.description)\""
            return "job \"\(name)\" (output \"\(template.text)\"\(resolved))"
        }
        return "\(shown(job, output, pattern)) and \(shown(other, otherOutput, otherPattern)) can write the same file, "
            + "and one would overwrite the other's; make a literal part differ, or add {job}"
    }

    private func readJob(_ reader: TableReader, sources: [String: SourceSpec], declaredSources: Set<String>, checksumFiles: Bool,
                         fingerprint: String, hookDefaults: HookSettings) -> JobSpec? {
        let name = reader.string("name")
        if let name, !NamePattern.isJobName(name) {
            reader.report("name", "invalid job name \"\(name)\"; use letters, digits, \".\", \"-\" and \"_\" (at most 64, starting with a letter or digit)")
        }
        let kindText = reader.string("kind", required: true)
        let kind = kindText.flatMap(JobKind.init(rawValue:))
        if let kindText, kind == nil {
            reader.report("kind", "unknown job kind \"\(kindText)\"; use one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let sourceName = reader.string("source", required: true)
        var source: SourceSpec?
        if let sourceName {
            source = sources[sourceName]
            if source == nil, declaredSources.contains(sourceName) {
                // The source itself is invalid and already reported; say nothing more here.
            } else if source == nil {
                let defined = sources.keys.sorted()
                reader.report("source", "unknown source \"\(sourceName)\"; defined sources: \(defined.isEmpty ? "none" : defined.joined(separator: ", "))")
            } else if let kind, let source, source.type != kind.sourceType {
                reader.report("source", "job kind \"\(kind.rawValue)\" needs a \(kind.sourceType.rawValue) source, but \"\(sourceName)\" is a \(source.type.rawValue) source")
            }
        }
        guard let kind else { return nil }  // Which keys are unknown depends on the kind: say nothing more.
        let schedule = readSchedule(reader, kind: kind)
        let deadline = reader.duration("deadline") ?? 3_600
        let staleAfter = reader.duration("stale_after")
        var templateValues: [String: String] = [:]
        let payload: JobPayload?
        switch kind {
        case .sampleAttachmentExport:
            payload = readSampleAttachmentExport(reader, source: source, values: &templateValues)
        case .fileExport:
            payload = readFileExport(reader, source: source, values: &templateValues)
        case .documentExport, .spreadsheetExport, .presentationExport:
            payload = readContentExport(reader, kind: kind, source: source, values: &templateValues)
        case .webadmitExport:
            payload = readWebAdmitExport(reader, source: source, values: &templateValues)
        case .sampleAttachmentUpload:
            payload = readUpload(reader, source: source)
        case .testFormAttachments:
            payload = readTestFormAttachments(reader, source: source, values: &templateValues)
        case .webadmitExports:
            payload = readWebAdmitExports(reader, source: source, values: &templateValues)
        }
        // Upload jobs deliver no files: their tables have no hook keys.
        let hook = kind == .sampleAttachmentUpload ? nil : readHookSettings(reader).hook(defaults: hookDefaults)
        var output: PathTemplate?
        // Upload jobs deliver nothing into the output tree: for them the key stays unknown.
        let jobChecksumFiles = kind == .sampleAttachmentUpload ? false : reader.bool("checksum_files") ?? checksumFiles
        if kind != .sampleAttachmentUpload, let text = reader.string("output", required: true) {
            do {
                output = try PathTemplate(text, extraPlaceholders: Self.placeholders(for: kind, flavour: reader.table["flavour"]))
            } catch {
                reader.report("output", error.description)
            }
            if let template = output, let distinct = Self.itemPlaceholder(for: kind), !template.placeholders.contains(distinct) {
                reader.report("output", "\"\(text)\" has no {\(distinct)}: every item a \(kind.rawValue) job finds needs a file of its own")
                output = nil
            }
        }
        reader.reportUnknownKeys(context: "for kind \"\(kind.rawValue)\"")
        guard let name, let sourceName, source?.type == kind.sourceType, let payload, let schedule,
              kind == .sampleAttachmentUpload || output != nil
        else { return nil }
        return JobSpec(name: name, source: sourceName, kind: kind, payload: payload, schedule: schedule, output: output,
                       deadlineSeconds: deadline, templateValues: templateValues, fingerprint: StableDigest.fnv1a64(fingerprint),
                       staleAfterSeconds: staleAfter, deliveryHook: hook, checksumFiles: jobChecksumFiles)
    }

    /// The placeholders a job kind's output template may use, besides the common ones.
    static func placeholders(for kind: JobKind, flavour: TOMLNode?) -> [String] {
        switch kind {
        case .sampleAttachmentExport:
            if case .string(WorkivaPathFlavour.prototype.rawValue)? = flavour {
                return ["audit", "procedure", "matrix", "sample", "attachment", "format"]
            }
            return ["test_form", "test_phase", "matrix", "sample", "attachment", "format"]
        case .fileExport: return ["file", "file_kind", "format"]
        case .documentExport: return ["document", "format"]
        case .spreadsheetExport: return ["spreadsheet", "format"]
        case .presentationExport: return ["presentation", "format"]
        case .webadmitExport: return ["export", "user_identity"]
        case .sampleAttachmentUpload: return []
        case .testFormAttachments: return ["test_form", "test_phase", "matrix", "sample", "attachment", "attachment_name", "level", "format"]
        case .webadmitExports: return ["export", "export_name", "user_identity"]
        }
    }

    /// The placeholder a discovery job's output must use, so each item it finds gets its own file.
    static func itemPlaceholder(for kind: JobKind) -> String? {
        switch kind {
        case .testFormAttachments: "attachment"
        case .webadmitExports: "export"
        default: nil
        }
    }

    private func readSchedule(_ reader: TableReader, kind: JobKind) -> Schedule? {
        let every = reader.duration("every")
        var times: [TimeOfDay] = []
        if let texts = reader.stringList("at", allowSingle: true) {
            for text in texts {
                guard let time = TimeOfDay(parsing: text) else {
                    reader.report("at", "invalid time of day \"\(text)\"; use HH:MM, 24-hour clock")
                    return nil
                }
                times.append(time)
            }
            if texts.isEmpty { reader.report("at", "must list at least one time of day") }
        }
        var days: Set<Weekday> = []
        if let texts = reader.stringList("days") {
            for text in texts {
                guard let day = Weekday(parsing: text) else {
                    reader.report("days", "unknown weekday \"\(text)\"; use mon, tue, wed, thu, fri, sat, sun")
                    return nil
                }
                days.insert(day)
            }
            if times.isEmpty { reader.report("days", "days needs at = \"HH:MM\" to say when on those days") }
        }
        var offset: Int64 = 0
        if let text = reader.string("utc_offset") {
            guard let parsed = Self.parseUTCOffset(text) else {
                reader.report("utc_offset", "invalid UTC offset \"\(text)\"; use \"+HH:MM\", \"-HH:MM\" or \"Z\"")
                return nil
            }
            offset = parsed
        }
        if every == nil, times.isEmpty {
            if kind == .sampleAttachmentUpload { return Schedule(everySeconds: 30) }
            if !reader.contains("every"), !reader.contains("at") {
                collector.report(reader.path, "no schedule: set every = \"6h\" and/or at = \"06:00\"")
            }
            return nil
        }
        return Schedule(everySeconds: every, timesOfDay: times, weekdays: days, utcOffsetSeconds: offset)
    }

    static func parseUTCOffset(_ text: String) -> Int64? {
        if text == "Z" || text == "UTC" { return 0 }
        guard let sign = text.first, sign == "+" || sign == "-",
              let time = TimeOfDay(parsing: String(text.dropFirst())), time.hour <= 14
        else { return nil }
        return (sign == "-" ? -1 : 1) * time.secondsIntoDay
    }

    private func readFlavour(_ reader: TableReader, source: SourceSpec?, allowPrototype: Bool,
                             prototypeRefusal: String = "the prototype API has no such endpoint") -> WorkivaPathFlavour? {
        guard let text = reader.string("flavour") else {
            if case .workiva(let spec)? = source { return spec.apiVersion.defaultFlavour }
            return .v2026
        }
        guard let flavour = WorkivaPathFlavour(rawValue: text) else {
            reader.report("flavour", "unknown path flavour \"\(text)\"; use \"2026-01-01\", \"platform-v1\" or \"prototype\"")
            return nil
        }
        if flavour == .prototype, !allowPrototype {
            reader.report("flavour", "\(prototypeRefusal); use \"2026-01-01\" or \"platform-v1\"")
            return nil
        }
        return flavour
    }

    private func readSampleAttachmentExport(_ reader: TableReader, source: SourceSpec?, values: inout [String: String]) -> JobPayload? {
        let flavour = readFlavour(reader, source: source, allowPrototype: true)
        let locator = readLocator(reader, flavour: flavour ?? .v2026, requireSample: flavour == .prototype, values: &values)
        let attachment = readIdentifier(reader, "attachment", required: true)
        if let format = reader.string("format"), format != "pdf" {
            reader.report("format", "unsupported format \"\(format)\"; attachment exports produce \"pdf\" only")
            return nil
        }
        guard let flavour, let locator, let attachment else { return nil }
        values["attachment"] = attachment
        values["format"] = "pdf"
        return .sampleAttachmentExport(flavour: flavour, locator: locator, attachment: attachment)
    }

    /// Reads test form / phase / matrix / sample (audit / procedure for the prototype flavour).
    private func readLocator(_ reader: TableReader, flavour: WorkivaPathFlavour, requireSample: Bool, values: inout [String: String]) -> SampleLocator? {
        let (formKey, phaseKey) = flavour == .prototype ? ("audit", "procedure") : ("test_form", "test_phase")
        let (otherForm, otherPhase) = flavour == .prototype ? ("test_form", "test_phase") : ("audit", "procedure")
        for (wrong, right) in [(otherForm, formKey), (otherPhase, phaseKey)] where reader.table[wrong] != nil {
            reader.markKnown(wrong)
            reader.report(wrong, "the \(flavour.rawValue) flavour calls this \"\(right)\", not \"\(wrong)\"")
        }
        let form = readIdentifier(reader, formKey, required: true)
        let phase = readIdentifier(reader, phaseKey, required: true)
        let matrix = readIdentifier(reader, "matrix", required: requireSample)
        let sample = readIdentifier(reader, "sample", required: requireSample)
        if sample != nil, matrix == nil, !requireSample {
            reader.report("sample", "sample needs matrix: a sample lives in a matrix")
            return nil
        }
        guard let form, let phase else { return nil }
        if requireSample, matrix == nil || sample == nil { return nil }
        values[formKey] = form
        values[phaseKey] = phase
        if let matrix { values["matrix"] = matrix }
        if let sample { values["sample"] = sample }
        return SampleLocator(testForm: form, testPhase: phase, matrix: matrix, sample: sample)
    }

    private func readFileExport(_ reader: TableReader, source: SourceSpec?, values: inout [String: String]) -> JobPayload? {
        let flavour = readFlavour(reader, source: source, allowPrototype: true)
        let file = readIdentifier(reader, "file", required: true)
        guard let kindName = reader.string("file_kind", required: true) else { return nil }
        let kind: FileExportKind
        switch kindName {
        case "Document", "Spreadsheet", "Presentation":
            let content = ContentKind(rawValue: kindName.lowercased()) ?? .document
            var export: ContentExportSpec?
            if reader.contains("format") {
                guard let spec = readContentSpec(reader, kind: content) else { return nil }
                export = spec
                values["format"] = spec.format
            }
            kind = switch content {
            case .document: .document(export)
            case .spreadsheet: .spreadsheet(export)
            case .presentation: .presentation(export)
            }
        case "SupportingDocument":
            kind = .supportingDocument
        case "Folder":
            guard let options = readOptions(reader, schema: ExportOptionSchema.folder, what: "folder export") else { return nil }
            kind = .folder(options)
        case "Workiva":
            guard let options = readOptions(reader, schema: ExportOptionSchema.workivaFile, what: "Workiva file export") else { return nil }
            kind = .workiva(options)
        default:
            reader.report("file_kind", "unknown file kind \"\(kindName)\"; use one of \(FileExportKind.apiNames.joined(separator: ", "))")
            return nil
        }
        guard let flavour, let file else { return nil }
        values["file"] = file
        values["file_kind"] = kindName
        return .fileExport(flavour: flavour, file: file, fileKind: kind)
    }

    private func readContentExport(_ reader: TableReader, kind: JobKind, source: SourceSpec?, values: inout [String: String]) -> JobPayload? {
        let content: ContentKind = switch kind {
        case .spreadsheetExport: .spreadsheet
        case .presentationExport: .presentation
        default: .document
        }
        let flavour = readFlavour(reader, source: source, allowPrototype: false)
        let id = readIdentifier(reader, content.rawValue, required: true)
        guard let spec = readContentSpec(reader, kind: content), let id, let flavour else { return nil }
        values[content.rawValue] = id
        values["format"] = spec.format
        return .contentExport(flavour: flavour, id: id, export: spec)
    }

    /// `format`, the parts list (`sections`/`sheets`/`slides`) and `[jobs.options]` of a content export.
    private func readContentSpec(_ reader: TableReader, kind: ContentKind) -> ContentExportSpec? {
        guard let format = reader.string("format", required: true) else { return nil }
        guard let optionSet = ExportOptionSchema.options(for: kind, format: format) else {
            reader.report("format", "unsupported format \"\(format)\" for a \(kind.rawValue) export; use one of \(kind.formats.joined(separator: ", "))")
            return nil
        }
        let parts = reader.stringList(kind.partsKey) ?? []
        if kind == .spreadsheet, format == "csv", parts.count > 1 {
            reader.report(kind.partsKey, "a CSV export takes the whole spreadsheet (a ZIP of CSVs) or exactly one sheet")
            return nil
        }
        guard let options = readOptions(reader, schema: optionSet.options, what: "\(kind.rawValue) \(format) export") else { return nil }
        return ContentExportSpec(kind: kind, format: format, parts: parts, options: options)
    }

    /// `[jobs.options]`, checked against the API schema's option names and types.
    private func readOptions(_ reader: TableReader, schema: [String: ExportOptionType], what: String) -> ExportOptions? {
        guard reader.contains("options") else { return [:] }
        guard let table = reader.table("options") else { return nil }
        var options: ExportOptions = [:]
        var valid = true
        for key in table.table.keys.sorted() {
            table.markKnown(key)
            guard let type = schema[key] else {
                table.report(key, "unknown option \"\(key)\" for a \(what); allowed: \(schema.keys.sorted().joined(separator: ", "))")
                valid = false
                continue
            }
            let value: ExportOptionValue? = switch table.table[key] {
            case .boolean(let flag)?: .bool(flag)
            case .integer(let number)?: .number(Double(number))
            case .float(let number)?: .number(number)
            case .string(let text)?: .text(text)
            default: nil
            }
            guard let value, type.accepts(value) else {
                table.report(key, "option \"\(key)\" must be \(type.description)")
                valid = false
                continue
            }
            options[key] = value
        }
        return valid ? options : nil
    }

    private func readWebAdmitExport(_ reader: TableReader, source: SourceSpec?, values: inout [String: String]) -> JobPayload? {
        let export = readIdentifier(reader, "export", required: true)
        var identity = readIdentifier(reader, "user_identity", required: false)
        if identity == nil, case .webadmit(let spec)? = source {
            identity = spec.userIdentity
            if identity == nil {
                collector.report(reader.path, "missing user_identity: set it on the job or on source \"\(spec.name)\"")
            }
        }
        guard let export, let identity else { return nil }
        values["export"] = export
        values["user_identity"] = identity
        return .webadmitExport(userIdentity: identity, exportID: export)
    }

    private func readTestFormAttachments(_ reader: TableReader, source: SourceSpec?, values: inout [String: String]) -> JobPayload? {
        let flavour = readFlavour(reader, source: source, allowPrototype: false,
                                  prototypeRefusal: "the prototype API has no graph lists to discover attachments with")
        let form = readIdentifier(reader, "test_form", required: true)
        var phases: [String]?
        var valid = true
        if reader.contains("test_phases") {
            if let list = identifierList(reader, "test_phases") {
                if list.isEmpty {
                    reader.report("test_phases", "lists no test phase; leave it out to walk every phase of the test form")
                    valid = false
                }
                phases = list
            } else {
                valid = false
            }
        }
        var levels = Set(AttachmentLevel.allCases)
        if let texts = reader.stringList("levels", allowSingle: true) {
            levels = []
            for text in texts {
                guard let level = AttachmentLevel(rawValue: text) else {
                    reader.report("levels", "unknown level \"\(text)\"; use \(AttachmentLevel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
                    valid = false
                    continue
                }
                levels.insert(level)
            }
            if texts.isEmpty {
                reader.report("levels", "lists no level; use any of \(AttachmentLevel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
                valid = false
            }
        } else if reader.contains("levels") {
            valid = false
        }
        var removed = RemovedAttachmentPolicy.keep
        if let text = reader.string("removed") {
            if let policy = RemovedAttachmentPolicy(rawValue: text) { removed = policy } else {
                reader.report("removed", "unknown value \"\(text)\"; use \"keep\" (the file stays) or \"delete\" (the file the daemon wrote is removed)")
                valid = false
            }
        }
        var refresh = AttachmentRefresh.once
        if let text = reader.string("refresh") {
            if let value = AttachmentRefresh(rawValue: text) { refresh = value } else {
                reader.report("refresh", "unknown value \"\(text)\"; use \"once\" (an attachment is exported once) or \"always\" (at every scan)")
                valid = false
            }
        }
        if let format = reader.string("format"), format != "pdf" {
            reader.report("format", "unsupported format \"\(format)\"; attachment exports produce \"pdf\" only")
            valid = false
        }
        guard valid, let flavour, let form else { return nil }
        values["test_form"] = form
        values["format"] = "pdf"
        let spec = TestFormAttachmentsSpec(testForm: form, testPhases: phases, levels: levels, removed: removed, refresh: refresh)
        return .testFormAttachments(flavour: flavour, spec)
    }

    private func readWebAdmitExports(_ reader: TableReader, source: SourceSpec?, values: inout [String: String]) -> JobPayload? {
        var identity = readIdentifier(reader, "user_identity", required: false)
        if identity == nil, case .webadmit(let spec)? = source {
            identity = spec.userIdentity
            if identity == nil {
                collector.report(reader.path, "missing user_identity: set it on the job or on source \"\(spec.name)\"")
            }
        }
        var patterns = [GlobPattern("*")]
        if reader.contains("exports") {
            guard let list = identifierList(reader, "exports", allowPatterns: true) else { return nil }
            if list.isEmpty {
                reader.report("exports", "lists no export; use names or ids (\"*\" and \"?\" match), or leave it out for every export")
                return nil
            }
            patterns = list.map(GlobPattern.init)
        }
        guard let identity else { return nil }
        values["user_identity"] = identity
        return .webadmitExports(WebAdmitExportsSpec(userIdentity: identity, exports: patterns))
    }

    /// An array of identifiers (strings, or integers taken as their digits). With
    /// `allowPatterns`, names are kept as written (they are matched, never put in a URL).
    private func identifierList(_ reader: TableReader, _ key: String, allowPatterns: Bool = false) -> [String]? {
        reader.markKnown(key)
        guard case .array(let elements)? = reader.table[key] else {
            reader.report(key, "expected an array of \(allowPatterns ? "names or ids" : "ids"), got \(reader.table[key]?.typeName ?? "nothing")")
            return nil
        }
        var result: [String] = []
        for (offset, element) in elements.enumerated() {
            let text: String
            switch element {
            case .string(let value): text = value
            case .integer(let number): text = String(number)
            default:
                collector.report("\(reader.keyPath(key))[\(offset)]", "expected a string or an integer, got \(element.typeName)")
                return nil
            }
            let forbidden = allowPatterns ? "" : "/?#% \t\n\r"
            guard !text.isEmpty, text.unicodeScalars.allSatisfy({ !forbidden.unicodeScalars.contains($0) && $0.value >= 0x20 && $0.value != 0x7F }),
                  allowPatterns || (text != "." && text != "..")
            else {
                collector.report("\(reader.keyPath(key))[\(offset)]", "\"\(text)\" is not a valid \(allowPatterns ? "name or id" : "identifier (no \"/\", \"?\", \"#\", \"%\" or white space)")")
                return nil
            }
            result.append(text)
        }
        return result
    }

    private func readUpload(_ reader: TableReader, source: SourceSpec?) -> JobPayload? {
        let flavour = readFlavour(reader, source: source, allowPrototype: false)
        var ignored: [String: String] = [:]
        let locator = readLocator(reader, flavour: flavour ?? .v2026, requireSample: true, values: &ignored)
        let inbox = reader.string("inbox", required: true).map(resolvePath)
        let done = reader.string("done_directory").map(resolvePath)
        let failed = reader.string("failed_directory").map(resolvePath)
        let settle = reader.duration("settle") ?? 5
        var maximum = UploadInbox.apiPayloadLimit
        if let configured = reader.integer("max_size") {
            if configured <= 0 {
                reader.report("max_size", "must be a positive number of bytes")
            } else if Int64(configured) > UploadInbox.apiPayloadLimit {
                reader.report("max_size", "\(configured) bytes exceeds the API's request payload limit of \(UploadInbox.apiPayloadLimit) bytes")
            } else {
                maximum = Int64(configured)
            }
        }
        guard let flavour, let locator, let inbox else { return nil }
        let box = UploadInbox(directory: inbox, doneDirectory: done ?? inbox + "/done", failedDirectory: failed ?? inbox + "/failed",
                              settleSeconds: settle, maximumBytes: maximum)
        return .sampleAttachmentUpload(flavour: flavour, locator: locator, inbox: box)
    }

    /// A canonical rendering (sorted keys) of a TOML value, the input of a job's fingerprint.
    static func canonical(_ node: TOMLNode) -> String {
        switch node {
        case .string(let text): "\"\(text)\""
        case .integer(let number): "\(number)"
        case .float(let number): "\(number)"
        case .boolean(let flag): "\(flag)"
        case .dateTime(let text): text
        case .array(let elements): "[" + elements.map(canonical).joined(separator: ",") + "]"
        case .table(let table): "{" + table.keys.sorted().map { "\($0)=\(canonical(table[$0] ?? .boolean(false)))" }.joined(separator: ",") + "}"
        }
    }
}
