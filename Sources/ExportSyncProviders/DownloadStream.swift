public import AsyncHTTPClient

/// A download whose headers were checked and whose body is not read yet. The engine streams
/// ``body`` into its atomic file writer, so memory stays constant whatever the size.
public struct DownloadStream: Sendable {
    /// `Content-Length`, when the server sent one (the engine checks the bytes against it).
    public var contentLength: Int64?
    /// `Content-Type` as sent.
    public var contentType: String?
    /// The `Content-Disposition` file name, sanitised into one safe path component.
    public var fileName: String?
    /// The unread body.
    public var body: HTTPClientResponse.Body

    /// Creates a stream.
    public init(contentLength: Int64?, contentType: String?, fileName: String?, body: HTTPClientResponse.Body) {
        self.contentLength = contentLength
        self.contentType = contentType
        self.fileName = fileName
        self.body = body
    }
}
