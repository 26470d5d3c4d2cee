public import ExportSyncCore

/// What a Workiva kickoff answered.
public struct WorkivaOperationHandle: Sendable, Hashable, CustomStringConvertible {
    /// The operation URL exactly as the `Location` header gave it (resolved only if relative).
    public var location: String
    /// The kickoff's `Retry-After`, in seconds, if sent.
    public var retryAfter: Double?
    /// The pre-signed `uploadUrl` of an attachmentUpload (PUT it at once; never persist it).
    public var uploadURL: String?

    /// Creates a handle.
    public init(location: String, retryAfter: Double?, uploadURL: String?) {
        self.location = location
        self.retryAfter = retryAfter
        self.uploadURL = uploadURL
    }

    /// Names the operation path only: no query string, no upload URL.
    public var description: String {
        "operation \(URLText.endpoint(location))\(uploadURL == nil ? "" : " (upload URL issued)")"
    }
}

/// One poll of a Workiva operation.
public struct WorkivaOperationState: Sendable, Hashable {
    /// `id`, if the body carried one.
    public var id: String?
    /// `status` as the server spelled it.
    public var status: String
    /// What the status means.
    public var outcome: OperationOutcome
    /// `resourceUrl` (any key casing) once completed.
    public var resourceURL: String?
    /// `details[]` as JSON text, when present and not null.
    public var details: String?
    /// `originalRequest`: the request id support can trace.
    public var originalRequest: String?
    /// The poll's `Retry-After`, in seconds, if sent.
    public var retryAfter: Double?

    /// Creates a state.
    public init(
        id: String?, status: String, outcome: OperationOutcome, resourceURL: String?, details: String?, originalRequest: String?,
        retryAfter: Double?
    ) {
        self.id = id
        self.status = status
        self.outcome = outcome
        self.resourceURL = resourceURL
        self.details = details
        self.originalRequest = originalRequest
        self.retryAfter = retryAfter
    }

    /// Reads an `Operation` body; `nil` when it is not an object with a `status`.
    static func decode(_ bytes: [UInt8], retryAfter: Double?) -> WorkivaOperationState? {
        guard let object = JSONObject(bytes: bytes), let status = object.string("status") else { return nil }
        return WorkivaOperationState(
            id: object.string("id"), status: status, outcome: OperationStatus.workiva(status),
            resourceURL: object.string("resourceUrl"), details: object.rawJSON("details"),
            originalRequest: object.string("originalRequest"), retryAfter: retryAfter)
    }
}
