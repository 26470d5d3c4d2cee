/// The simulated WebAdMIT API: API keys, user identities and export templates.
public struct WebAdmitScenario: Codable, Sendable {
    /// Accepted `x-api-key` values.
    public var apiKeys: [WebAdmitAPIKey]
    /// Calls per key per hour; the next call gets 429. Every answer carries `X-RateLimit-*`.
    public var hourlyQuota: Int
    /// Answer statuses in the pre-2018 lower-case snake_case spelling (`in_progress`, …).
    public var legacyStatuses: Bool
    /// Lifetime of each freshly minted `download_url`, in seconds.
    public var downloadURLLifetimeSeconds: Int
    /// The identities the keys may act as.
    public var identities: [WebAdmitIdentity]
    /// Export templates that can be run.
    public var exports: [WebAdmitExport]
    /// Timeline used by exports that do not set their own.
    public var defaultTimeline: ExportFileTimeline
    /// The id given to the first export file; later runs count up from it.
    public var firstExportFileId: Int

    /// Creates the WebAdMIT part of a scenario.
    public init(
        apiKeys: [WebAdmitAPIKey] = [],
        hourlyQuota: Int = 5_000,
        legacyStatuses: Bool = false,
        downloadURLLifetimeSeconds: Int = 20,
        identities: [WebAdmitIdentity] = [],
        exports: [WebAdmitExport] = [],
        defaultTimeline: ExportFileTimeline = .init(),
        firstExportFileId: Int = 74_780
    ) {
        self.apiKeys = apiKeys
        self.hourlyQuota = hourlyQuota
        self.legacyStatuses = legacyStatuses
        self.downloadURLLifetimeSeconds = downloadURLLifetimeSeconds
        self.identities = identities
        self.exports = exports
        self.defaultTimeline = defaultTimeline
        self.firstExportFileId = firstExportFileId
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case apiKeys, hourlyQuota, legacyStatuses, downloadURLLifetimeSeconds, identities, exports
        case defaultTimeline, firstExportFileId
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = WebAdmitScenario()
        self.apiKeys = try c.value(.apiKeys, default: d.apiKeys)
        self.hourlyQuota = try c.value(.hourlyQuota, default: d.hourlyQuota)
        self.legacyStatuses = try c.value(.legacyStatuses, default: d.legacyStatuses)
        self.downloadURLLifetimeSeconds = try c.value(.downloadURLLifetimeSeconds, default: d.downloadURLLifetimeSeconds)
        self.identities = try c.value(.identities, default: d.identities)
        self.exports = try c.value(.exports, default: d.exports)
        self.defaultTimeline = try c.value(.defaultTimeline, default: d.defaultTimeline)
        self.firstExportFileId = try c.value(.firstExportFileId, default: d.firstExportFileId)
    }
}

/// An API key and the identities it has "API Access" to.
public struct WebAdmitAPIKey: Codable, Sendable {
    /// The `x-api-key` value.
    public var key: String
    /// Identity ids this key may use; `nil` means all.
    public var identities: [Int]?

    /// Creates a key.
    public init(key: String, identities: [Int]? = nil) {
        self.key = key
        self.identities = identities
    }
}

/// A WebAdMIT user identity (`/api/v1/user_identities`).
public struct WebAdmitIdentity: Codable, Sendable {
    /// Identity id, used in `/api/v1/user_identities/:id/…`.
    public var id: Int
    /// `type`, e.g. `Admissions`.
    public var type: String
    /// `association`, e.g. `SOPHAS`.
    public var association: String
    /// `institution`.
    public var institution: String
    /// `organization`.
    public var organization: String
    /// `cycle`, e.g. `2026-2027`.
    public var cycle: String

    /// Creates an identity.
    public init(
        id: Int, type: String = "Admissions", association: String = "SOPHAS",
        institution: String = "Sandbox University", organization: String = "School of Public Health",
        cycle: String = "2026-2027"
    ) {
        self.id = id
        self.type = type
        self.association = association
        self.institution = institution
        self.organization = organization
        self.cycle = cycle
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, type, association, institution, organization, cycle
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = WebAdmitIdentity(id: 0)
        self.id = try c.decode(Int.self, forKey: .id)
        self.type = try c.value(.type, default: d.type)
        self.association = try c.value(.association, default: d.association)
        self.institution = try c.value(.institution, default: d.institution)
        self.organization = try c.value(.organization, default: d.organization)
        self.cycle = try c.value(.cycle, default: d.cycle)
    }
}

/// A WebAdMIT export template (`/api/v1/exports`).
public struct WebAdmitExport: Codable, Sendable {
    /// The file format, spelled as WebAdMIT spells it.
    public enum Format: String, Codable, Sendable, CaseIterable {
        case csv = "Comma-Separated Values"
        case excel = "Microsoft Excel"
        case html = "Website HTML"
        case fixedWidth = "Fixed Width Report"
        case csvMultipleFiles = "Comma-Separated Values in Multiple Files"

        /// The `mime_type` WebAdMIT lists for the format.
        public var mimeType: String {
            switch self {
            case .csv: "text/csv;charset=iso-8859-1"
            case .excel: "application/vnd.ms-excel"
            case .html: "text/html"
            case .fixedWidth: "text/plain"
            case .csvMultipleFiles: "application/zip"
            }
        }
    }

    /// Export id.
    public var id: Int
    /// The identity owning the export.
    public var identityId: Int
    /// Export name; also the base of the downloaded file name.
    public var name: String
    /// `list_type`: `all`, `clipboard`, `search` or null.
    public var listType: String?
    /// File format.
    public var format: Format
    /// Target size of the generated file.
    public var size: ByteCount
    /// Number of CSV files inside a `Comma-Separated Values in Multiple Files` ZIP.
    public var files: Int
    /// Overrides the scenario's default timeline.
    public var timeline: ExportFileTimeline?

    /// Creates an export template.
    public init(
        id: Int, identityId: Int, name: String, listType: String? = "all", format: Format = .csv,
        size: ByteCount = 16_384, files: Int = 2, timeline: ExportFileTimeline? = nil
    ) {
        self.id = id
        self.identityId = identityId
        self.name = name
        self.listType = listType
        self.format = format
        self.size = size
        self.files = files
        self.timeline = timeline
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, identityId, name, listType, format, size, files, timeline
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try c.decode(Int.self, forKey: .id)
        self.identityId = try c.decode(Int.self, forKey: .identityId)
        self.name = try c.decode(String.self, forKey: .name)
        self.listType = try c.value(.listType, default: "all")
        self.format = try c.value(.format, default: .csv)
        self.size = try c.value(.size, default: 16_384)
        self.files = max(1, try c.value(.files, default: 2))
        self.timeline = try c.decodeIfPresent(ExportFileTimeline.self, forKey: .timeline)
    }
}

/// How one export file run progresses: `Initializing → Queued → In Progress → outcome`,
/// becoming terminal after `polls` status calls **and** `seconds` since the POST.
public struct ExportFileTimeline: Codable, Sendable {
    /// Terminal status of a run.
    public enum Outcome: String, Codable, Sendable {
        case available = "Available"
        case successWithErrors = "Success With Errors"
        case emptyList = "Empty List"
        case failed = "Failed"
    }

    /// The terminal status.
    public var outcome: Outcome
    /// Status calls answered with a non-terminal status first.
    public var polls: Int
    /// Seconds after the POST before the run can become terminal.
    public var seconds: Double

    /// Creates a timeline.
    public init(outcome: Outcome = .available, polls: Int = 2, seconds: Double = 0) {
        self.outcome = outcome
        self.polls = polls
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case outcome, polls, seconds }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.outcome = try c.value(.outcome, default: .available)
        self.polls = max(0, try c.value(.polls, default: 2))
        self.seconds = max(0, try c.value(.seconds, default: 0))
    }
}
