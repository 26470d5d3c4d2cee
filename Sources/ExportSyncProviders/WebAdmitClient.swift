public import AsyncHTTPClient
public import ExportSyncCore
import Foundation
public import Logging
import NIOCore
import NIOHTTP1

/// The WebAdMIT API for one source: starting export runs, checking export files, downloading.
///
/// Create one per source and share it between its jobs: the hourly quota
/// (``WebAdmitSourceSpec/requestsPerHour``) is enforced per client, and calls are spread out
/// when the server's `X-RateLimit-Remaining` runs low. `x-api-key` goes to the source's origin
/// only, never to a `download_url`.
public actor WebAdmitClient {
    let source: WebAdmitSourceSpec
    let apiKey: Secret
    let exchange: HTTPExchange
    let settings: ProviderSettings
    let apiOrigin: HTTPOrigin?
    /// The hourly quota, spread over the hour.
    public nonisolated let limiter: RequestRateLimiter
    /// `X-RateLimit-Remaining` of the latest answer.
    public private(set) var rateLimitRemaining: Int?
    /// `X-RateLimit-Limit` of the latest answer.
    public private(set) var rateLimitLimit: Int?

    /// Creates the client for `source`.
    public init(
        source: WebAdmitSourceSpec, apiKey: Secret, httpClient: HTTPClient, logger: Logger,
        clock: any ProviderClock = SystemProviderClock(), settings: ProviderSettings = ProviderSettings()
    ) {
        var logger = logger
        logger[metadataKey: "source"] = "\(source.name)"
        self.source = source
        self.apiKey = apiKey
        self.settings = settings
        self.apiOrigin = HTTPOrigin(url: source.baseURL)
        self.exchange = HTTPExchange(httpClient: httpClient, source: source.name, logger: logger, settings: settings, clock: clock)
        self.limiter = RequestRateLimiter.hourly(source.requestsPerHour, clock: clock)
    }

    /// Starts a run of export `exportID` as `userIdentity` (`POST …/export_files`). While a run of
    /// the export is in flight, WebAdMIT answers that run's id again: same id, one run.
    public func startExport(userIdentity: String, exportID: String) async throws(ProviderFailure) -> WebAdmitExportFile {
        let path = "/api/v1/user_identities/\(Self.segment(userIdentity))/exports/\(Self.segment(exportID))/export_files"
        let response = try await sendAPI(.POST, path: path, kind: .kickoff, retryClass: .kickoff)
        guard let record = WebAdmitExportFileDecoding.record(response.bytes), let id = record.string("id") else {
            throw .malformedResponse("HTTP \(response.status) from POST \(response.endpoint) holds no export_files record")
        }
        return WebAdmitExportFile(id: id, exportID: record.string("export_id") ?? exportID, status: record.string("status") ?? "")
    }

    /// Checks one export file; a fresh `download_url` comes with every call once it is ready.
    public func exportFile(exportID: String, fileID: String) async throws(ProviderFailure) -> WebAdmitExportFileState {
        let path = "/api/v1/exports/\(Self.segment(exportID))/export_files/\(Self.segment(fileID))"
        let response = try await sendAPI(.GET, path: path, kind: .exportFile, retryClass: .idempotent)
        guard let record = WebAdmitExportFileDecoding.record(response.bytes), let status = record.string("status") else {
            throw .malformedResponse("HTTP \(response.status) from GET \(response.endpoint) holds no export_files record with a status")
        }
        return WebAdmitExportFileState(
            id: record.string("id") ?? fileID, exportID: record.string("export_id") ?? exportID, status: status,
            downloadURL: record.string("download_url"))
    }

    /// Lists the export files of `userIdentity` (`GET /api/v1/user_identities/:uid/export_files`),
    /// as the server orders them; the list carries no `download_url`. After a `POST …/export_files`
    /// whose answer was lost, ``WebAdmitExportFile/adoptable(from:exportID:knownFileIDs:)`` picks
    /// the run that POST started from it. A missing or non-array `export_files`, or an entry that is
    /// not an object with an `id` and an `export_id`, is ``ProviderFailure/malformedResponse(_:)``.
    public func listExportFiles(userIdentity: String) async throws(ProviderFailure) -> [WebAdmitExportFile] {
        let path = "/api/v1/user_identities/\(Self.segment(userIdentity))/export_files"
        let response = try await sendAPI(.GET, path: path, kind: .exportFileList, retryClass: .idempotent)
        guard let files = WebAdmitExportFileDecoding.list(response.bytes) else {
            throw .malformedResponse("HTTP \(response.status) from GET \(response.endpoint) holds no export_files list")
        }
        return files
    }

    /// Lists the export templates of `userIdentity` (`GET /api/v1/user_identities/:uid/exports`):
    /// what a `webadmit-exports` job picks from. A missing or non-array `exports`, or an entry
    /// without an `id`, is ``ProviderFailure/malformedResponse(_:)``: a scan never acts on part
    /// of a list.
    public func listExports(userIdentity: String) async throws(ProviderFailure) -> [WebAdmitExportTemplate] {
        let path = "/api/v1/user_identities/\(Self.segment(userIdentity))/exports"
        let response = try await sendAPI(.GET, path: path, kind: .list, retryClass: .idempotent)
        guard let object = JSONObject(bytes: response.bytes), let entries = object.value("exports") as? [Any] else {
            throw .malformedResponse("HTTP \(response.status) from GET \(response.endpoint) holds no exports list")
        }
        var templates: [WebAdmitExportTemplate] = []
        for entry in entries {
            guard let fields = entry as? [String: Any], let id = JSONObject(fields).string("id"), !id.isEmpty else {
                throw .malformedResponse("an export of GET \(response.endpoint) has no id")
            }
            templates.append(WebAdmitExportTemplate(id: id, name: fields["name"] as? String))
        }
        return templates
    }

    /// Opens a `download_url`: no `x-api-key`, no `Authorization` (storage accepts one auth
    /// mechanism only), never HEAD. A 403 "Request has expired" is ``ProviderFailure/expiredURL``.
    public func openDownload(url: String) async throws(ProviderFailure) -> DownloadStream {
        let outgoing = OutgoingRequest(
            method: .GET, url: url, kind: .download, retryClass: .idempotent, followRedirects: true,
            timeoutSeconds: settings.requestTimeoutSeconds)
        let response = try await exchange.send(outgoing, mode: .stream)
        return try DownloadStream.opened(from: response, method: "GET")
    }

    /// An API call with `x-api-key` (on the source's origin only), the quota and error mapping.
    private func sendAPI(_ method: HTTPMethod, path: String, kind: ExportMetrics.Endpoint, retryClass: OutgoingRequest.RetryClass) async throws(ProviderFailure)
        -> ExchangeResponse
    {
        let limiter = self.limiter
        let request = OutgoingRequest(
            method: method, url: URLText.join(source.baseURL, path), kind: kind, headers: [("Accept", "application/json")],
            credentials: .init(headers: [("x-api-key", apiKey.reveal())], origin: apiOrigin), retryClass: retryClass,
            followRedirects: method == .GET, timeoutSeconds: settings.requestTimeoutSeconds,
            rateLimit: { try await limiter.acquire() },
            observeHeaders: { headers in await self.observeQuota(headers) })
        let response = try await exchange.send(request, mode: .collect)
        guard response.isSuccess else {
            let failure = ProviderFailure.from(response, method: "\(method)")
            if case .unauthorized = failure {
                exchange.logger.error(
                    "WebAdMIT refused the API key", metadata: ["endpoint": "\(response.endpoint)", "http_status": "401"])
            }
            throw failure
        }
        return response
    }

    /// Records `X-RateLimit-*` and slows the limiter down when the quota runs low.
    func observeQuota(_ headers: HTTPHeaders) async {
        guard let remaining = headers.first(name: "X-RateLimit-Remaining").flatMap({ Int($0) }) else { return }
        let limit = headers.first(name: "X-RateLimit-Limit").flatMap { Int($0) } ?? source.requestsPerHour
        rateLimitRemaining = remaining
        rateLimitLimit = limit
        await limiter.observeQuota(remaining: remaining, limit: limit)
    }

    /// One percent-encoded path segment.
    static func segment(_ value: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
