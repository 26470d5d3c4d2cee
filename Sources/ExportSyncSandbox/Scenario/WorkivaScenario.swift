/// The simulated Workiva Platform API: OAuth clients, rate limits and the resources that can be
/// exported or uploaded to.
public struct WorkivaScenario: Codable, Sendable {
    /// OAuth2 clients accepted by the token endpoint.
    public var clients: [WorkivaClient]
    /// `expires_in` of issued tokens, in seconds; a token is rejected with 401 afterwards.
    public var tokenLifetimeSeconds: Int
    /// Requests per second allowed per client across all Workiva endpoints, token endpoint
    /// included; 0 disables the limit.
    public var requestsPerSecond: Double
    /// Operation polls per second allowed per token; excess polls get 429. 0 disables the limit.
    public var pollsPerSecond: Double
    /// Whether a rate-limit 429 carries `Retry-After`.
    public var retryAfterOn429: RetryAfterPolicy
    /// How `resourceUrl` answers: the bytes themselves, or a 302 to the fake storage.
    public var downloadMode: DownloadMode
    /// Lifetime of an attachmentUpload `uploadUrl`, in seconds.
    public var uploadURLLifetimeSeconds: Int
    /// An upload operation fails when no PUT arrived within this many seconds.
    public var uploadDeadlineSeconds: Double
    /// When true, a PUT to an `uploadUrl` that carries `Authorization` is rejected like S3 does.
    public var strictUploadAuthorization: Bool
    /// Timeline used by resources that do not set their own.
    public var defaultTimeline: OperationTimeline
    /// Exportable resources (attachments, files, documents, …) and samples accepting uploads.
    /// A kick-off naming an id that is not listed gets 404.
    public var resources: [WorkivaResource]
    /// Export operations that already exist when the sandbox starts, as if kicked off before a
    /// restart: a daemon's backlog of pending operations to poll (benchmarks, recovery tests).
    public var preparedOperations: [PreparedOperations]
    /// Test forms the graph list endpoints (`GET /testForms`, …) show.
    public var testForms: [SandboxTestForm]
    /// Items per page of a list answer; later pages are reached by `@nextLink`.
    public var listPageSize: Int

    /// Creates the Workiva part of a scenario.
    public init(
        clients: [WorkivaClient] = [],
        tokenLifetimeSeconds: Int = 599,
        requestsPerSecond: Double = 50,
        pollsPerSecond: Double = 1,
        retryAfterOn429: RetryAfterPolicy = .alternate,
        downloadMode: DownloadMode = .direct,
        uploadURLLifetimeSeconds: Int = 60,
        uploadDeadlineSeconds: Double = 60,
        strictUploadAuthorization: Bool = false,
        defaultTimeline: OperationTimeline = .init(),
        resources: [WorkivaResource] = [],
        preparedOperations: [PreparedOperations] = [],
        testForms: [SandboxTestForm] = [],
        listPageSize: Int = 3
    ) {
        self.testForms = testForms
        self.listPageSize = listPageSize
        self.clients = clients
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.requestsPerSecond = requestsPerSecond
        self.pollsPerSecond = pollsPerSecond
        self.retryAfterOn429 = retryAfterOn429
        self.downloadMode = downloadMode
        self.uploadURLLifetimeSeconds = uploadURLLifetimeSeconds
        self.uploadDeadlineSeconds = uploadDeadlineSeconds
        self.strictUploadAuthorization = strictUploadAuthorization
        self.defaultTimeline = defaultTimeline
        self.resources = resources
        self.preparedOperations = preparedOperations
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case clients, tokenLifetimeSeconds, requestsPerSecond, pollsPerSecond, retryAfterOn429
        case downloadMode, uploadURLLifetimeSeconds, uploadDeadlineSeconds, strictUploadAuthorization
        case defaultTimeline, resources, preparedOperations, testForms, listPageSize
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = WorkivaScenario()
        self.clients = try c.value(.clients, default: defaults.clients)
        self.tokenLifetimeSeconds = try c.value(.tokenLifetimeSeconds, default: defaults.tokenLifetimeSeconds)
        self.requestsPerSecond = try c.value(.requestsPerSecond, default: defaults.requestsPerSecond)
        self.pollsPerSecond = try c.value(.pollsPerSecond, default: defaults.pollsPerSecond)
        self.retryAfterOn429 = try c.value(.retryAfterOn429, default: defaults.retryAfterOn429)
        self.downloadMode = try c.value(.downloadMode, default: defaults.downloadMode)
        self.uploadURLLifetimeSeconds = try c.value(.uploadURLLifetimeSeconds, default: defaults.uploadURLLifetimeSeconds)
        self.uploadDeadlineSeconds = try c.value(.uploadDeadlineSeconds, default: defaults.uploadDeadlineSeconds)
        self.strictUploadAuthorization = try c.value(
            .strictUploadAuthorization, default: defaults.strictUploadAuthorization)
        self.defaultTimeline = try c.value(.defaultTimeline, default: defaults.defaultTimeline)
        self.resources = try c.value(.resources, default: defaults.resources)
        self.preparedOperations = try c.value(.preparedOperations, default: defaults.preparedOperations)
        self.testForms = try c.value(.testForms, default: defaults.testForms)
        self.listPageSize = try c.value(.listPageSize, default: defaults.listPageSize)
        guard listPageSize >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .listPageSize, in: c, debugDescription: "listPageSize must be at least 1")
        }
        let attachments = Set(resources.filter { $0.kind == .attachment }.map(\.id))
        for form in testForms {
            if let unknown = form.attachmentIDs.first(where: { !attachments.contains($0) }) {
                throw DecodingError.dataCorruptedError(
                    forKey: .testForms, in: c,
                    debugDescription: "test form '\(form.id)' lists attachment '\(unknown)', which is not an attachment resource of the scenario")
            }
        }
        for batch in preparedOperations {
            guard let resource = resources.first(where: { $0.id == batch.resource }), resource.kind != .sample else {
                throw DecodingError.dataCorruptedError(
                    forKey: .preparedOperations, in: c,
                    debugDescription: "prepared operations '\(batch.idPrefix)…' name resource '\(batch.resource)', which is not an exportable resource of the scenario")
            }
        }
    }
}

/// A batch of 2026-flavour export operations created at start-up, with ids `idPrefix` followed
/// by a six-digit number from `000000` to `count - 1`, exporting `resource` for `clientId`.
/// They follow the resource's (or the default) timeline, counted from the sandbox's start.
public struct PreparedOperations: Codable, Sendable {
    /// Prefix of the operation ids.
    public var idPrefix: String
    /// How many operations.
    public var count: Int
    /// The exported resource; must be listed in `resources`.
    public var resource: String
    /// The OAuth client that owns them (only its tokens may poll them).
    public var clientId: String

    /// Creates a batch.
    public init(idPrefix: String, count: Int, resource: String, clientId: String) {
        self.idPrefix = idPrefix
        self.count = count
        self.resource = resource
        self.clientId = clientId
    }

    /// The id of the batch's operation number `index`.
    public func operationID(_ index: Int) -> String {
        let digits = String(index)
        return idPrefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case idPrefix, count, resource, clientId }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.idPrefix = try c.decode(String.self, forKey: .idPrefix)
        self.count = max(0, try c.decode(Int.self, forKey: .count))
        self.resource = try c.decode(String.self, forKey: .resource)
        self.clientId = try c.decode(String.self, forKey: .clientId)
    }
}

/// Whether a rate-limit 429 carries `Retry-After`.
public enum RetryAfterPolicy: String, Codable, Sendable {
    /// Every 429 carries `Retry-After: 1`.
    case always
    /// No 429 carries `Retry-After`.
    case never
    /// Every other 429 carries it, starting with the first.
    case alternate
}

/// How a completed operation's `resourceUrl` answers a GET.
public enum DownloadMode: String, Codable, Sendable {
    /// 200 with the bytes (Bearer required).
    case direct
    /// 302 to a pre-signed URL on the fake storage (Bearer required on the first hop only).
    case redirect
}

/// An OAuth2 client of the token endpoint.
public struct WorkivaClient: Codable, Sendable {
    /// `client_id`.
    public var clientId: String
    /// `client_secret`.
    public var clientSecret: String
    /// Scopes this client may obtain; a token request for others gets `invalid_scope`.
    public var scopes: [String]

    /// All scopes the export endpoints use.
    public static let allScopes = ["file:read", "file:write", "graph:read", "graph:write"]

    /// Creates a client.
    public init(clientId: String, clientSecret: String, scopes: [String] = WorkivaClient.allScopes) {
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.scopes = scopes
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case clientId, clientSecret, scopes }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.clientId = try c.decode(String.self, forKey: .clientId)
        self.clientSecret = try c.decode(String.self, forKey: .clientSecret)
        self.scopes = try c.value(.scopes, default: Self.allScopes)
    }
}

/// A Workiva resource, identified by the last id of its kick-off path.
public struct WorkivaResource: Codable, Sendable {
    /// What the id names, which decides the kick-off endpoints that accept it.
    public enum Kind: String, Codable, Sendable {
        /// A sample/matrix/test-phase attachment (`…/attachments/{id}/export`).
        case attachment
        /// A file (`files/{id}/export`).
        case file
        /// A document (`documents/{id}/export`).
        case document
        /// A spreadsheet (`spreadsheets/{id}/export`).
        case spreadsheet
        /// A presentation (`presentations/{id}/export`).
        case presentation
        /// A sample accepting uploads (`…/samples/{id}/attachmentUpload`).
        case sample
    }

    /// The id used in the path.
    public var id: String
    /// What the id names.
    public var kind: Kind
    /// Base of the exported file name (the `Content-Disposition` filename).
    public var name: String
    /// Target size of an export (PDF exact; CSV rounded down to whole rows).
    public var size: ByteCount
    /// Number of sheets of a spreadsheet; a whole-workbook CSV export is a ZIP with one CSV each.
    public var sheets: Int
    /// An attachment's `fileName` in the graph lists (default: `name` plus `.pdf`).
    public var fileName: String
    /// Overrides the scenario's default timeline.
    public var timeline: OperationTimeline?

    /// Creates a resource.
    public init(
        id: String, kind: Kind, name: String? = nil, size: ByteCount = 16_384, sheets: Int = 3,
        timeline: OperationTimeline? = nil, fileName: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.name = name ?? id
        self.fileName = fileName ?? (name ?? id) + ".pdf"
        self.size = size
        self.sheets = sheets
        self.timeline = timeline
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case id, kind, name, size, sheets, timeline, fileName }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(String.self, forKey: .id)
        self.id = id
        self.kind = try c.decode(Kind.self, forKey: .kind)
        self.name = try c.value(.name, default: id)
        self.fileName = try c.value(.fileName, default: self.name + ".pdf")
        self.size = try c.value(.size, default: 16_384)
        self.sheets = max(1, try c.value(.sheets, default: 3))
        self.timeline = try c.decodeIfPresent(OperationTimeline.self, forKey: .timeline)
    }
}

/// How one operation progresses: `acknowledged → queued → started → outcome`.
///
/// The operation becomes terminal once it has been polled `polls` times **and** `seconds`
/// have passed since the kick-off; the intermediate states are spread over that span.
public struct OperationTimeline: Codable, Sendable {
    /// The terminal status.
    public enum Outcome: String, Codable, Sendable { case completed, failed, cancelled }

    /// The terminal status.
    public var outcome: Outcome
    /// Polls answered with a non-terminal status before the terminal one.
    public var polls: Int
    /// Seconds after the kick-off before the operation can become terminal.
    public var seconds: Double
    /// `Retry-After` of the 202 kick-off answer.
    public var kickoffRetryAfter: Int
    /// `Retry-After` of successive polls; the last value repeats.
    public var retryAfter: [Int]
    /// `details[]` of a failed operation.
    public var failureDetails: [OperationDetailSpec]

    /// Creates a timeline.
    public init(
        outcome: Outcome = .completed, polls: Int = 2, seconds: Double = 0, kickoffRetryAfter: Int = 1,
        retryAfter: [Int] = [1],
        failureDetails: [OperationDetailSpec] = [
            .init(code: "ExportFailed", message: "The export could not be generated", target: "format")
        ]
    ) {
        self.outcome = outcome
        self.polls = polls
        self.seconds = seconds
        self.kickoffRetryAfter = kickoffRetryAfter
        self.retryAfter = retryAfter
        self.failureDetails = failureDetails
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case outcome, polls, seconds, kickoffRetryAfter, retryAfter, failureDetails
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = OperationTimeline()
        self.outcome = try c.value(.outcome, default: d.outcome)
        self.polls = max(0, try c.value(.polls, default: d.polls))
        self.seconds = max(0, try c.value(.seconds, default: d.seconds))
        self.kickoffRetryAfter = max(0, try c.value(.kickoffRetryAfter, default: d.kickoffRetryAfter))
        let retryAfter = try c.value(.retryAfter, default: d.retryAfter)
        self.retryAfter = retryAfter.isEmpty ? d.retryAfter : retryAfter.map { max(0, $0) }
        self.failureDetails = try c.value(.failureDetails, default: d.failureDetails)
    }
}

/// One entry of a failed operation's `details[]`.
public struct OperationDetailSpec: Codable, Sendable, Hashable {
    /// `code`.
    public var code: String?
    /// `message`.
    public var message: String?
    /// `target`.
    public var target: String?

    /// Creates a detail.
    public init(code: String?, message: String?, target: String?) {
        self.code = code
        self.message = message
        self.target = target
    }
}
