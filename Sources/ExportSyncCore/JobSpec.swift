/// The kinds of job exportsync runs, as written in the configuration's `kind` key.
public enum JobKind: String, Sendable, Hashable, CaseIterable {
    case sampleAttachmentExport = "sample-attachment-export"
    case fileExport = "file-export"
    case documentExport = "document-export"
    case spreadsheetExport = "spreadsheet-export"
    case presentationExport = "presentation-export"
    case webadmitExport = "webadmit-export"
    case sampleAttachmentUpload = "sample-attachment-upload"
    /// Every attachment of a test form (at the configured levels), one export run each.
    case testFormAttachments = "test-form-attachments"
    /// Every matching export template of a WebAdMIT identity, one run each per schedule slot.
    case webadmitExports = "webadmit-exports"

    /// The source type the job kind needs.
    public var sourceType: SourceType {
        self == .webadmitExport || self == .webadmitExports ? .webadmit : .workiva
    }
}

/// The Workiva content types that have their own export endpoint.
public enum ContentKind: String, Sendable, Hashable, CaseIterable {
    case document, spreadsheet, presentation

    /// Formats the endpoint accepts (`DocumentExport.format` etc.).
    public var formats: [String] {
        switch self {
        case .document: ["pdf", "docx", "xhtml"]
        case .spreadsheet: ["pdf", "xlsx", "csv"]
        case .presentation: ["pdf", "pptx"]
        }
    }

    /// The configuration key (and API body key) that lists the parts to export.
    public var partsKey: String {
        switch self {
        case .document: "sections"
        case .spreadsheet: "sheets"
        case .presentation: "slides"
        }
    }
}

/// Which Workiva path family a request uses.
public enum WorkivaPathFlavour: String, Sendable, Hashable, CaseIterable {
    /// 2026-01-01: unprefixed paths, `X-Version: 2026-01-01`.
    case v2026 = "2026-01-01"
    /// 2022-01-01 GA: `/platform/v1/…`.
    case platformV1 = "platform-v1"
    /// 2022-01-01 prototype: `/prototype/platform/…` (sunset 2027-01-31).
    case prototype = "prototype"

    /// The `X-Version` header value sent with every request of this flavour.
    public var xVersion: String { self == .v2026 ? "2026-01-01" : "2022-01-01" }
}

/// The API versions a Workiva source can be pinned to.
public enum WorkivaAPIVersion: String, Sendable, Hashable, CaseIterable {
    case v2026 = "2026-01-01"
    case v2022 = "2022-01-01"

    /// The path flavour jobs use unless they say otherwise.
    public var defaultFlavour: WorkivaPathFlavour { self == .v2026 ? .v2026 : .platformV1 }
}

/// Options of one export body, by API option name.
public typealias ExportOptions = [String: ExportOptionValue]

/// A content export: format, optional parts (sections, sheets, slides) and format options.
public struct ContentExportSpec: Sendable, Hashable {
    public var kind: ContentKind
    public var format: String
    public var parts: [String]
    public var options: ExportOptions

    public init(kind: ContentKind, format: String, parts: [String] = [], options: ExportOptions = [:]) {
        self.kind = kind
        self.format = format
        self.parts = parts
        self.options = options
    }
}

/// Where a sample attachment sits in Workiva's graph.
public struct SampleLocator: Sendable, Hashable {
    /// Test form id (2026, platform-v1) — or the audit id for the prototype flavour.
    public var testForm: String
    /// Test phase id — or the procedure id for the prototype flavour.
    public var testPhase: String
    public var matrix: String?
    public var sample: String?

    public init(testForm: String, testPhase: String, matrix: String?, sample: String?) {
        self.testForm = testForm
        self.testPhase = testPhase
        self.matrix = matrix
        self.sample = sample
    }
}

/// What a job does, with the identifiers and options its kind needs.
public enum JobPayload: Sendable, Hashable {
    /// Export an attachment of a sample (or of a matrix or test phase) to PDF.
    case sampleAttachmentExport(flavour: WorkivaPathFlavour, locator: SampleLocator, attachment: String)
    /// `POST files/{id}/export` with a `FileExportById` body.
    case fileExport(flavour: WorkivaPathFlavour, file: String, fileKind: FileExportKind)
    /// `POST documents|spreadsheets|presentations/{id}/export`.
    case contentExport(flavour: WorkivaPathFlavour, id: String, export: ContentExportSpec)
    /// Start a WebAdMIT export run and download its file.
    case webadmitExport(userIdentity: String, exportID: String)
    /// Attach files dropped into an inbox directory to a sample.
    case sampleAttachmentUpload(flavour: WorkivaPathFlavour, locator: SampleLocator, inbox: UploadInbox)
    /// Scan a test form's graph lists and export every attachment found (``TestFormAttachmentsSpec``).
    case testFormAttachments(flavour: WorkivaPathFlavour, TestFormAttachmentsSpec)
    /// List an identity's export templates and run every matching one (``WebAdmitExportsSpec``).
    case webadmitExports(WebAdmitExportsSpec)
}

/// `FileExportById.kind` with the nested options each kind takes.
public enum FileExportKind: Sendable, Hashable {
    case document(ContentExportSpec?)
    case spreadsheet(ContentExportSpec?)
    case presentation(ContentExportSpec?)
    case supportingDocument
    case folder(ExportOptions)
    case workiva(ExportOptions)

    /// The API's spelling of the kind.
    public var apiName: String {
        switch self {
        case .document: "Document"
        case .spreadsheet: "Spreadsheet"
        case .presentation: "Presentation"
        case .supportingDocument: "SupportingDocument"
        case .folder: "Folder"
        case .workiva: "Workiva"
        }
    }

    /// All API spellings, for validation messages.
    public static let apiNames = ["Document", "Spreadsheet", "Presentation", "SupportingDocument", "Folder", "Workiva"]
}

/// The local side of an upload job.
public struct UploadInbox: Sendable, Hashable {
    /// Directory watched for new files.
    public var directory: String
    /// Where files go after a successful upload (default `<inbox>/done`).
    public var doneDirectory: String
    /// Where files go after a terminal failure (default `<inbox>/failed`).
    public var failedDirectory: String
    /// How long size and mtime must stay unchanged before a file counts as complete.
    public var settleSeconds: Int64
    /// Largest file accepted, in bytes (never more than the API's 10,485,760).
    public var maximumBytes: Int64

    /// The Workiva API's request payload limit.
    public static let apiPayloadLimit: Int64 = 10_485_760

    public init(directory: String, doneDirectory: String, failedDirectory: String, settleSeconds: Int64, maximumBytes: Int64) {
        self.directory = directory
        self.doneDirectory = doneDirectory
        self.failedDirectory = failedDirectory
        self.settleSeconds = settleSeconds
        self.maximumBytes = maximumBytes
    }
}

/// A validated job from the configuration.
public struct JobSpec: Sendable, Hashable {
    /// Unique name; appears in logs (`JOB=`), the database and output paths (`{job}`).
    public var name: String
    /// The name of the source (a `[sources.NAME]` table) the job talks to.
    public var source: String
    public var kind: JobKind
    public var payload: JobPayload
    public var schedule: Schedule
    /// Where the produced file lands, relative to the output directory (export jobs only).
    public var output: PathTemplate?
    /// How long one run may take, from kickoff to the file on disk, in seconds.
    public var deadlineSeconds: Int64
    /// Values the output template may refer to, from the job's identifiers (`test_form`, …).
    public var templateValues: [String: String]
    /// A stable digest of the job's configuration table; changes whenever the job's settings do.
    public var fingerprint: String
    /// `stale_after`: how long without a successful run before `check` calls the job stale
    /// (nil: ``effectiveStaleAfterSeconds``'s default).
    public var staleAfterSeconds: Int64?
    /// `on_file` (the job's or `[daemon]`'s): the program run after each file is delivered.
    public var deliveryHook: DeliveryHook?
    /// `checksum_files` (the job's, else `[daemon]`'s): whether each delivered file gets a
    /// ``ChecksumFile`` beside it. Always false for upload jobs.
    public var checksumFiles: Bool

    public init(name: String, source: String, kind: JobKind, payload: JobPayload, schedule: Schedule,
                output: PathTemplate?, deadlineSeconds: Int64, templateValues: [String: String], fingerprint: String,
                staleAfterSeconds: Int64? = nil, deliveryHook: DeliveryHook? = nil, checksumFiles: Bool = false) {
        self.staleAfterSeconds = staleAfterSeconds
        self.deliveryHook = deliveryHook
        self.checksumFiles = checksumFiles
        self.name = name
        self.source = source
        self.kind = kind
        self.payload = payload
        self.schedule = schedule
        self.output = output
        self.deadlineSeconds = deadlineSeconds
        self.templateValues = templateValues
        self.fingerprint = fingerprint
    }
}

/// The two API families exportsync speaks.
public enum SourceType: String, Sendable, Hashable, CaseIterable {
    case workiva
    case webadmit
}

/// A Workiva Platform API source.
public struct WorkivaSourceSpec: Sendable, Hashable {
    public var name: String
    /// API origin, e.g. `https://api.app.wdesk.com`.
    public var baseURL: String
    public var apiVersion: WorkivaAPIVersion
    /// OAuth2 token endpoint (default `{base_url}/iam/v1/oauth2/token`).
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: SecretReference
    /// Upper bound on requests per second to this source, shared by all its jobs.
    public var requestsPerSecond: Double
    /// Upper bound on operation polls per second (Workiva throttles polling to about 1/s per token).
    public var pollsPerSecond: Double
    /// Whether the upload PUT to `uploadUrl` carries the Bearer token (the documented flow) or not
    /// (for storage that rejects a second auth mechanism).
    public var sendAuthorizationOnUpload: Bool

    public init(name: String, baseURL: String, apiVersion: WorkivaAPIVersion, tokenURL: String, clientID: String,
                clientSecret: SecretReference, requestsPerSecond: Double, pollsPerSecond: Double, sendAuthorizationOnUpload: Bool) {
        self.name = name
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.requestsPerSecond = requestsPerSecond
        self.pollsPerSecond = pollsPerSecond
        self.sendAuthorizationOnUpload = sendAuthorizationOnUpload
    }
}

/// A WebAdMIT API source.
public struct WebAdmitSourceSpec: Sendable, Hashable {
    public var name: String
    /// API origin, e.g. `https://api.webadmit.org`.
    public var baseURL: String
    /// The user identity whose exports the jobs run (jobs may override it).
    public var userIdentity: String?
    public var apiKey: SecretReference
    /// Hourly request quota of the key (WebAdMIT allows 5,000).
    public var requestsPerHour: Int
    /// The shortest time between two status polls of one export file, in seconds
    /// (`poll_interval`; default 5, at least 1).
    public var pollIntervalSeconds: Double

    public init(
        name: String, baseURL: String, userIdentity: String?, apiKey: SecretReference, requestsPerHour: Int,
        pollIntervalSeconds: Double = 5
    ) {
        self.name = name
        self.baseURL = baseURL
        self.userIdentity = userIdentity
        self.apiKey = apiKey
        self.requestsPerHour = requestsPerHour
        self.pollIntervalSeconds = pollIntervalSeconds
    }
}

/// A configured source of either type.
public enum SourceSpec: Sendable, Hashable {
    case workiva(WorkivaSourceSpec)
    case webadmit(WebAdmitSourceSpec)

    public var name: String {
        switch self {
        case .workiva(let spec): spec.name
        case .webadmit(let spec): spec.name
        }
    }

    public var type: SourceType {
        switch self {
        case .workiva: .workiva
        case .webadmit: .webadmit
        }
    }
}
