import AsyncHTTPClient
import ExportSyncCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Downloading `resourceUrl` and uploading to `uploadUrl`.
extension WorkivaClient {
    /// Opens the result of a completed operation: the Bearer token and `X-Version` go to the API
    /// origin only; a redirect to storage (or any other origin) is followed without them.
    public func openDownload(resourceURL: String, xVersion: String) async throws(ProviderFailure) -> DownloadStream {
        let outgoing = OutgoingRequest(
            method: .GET, url: resourceURL, kind: .download, retryClass: .idempotent, followRedirects: true,
            timeoutSeconds: settings.requestTimeoutSeconds, rateLimit: isAPIOrigin(resourceURL) ? rateLimit(poll: false) : nil)
        let response = try await sendAuthorized(outgoing, xVersion: xVersion, mode: .stream)
        return try DownloadStream.opened(from: response, method: "GET")
    }

    /// PUTs the file at `path` to an attachmentUpload's `uploadUrl`, streamed from disk with
    /// `Content-Type: application/octet-stream` and its `Content-Length`. With `sendAuthorization`
    /// the Bearer token goes along (the documented flow, whatever the URL's host); without it,
    /// no credential at all (for storage that rejects a second auth mechanism).
    public func upload(uploadURL: String, fileAt path: String, sendAuthorization: Bool) async throws(ProviderFailure) {
        let size: Int64
        do { size = try FileChunks.size(of: path) } catch {
            throw .malformedResponse("cannot read the upload file: \(error.localizedDescription)")
        }
        var outgoing = OutgoingRequest(
            method: .PUT, url: uploadURL, kind: .upload, headers: [("Content-Type", "application/octet-stream")],
            body: { .stream(FileChunks(path: path, chunkSize: 256 * 1024), length: .known(size)) },
            retryClass: .idempotent, followRedirects: false, timeoutSeconds: settings.uploadTimeoutSeconds,
            rateLimit: isAPIOrigin(uploadURL) ? rateLimit(poll: false) : nil)
        let response: ExchangeResponse
        if sendAuthorization {
            let token = try await validToken()
            outgoing.credentials = OutgoingRequest.Credentials(headers: [("Authorization", "Bearer \(token.value)")], origin: nil)
        }
        response = try await exchange.send(outgoing, mode: .collect)
        guard response.isSuccess else { throw ProviderFailure.from(response, method: "PUT") }
        exchange.logger.debug(
            "upload sent", metadata: ["endpoint": "\(response.endpoint)", "http_status": "\(response.status)", "bytes": "\(size)"])
    }
}

extension DownloadStream {
    /// Checks a download answer and keeps its body unread.
    static func opened(from response: ExchangeResponse, method: String) throws(ProviderFailure) -> DownloadStream {
        guard response.isSuccess, let body = response.stream else { throw ProviderFailure.from(response, method: method) }
        return DownloadStream(
            contentLength: response.header("Content-Length").flatMap { Int64($0.trimmingSpaces()) },
            contentType: response.header("Content-Type"),
            fileName: ContentDisposition.fileName(response.header("Content-Disposition")),
            body: body)
    }
}
