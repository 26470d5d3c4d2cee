public import Foundation

/// One request the sandbox received, as a test asserts on it: "no credentials were sent to
/// storage", "no early polls", "exactly one kick-off".
public struct JournalEntry: Codable, Sendable, Hashable {
    /// Which listener received the request.
    public enum Listener: String, Codable, Sendable {
        /// The Workiva/WebAdMIT API listener.
        case api
        /// The fake S3 storage listener.
        case storage
    }

    /// A credential the request carried (never its value).
    public enum Credential: String, Codable, Sendable {
        /// `Authorization: Bearer …`.
        case bearer
        /// `Authorization: Basic …`.
        case basic
        /// Any other `Authorization` scheme.
        case otherAuthorization
        /// `x-api-key`.
        case apiKey
        /// Pre-signed query parameters (`Signature=` or `X-Amz-Signature=`).
        case presignedQuery
    }

    /// Sequence number, from 1.
    public var id: Int
    /// Which listener received the request.
    public var listener: Listener
    /// HTTP method.
    public var method: String
    /// Path without the query.
    public var path: String
    /// Raw query string, if any.
    public var query: String?
    /// The value of `X-Version`, if sent.
    public var xVersion: String?
    /// Credentials present; empty means none.
    public var credentials: [Credential]
    /// Status answered; `nil` when the connection was reset or hung without an answer.
    public var status: Int?
    /// When the request head arrived.
    public var start: Date
    /// When the answer was decided, just before its head was written (set once): no part of the
    /// answer reached the client earlier, so gaps measured from here are true lower bounds.
    public var answeredAt: Date?
    /// When the answer (including a streamed body) was fully written, if it was.
    public var end: Date?
}
