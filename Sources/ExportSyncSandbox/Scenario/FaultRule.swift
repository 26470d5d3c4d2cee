/// A scripted fault: "the 2nd poll of an operation on resource X answers 503".
///
/// A rule matches requests of one ``Route`` (optionally only those concerning one resource)
/// and counts them from 1; it fires on the request numbers in ``requests`` (every matching
/// request when `nil`), or on every matching request within ``forSeconds`` of the first one
/// ("the token endpoint answers 503 for a minute").
public struct FaultRule: Codable, Sendable {
    /// The endpoint families a rule can target.
    public enum Route: String, Codable, Sendable, CaseIterable {
        case workivaToken = "workiva.token"
        case workivaKickoff = "workiva.kickoff"
        case workivaPoll = "workiva.poll"
        case workivaDownload = "workiva.download"
        case workivaUpload = "workiva.upload"
        /// The graph list endpoints (`GET /testForms`, `…/testPhases`, `…/attachments`, …).
        case workivaList = "workiva.list"
        case webadmitIdentities = "webadmit.identities"
        case webadmitExports = "webadmit.exports"
        case webadmitStart = "webadmit.start"
        case webadmitStatus = "webadmit.status"
        case webadmitList = "webadmit.list"
        case storageGet = "storage.get"
    }

    /// What happens to a matched request.
    public enum Kind: String, Codable, Sendable {
        /// Answer `status` with the service's error body (`retryAfter` adds the header).
        case status
        /// Close the connection with a TCP reset before answering.
        case reset
        /// Handle the request in full (an operation or export file is created, a token issued),
        /// then close the connection with a TCP reset instead of answering: the reply is lost
        /// although the request took effect.
        case resetAfterEffect
        /// Never answer (for `seconds`, then close the connection).
        case hang
        /// Announce the full `Content-Length`, send half of the body, close the connection.
        case truncate
        /// Answer 200 with a body that is not valid JSON.
        case malformedJSON
        /// Add unknown fields to the JSON object answered.
        case unknownFields
        /// Answer a kick-off with a relative `Location` (`/operations/…`).
        case relativeLocation
        /// Spell the operation's `resourceUrl` key as `resourceURL`.
        case resourceURLCasing
        /// A list page whose `@nextLink` points at another origin (the storage listener).
        case foreignNextLink
        /// Wait `seconds` before answering normally.
        case delay
        /// A hostile server: answer `status` (default 400) with an error whose message repeats
        /// the credentials the request carried (its `Authorization` and `x-api-key` values).
        case echoCredentials
    }

    /// Which endpoint family.
    public var route: Route
    /// Only requests about this resource: a Workiva resource id, a WebAdMIT export id, or the
    /// resource behind a storage object. `nil` matches all.
    public var resource: String?
    /// 1-based numbers of the matching requests that fault; `nil` means every one.
    public var requests: [Int]?
    /// What happens.
    public var kind: Kind
    /// The status of a `.status` fault (e.g. 429, 500, 502, 503, 504, 409).
    public var status: Int?
    /// `Retry-After` seconds sent with a `.status` fault; absent when `nil`.
    public var retryAfter: Int?
    /// Send ``retryAfter`` as an HTTP-date (now plus that many seconds) instead of seconds.
    public var retryAfterDate: Bool?
    /// Fire on every matching request within this many seconds of the first matching one
    /// (then never again). Not combined with ``requests``.
    public var forSeconds: Double?
    /// Duration of `.hang` and `.delay`.
    public var seconds: Double?

    /// Creates a rule.
    public init(
        route: Route, resource: String? = nil, requests: [Int]? = nil, kind: Kind, status: Int? = nil,
        retryAfter: Int? = nil, retryAfterDate: Bool? = nil, forSeconds: Double? = nil, seconds: Double? = nil
    ) {
        self.route = route
        self.resource = resource
        self.requests = requests
        self.kind = kind
        self.status = status
        self.retryAfter = retryAfter
        self.retryAfterDate = retryAfterDate
        self.forSeconds = forSeconds
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case route, resource, requests, kind, status, retryAfter, retryAfterDate, forSeconds, seconds
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.route = try c.decode(Route.self, forKey: .route)
        self.resource = try c.decodeIfPresent(String.self, forKey: .resource)
        self.requests = try c.decodeIfPresent([Int].self, forKey: .requests)
        self.kind = try c.decode(Kind.self, forKey: .kind)
        self.status = try c.decodeIfPresent(Int.self, forKey: .status)
        self.retryAfter = try c.decodeIfPresent(Int.self, forKey: .retryAfter)
        self.retryAfterDate = try c.decodeIfPresent(Bool.self, forKey: .retryAfterDate)
        self.forSeconds = try c.decodeIfPresent(Double.self, forKey: .forSeconds)
        self.seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
        if requests != nil, forSeconds != nil {
            throw DecodingError.dataCorruptedError(
                forKey: .forSeconds, in: c, debugDescription: "a fault fires on 'requests' or for 'forSeconds', not both")
        }
        if let forSeconds, !(forSeconds > 0) {
            throw DecodingError.dataCorruptedError(
                forKey: .forSeconds, in: c, debugDescription: "'forSeconds' must be positive")
        }
        if retryAfterDate == true, retryAfter == nil {
            throw DecodingError.dataCorruptedError(
                forKey: .retryAfterDate, in: c, debugDescription: "'retryAfterDate' needs 'retryAfter' (seconds from now)")
        }
        if kind == .status, status == nil {
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: c, debugDescription: "a 'status' fault needs a status code")
        }
    }
}
