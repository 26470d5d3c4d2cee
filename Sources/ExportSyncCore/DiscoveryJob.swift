/// What a `test-form-attachments` job walks and what it does with what it finds.
public struct TestFormAttachmentsSpec: Sendable, Hashable {
    /// The test form whose attachments are exported.
    public var testForm: String
    /// The test phases walked (nil: every phase the form lists).
    public var testPhases: [String]?
    /// The levels whose attachments are exported.
    public var levels: Set<AttachmentLevel>
    /// What happens to an attachment's file once a complete scan no longer lists it.
    public var removed: RemovedAttachmentPolicy
    /// Whether an attachment exported before is exported again at every scan.
    public var refresh: AttachmentRefresh

    public init(testForm: String, testPhases: [String]?, levels: Set<AttachmentLevel>,
                removed: RemovedAttachmentPolicy = .keep, refresh: AttachmentRefresh = .once) {
        self.testForm = testForm
        self.testPhases = testPhases
        self.levels = levels
        self.removed = removed
        self.refresh = refresh
    }

    /// Whether this job's walk reaches `item` (its test form, one of its phases, one of its
    /// levels). An item known from an earlier walk that this one no longer covers (the job's
    /// `test_phases` or `levels` were edited) is out of scope, never "removed": a configuration
    /// edit deletes no file.
    public func covers(_ item: DiscoveredItem) -> Bool {
        guard case .attachment(let attachment) = item else { return false }
        return attachment.locator.testForm == testForm && levels.contains(attachment.level)
            && (testPhases.map { $0.contains(attachment.locator.testPhase) } ?? true)
    }

    /// What the walk covers, as one canonical string (``JobSpec/scanScope``).
    public var scope: String {
        let phases = testPhases.map { $0.sorted().joined(separator: ",") } ?? "*"
        let levelNames = levels.map(\.rawValue).sorted().joined(separator: ",")
        return "test-form-attachments form=\(testForm) phases=\(phases) levels=\(levelNames)"
    }
}

/// What a `webadmit-exports` job runs: every export template of an identity whose name or id
/// matches one of ``exports``.
public struct WebAdmitExportsSpec: Sendable, Hashable {
    public var userIdentity: String
    /// Names or ids, `*` and `?` globs allowed (default `["*"]`).
    public var exports: [GlobPattern]

    public init(userIdentity: String, exports: [GlobPattern]) {
        self.userIdentity = userIdentity
        self.exports = exports
    }

    /// Whether the template with `id` and `name` is one the job runs.
    public func selects(id: String, name: String?) -> Bool {
        exports.contains { $0.matches(id) || name.map($0.matches) == true }
    }

    /// Whether `item` is a template this job selects (by the name it had when last listed).
    public func covers(_ item: DiscoveredItem) -> Bool {
        guard case .exportTemplate(let template) = item else { return false }
        return selects(id: template.id, name: template.name)
    }

    /// What the scan covers, as one canonical string (``JobSpec/scanScope``).
    public var scope: String {
        "webadmit-exports identity=\(userIdentity) exports=\(exports.map(\.text).sorted().joined(separator: ","))"
    }
}

/// A shell-style glob: `*` matches any run of characters, `?` one character, everything else
/// itself (case-sensitive). No character classes: export names hold brackets.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// Whether the whole of `value` matches.
    public func matches(_ value: String) -> Bool {
        let pattern = Array(text)
        let subject = Array(value)
        // Iterative matcher with one backtrack point for the last `*` (linear in practice).
        var p = 0, s = 0
        var star: Int?
        var starMatch = 0
        while s < subject.count {
            if p < pattern.count, pattern[p] == "?" || (pattern[p] != "*" && pattern[p] == subject[s]) {
                p += 1
                s += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                starMatch = s
                p += 1
            } else if let star {
                p = star + 1
                starMatch += 1
                s = starMatch
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    public var description: String { text }
}

/// A WebAdMIT export template as the identity's list shows it.
public struct WebAdmitExportTemplate: Sendable, Hashable {
    public var id: String
    public var name: String?

    public init(id: String, name: String?) {
        self.id = id
        self.name = name
    }
}

/// Something a discovery job's scan found and exports on its own run: an attachment of a test
/// form, or a WebAdMIT export template. Its ``id`` is the key of its runs (`runs.item`).
public enum DiscoveredItem: Sendable, Hashable {
    case attachment(DiscoveredAttachment)
    case exportTemplate(WebAdmitExportTemplate)

    public var id: String {
        switch self {
        case .attachment(let attachment): attachment.id
        case .exportTemplate(let template): template.id
        }
    }

    /// The attachment's `fileName` or the template's `name`.
    public var name: String? {
        switch self {
        case .attachment(let attachment): attachment.fileName
        case .exportTemplate(let template): template.name
        }
    }
}

extension JobKind {
    /// Whether jobs of this kind scan for what to export (one run per item found).
    public var isDiscovery: Bool { self == .testFormAttachments || self == .webadmitExports }
}

extension JobSpec {
    /// Whether this job scans for what to export.
    public var isDiscovery: Bool { kind.isDiscovery }

    /// Whether this discovery job's scans reach `item` as the job is configured now.
    public func covers(_ item: DiscoveredItem) -> Bool {
        switch payload {
        case .testFormAttachments(_, let spec): spec.covers(item)
        case .webadmitExports(let spec): spec.covers(item)
        default: false
        }
    }

    /// What this discovery job's scans walk (test form, phases and levels; identity and
    /// patterns), as one canonical string a scan records when it begins: a scan resumed after the
    /// configuration changed it walked two different scopes, and is not complete (a scan that
    /// never read the lists of a phase it now covers must not take that phase's items for gone).
    /// Nil for jobs that do not scan.
    public var scanScope: String? {
        switch payload {
        case .testFormAttachments(_, let spec): spec.scope
        case .webadmitExports(let spec): spec.scope
        default: nil
        }
    }

    /// The job as it exports `item`: the single-export payload for the item and the item's
    /// template values (`{test_phase}`, `{attachment}`, `{attachment_name}`, `{export_name}`, …).
    /// Nil when the item does not belong to this job's kind.
    public func exporting(_ item: DiscoveredItem) -> JobSpec? {
        var spec = self
        switch (payload, item) {
        case (.testFormAttachments(let flavour, _), .attachment(let attachment)):
            spec.payload = .sampleAttachmentExport(flavour: flavour, locator: attachment.locator, attachment: attachment.id)
            spec.templateValues["test_phase"] = attachment.locator.testPhase
            if let matrix = attachment.locator.matrix { spec.templateValues["matrix"] = matrix }
            if let sample = attachment.locator.sample { spec.templateValues["sample"] = sample }
            spec.templateValues["attachment"] = attachment.id
            spec.templateValues["attachment_name"] = Self.stem(of: attachment.fileName) ?? attachment.id
            spec.templateValues["level"] = attachment.level.rawValue
        case (.webadmitExports(let exports), .exportTemplate(let template)):
            spec.payload = .webadmitExport(userIdentity: exports.userIdentity, exportID: template.id)
            spec.templateValues["export"] = template.id
            spec.templateValues["export_name"] = template.name ?? template.id
        default:
            return nil
        }
        return spec
    }

    /// `name` without its extension (`Tie-out.v2.pdf` → `Tie-out.v2`); nil for an empty name.
    static func stem(of name: String?) -> String? {
        guard let name, !name.isEmpty else { return nil }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
