import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The WebAdMIT API: `x-api-key` on every call (401 with an empty body), `X-RateLimit-*` on
/// every answer, an hourly quota, identities, exports and export-file runs.
struct WebAdmitRoutes: Sendable {
    let environment: SandboxEnvironment

    var state: SandboxState { environment.state }
    var scenario: WebAdmitScenario { environment.scenario.webadmit }

    func register(on router: Router<SandboxRequestContext>) {
        router.get("/api/v1/user_identities") { request, context in
            try await self.guarded(request, context: context) { key, context in
                try await self.identities(request, key: key, context: context)
            }
        }
        router.get("/api/v1/exports") { request, context in
            try await self.guarded(request, context: context) { key, context in
                try await self.exports(request, key: key, identityParameter: nil, context: context)
            }
        }
        router.get("/api/v1/user_identities/:uid/exports") { request, context in
            try await self.guarded(request, context: context) { key, context in
                try await self.exports(request, key: key, identityParameter: context.parameters.get("uid"), context: context)
            }
        }
        router.post("/api/v1/user_identities/:uid/exports/:exportId/export_files") { request, context in
            try await self.guarded(request, context: context) { key, context in
                try await self.start(request, key: key, context: context)
            }
        }
        router.get("/api/v1/exports/:exportId/export_files/:fileId") { request, context in
            try await self.guarded(request, context: context) { key, context in
                try await self.status(request, key: key, context: context)
            }
        }
        router.get("/api/v1/user_identities/:uid/export_files") { request, context in
            try await self.guarded(request, context: context) { key, context in
                try await self.list(request, key: key, context: context)
            }
        }
    }

    /// Authenticates, counts the call against the quota and stamps `X-RateLimit-*` on the answer.
    private func guarded(
        _ request: Request, context: SandboxRequestContext,
        _ handler: (WebAdmitAPIKey, SandboxRequestContext) async throws -> Response
    ) async throws -> Response {
        let now = environment.clock.now()
        guard let value = request.headers[.apiKey], let key = await state.apiKey(value) else {
            var response = Reply(status: .unauthorized).response()
            response.headers[.rateLimitLimit] = String(scenario.hourlyQuota)
            response.headers[.rateLimitRemaining] = String(scenario.hourlyQuota)
            return response
        }
        let quota = await state.consumeQuota(key: key.key, now: now)
        var response: Response
        if quota.allowed {
            response = try await handler(key, context)
        } else {
            response = environment.finalize(.webadmitMessage(.tooManyRequests, "Rate limit exceeded"), fault: nil)
        }
        response.headers[.rateLimitLimit] = String(quota.limit)
        response.headers[.rateLimitRemaining] = String(quota.remaining)
        return response
    }

    private func identity(_ parameter: String?, key: WebAdmitAPIKey) -> WebAdmitIdentity? {
        guard let parameter, let id = Int(parameter), key.identities?.contains(id) ?? true else { return nil }
        return scenario.identities.first { $0.id == id }
    }

    private func visibleIdentities(_ key: WebAdmitAPIKey) -> [WebAdmitIdentity] {
        scenario.identities.filter { key.identities?.contains($0.id) ?? true }
    }

    private func identityNotFound(_ parameter: String?) -> Reply {
        .webadmitMessage(.notFound, "User identity '\(parameter ?? "")' not found.")
    }

    // MARK: Lists

    struct IdentityBody: Encodable {
        let id: Int
        let type: String
        let association: String
        let institution: String
        let organization: String
        let cycle: String
    }

    struct ExportBody: Encodable {
        let id: Int
        let name: String
        let list_type: String?
        let format: String
        let mime_type: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(list_type, forKey: .list_type)
            try container.encode(format, forKey: .format)
            try container.encode(mime_type, forKey: .mime_type)
        }

        enum CodingKeys: String, CodingKey { case id, name, list_type, format, mime_type }
    }

    struct IdentitiesBody: Encodable {
        let href: String
        let user_identities: [IdentityBody]
    }

    struct ExportsBody: Encodable {
        let href: String
        let exports: [ExportBody]
    }

    private func identities(_ request: Request, key: WebAdmitAPIKey, context: SandboxRequestContext) async throws -> Response {
        let fault = await state.fault(for: .webadmitIdentities, resource: nil, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .webadmit, context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        let body = IdentitiesBody(
            href: "/api/v1/user_identities",
            user_identities: visibleIdentities(key).map {
                IdentityBody(
                    id: $0.id, type: $0.type, association: $0.association, institution: $0.institution,
                    organization: $0.organization, cycle: $0.cycle)
            })
        return environment.finalize(.json(.ok, body), fault: fault)
    }

    private func exports(
        _ request: Request, key: WebAdmitAPIKey, identityParameter: String?, context: SandboxRequestContext
    ) async throws -> Response {
        var identityIds = Set(visibleIdentities(key).map(\.id))
        var href = "/api/v1/exports"
        if identityParameter != nil {
            guard let identity = identity(identityParameter, key: key) else {
                return environment.finalize(identityNotFound(identityParameter), fault: nil)
            }
            identityIds = [identity.id]
            href = "/api/v1/user_identities/\(identity.id)/exports"
        }
        let fault = await state.fault(for: .webadmitExports, resource: nil, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .webadmit, context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        let unlisted = await state.unlistedExports
        let exports = scenario.exports.filter { identityIds.contains($0.identityId) && !unlisted.contains($0.id) }.map {
            ExportBody(id: $0.id, name: $0.name, list_type: $0.listType, format: $0.format.rawValue, mime_type: $0.format.mimeType)
        }
        return environment.finalize(.json(.ok, ExportsBody(href: href, exports: exports)), fault: fault)
    }

    // MARK: Export files

    /// `{id, href, export_id, status}` plus `download_url` on the single-file status call only.
    struct ExportFileBody: Encodable {
        let id: Int
        let href: String
        let export_id: Int
        let status: String
        let download_url: String?
    }

    struct ExportFileEnvelope: Encodable {
        let export_files: ExportFileBody
    }

    struct ExportFileListBody: Encodable {
        let href: String
        let export_files: [ExportFileBody]
    }

    private func start(_ request: Request, key: WebAdmitAPIKey, context: SandboxRequestContext) async throws -> Response {
        var request = request
        let now = environment.clock.now()
        let uid = context.parameters.get("uid")
        guard let identity = identity(uid, key: key) else {
            return environment.finalize(identityNotFound(uid), fault: nil)
        }
        let exportParameter = context.parameters.get("exportId") ?? ""
        guard let exportId = Int(exportParameter),
            let export = scenario.exports.first(where: { $0.id == exportId && $0.identityId == identity.id })
        else {
            return environment.finalize(.webadmitMessage(.notFound, "Not Found"), fault: nil)
        }
        let fault = await state.fault(for: .webadmitStart, resource: String(export.id), now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .webadmit, context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        var callback = request.uri.queryParameters["callback"].map(String.init)
        let body = try await request.collectBody(upTo: 64 * 1024)
        if body.readableBytes > 0 {
            guard let json = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)), let object = json.object else {
                return environment.finalize(.webadmitMessage(.badRequest, "Bad Request"), fault: fault)
            }
            if let value = object["callback"]?.string { callback = value }
        }
        let run = await state.startRun(export: export, callback: callback, content: Self.content(for: export), now: now)
        if let callback, run.created == now {
            scheduleCallback(run: run, url: callback)
        }
        let envelope = ExportFileEnvelope(
            export_files: ExportFileBody(
                id: run.id, href: run.href, export_id: run.exportId, status: run.status.text(legacy: scenario.legacyStatuses),
                download_url: nil))
        return environment.finalize(.json(.created, envelope), fault: fault)
    }

    private func status(_ request: Request, key: WebAdmitAPIKey, context: SandboxRequestContext) async throws -> Response {
        let now = environment.clock.now()
        guard let exportId = context.parameters.get("exportId").flatMap({ Int($0) }),
            let export = scenario.exports.first(where: { $0.id == exportId }),
            key.identities?.contains(export.identityId) ?? true,
            let fileId = context.parameters.get("fileId").flatMap({ Int($0) }),
            let existing = await state.run(fileId, now: now), existing.exportId == exportId
        else {
            return environment.finalize(.webadmitMessage(.notFound, "Not Found"), fault: nil)
        }
        let fault = await state.fault(for: .webadmitStatus, resource: String(exportId), now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .webadmit, context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        guard let run = await state.statusCall(existing.id, now: now) else {
            return environment.finalize(.webadmitMessage(.notFound, "Not Found"), fault: fault)
        }
        var downloadURL = ""
        if run.status.hasFile {
            // A fresh URL on every call, each with its own expiry.
            let path = "/export_files/reports/\(Self.idPath(run.id))/\(Self.objectHash(run.id))_original.txt"
            let expires = Int(now.timeIntervalSince1970) + scenario.downloadURLLifetimeSeconds
            let query = environment.signer.query(
                method: "GET", path: path, expires: expires,
                overrides: [
                    ("response-content-disposition", "attachment; filename=\(run.content.fileName)"),
                    ("response-content-type", run.content.contentType),
                ])
            downloadURL = environment.storageBase(for: request) + path + "?" + query
        }
        let envelope = ExportFileEnvelope(
            export_files: ExportFileBody(
                id: run.id, href: run.href, export_id: run.exportId, status: run.status.text(legacy: scenario.legacyStatuses),
                download_url: downloadURL))
        return environment.finalize(.json(.ok, envelope), fault: fault)
    }

    private func list(_ request: Request, key: WebAdmitAPIKey, context: SandboxRequestContext) async throws -> Response {
        let uid = context.parameters.get("uid")
        guard let identity = identity(uid, key: key) else {
            return environment.finalize(identityNotFound(uid), fault: nil)
        }
        let fault = await state.fault(for: .webadmitList, resource: nil, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .webadmit, context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        let runs = await state.runs(identityId: identity.id, now: environment.clock.now())
        let body = ExportFileListBody(
            href: "/api/v1/user_identities/\(identity.id)/export_files",
            export_files: runs.map {
                ExportFileBody(
                    id: $0.id, href: $0.href, export_id: $0.exportId, status: $0.status.text(legacy: scenario.legacyStatuses),
                    download_url: nil)
            })
        return environment.finalize(.json(.ok, body), fault: fault)
    }

    // MARK: Files

    /// `000/074/780` for id 74780, as in WebAdMIT's S3 keys.
    static func idPath(_ id: Int) -> String {
        let digits = String(id)
        let padded = String(repeating: "0", count: max(0, 9 - digits.count)) + digits
        let characters = Array(padded.suffix(9))
        return "\(String(characters[0..<3]))/\(String(characters[3..<6]))/\(String(characters[6..<9]))"
    }

    static func objectHash(_ id: Int) -> String {
        String(StableRandom.mix(UInt64(id)), radix: 16)
    }

    /// The file a run of `export` produces.
    static func content(for export: WebAdmitExport) -> SandboxContent {
        let base = export.name.map { $0 == " " || $0 == "/" ? "-" : $0 }
        let seedText = "webadmit|\(export.id)"
        let size = export.size.bytes
        switch export.format {
        case .csv:
            return SandboxContent(format: .csv, fileName: "\(String(base)).csv", contentType: export.format.mimeType, targetSize: size, seedText: seedText, title: export.name)
        case .excel:
            return SandboxContent(format: .csv, fileName: "\(String(base)).xls", contentType: export.format.mimeType, targetSize: size, seedText: seedText, title: export.name)
        case .html:
            return SandboxContent(format: .html, fileName: "\(String(base)).html", contentType: export.format.mimeType, targetSize: size, seedText: seedText, title: export.name)
        case .fixedWidth:
            return SandboxContent(format: .text, fileName: "\(String(base)).txt", contentType: export.format.mimeType, targetSize: size, seedText: seedText, title: export.name)
        case .csvMultipleFiles:
            return SandboxContent(
                format: .zip, fileName: "\(String(base)).zip", contentType: export.format.mimeType, targetSize: size,
                parts: export.files, seedText: seedText, title: export.name)
        }
    }
}
