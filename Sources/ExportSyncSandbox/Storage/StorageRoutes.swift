import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The fake S3 bucket behind WebAdMIT `download_url`s, Workiva redirects and `uploadUrl`s.
/// It applies S3's rules: one auth mechanism only, pre-signed URLs expire, the method is part
/// of the signature (HEAD on a GET URL is 403), errors are XML.
struct StorageRoutes: Sendable {
    let environment: SandboxEnvironment

    func register(on router: Router<SandboxRequestContext>) {
        router.get("**") { request, context in try await self.get(request, context: context) }
        router.head("**") { request, _ in self.head(request) }
        router.put("**") { request, context in try await self.put(request, context: context) }
    }

    /// The object a storage path names.
    private enum StoredObject {
        case workivaExport(WorkivaOperation, SandboxContent)
        case webadmitFile(ExportFileRun)
    }

    private func parameters(of request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { result[String(key)] = String(value) }
        return result
    }

    /// Rejects a second auth mechanism, then checks the signature and expiry for `method`.
    private func authorize(_ request: Request, method: String, tolerateAuthorization: Bool = false) -> Reply? {
        let bodyless = request.method == .head
        if let header = request.headers[.authorization], !tolerateAuthorization {
            return .s3Error(
                .badRequest, code: "InvalidArgument",
                message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
                extra: [("ArgumentName", "Authorization"), ("ArgumentValue", header)], bodyless: bodyless)
        }
        if request.headers[.apiKey] != nil {
            return .s3Error(
                .badRequest, code: "InvalidArgument",
                message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
                extra: [("ArgumentName", "x-api-key"), ("ArgumentValue", "[redacted]")], bodyless: bodyless)
        }
        let now = environment.clock.now()
        switch environment.signer.verify(method: method, path: request.uri.path, parameters: parameters(of: request), now: now) {
        case .valid:
            return nil
        case .missing:
            return .s3Error(
                .forbidden, code: "AccessDenied",
                message: "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
                bodyless: bodyless)
        case .badSignature:
            return .s3Error(
                .forbidden, code: "SignatureDoesNotMatch",
                message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                bodyless: bodyless)
        case .expired(let expires):
            let style = Date.ISO8601FormatStyle()
            return .s3Error(
                .forbidden, code: "AccessDenied", message: "Request has expired",
                extra: [
                    ("Expires", Date(timeIntervalSince1970: Double(expires)).formatted(style)),
                    ("ServerTime", now.formatted(style)),
                ], bodyless: bodyless)
        }
    }

    private func lookup(_ path: String) async -> StoredObject? {
        let parts = path.split(separator: "/")
        if parts.count == 3, parts[0] == "workiva-exports", let operation = await environment.state.operation(String(parts[1])),
            case .export(let content) = operation.work
        {
            return .workivaExport(operation, content)
        }
        if parts.count == 6, parts[0] == "export_files", parts[1] == "reports",
            let id = Int(parts[2] + parts[3] + parts[4]), let run = await environment.state.run(id, now: environment.clock.now()),
            parts[5] == "\(WebAdmitRoutes.objectHash(run.id))_original.txt", run.status.hasFile
        {
            return .webadmitFile(run)
        }
        return nil
    }

    private func head(_ request: Request) -> Response {
        // The verb is part of the signature: a URL signed for GET never authorizes HEAD.
        if let rejection = authorize(request, method: "HEAD") { return rejection.response() }
        return Reply.s3Error(.forbidden, code: "SignatureDoesNotMatch", message: "", bodyless: true).response()
    }

    private func get(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        if let rejection = authorize(request, method: "GET") { return environment.finalize(rejection, fault: nil) }
        guard let object = await lookup(request.uri.path) else {
            let reply = Reply.s3Error(
                .notFound, code: "NoSuchKey", message: "The specified key does not exist.",
                extra: [("Key", String(request.uri.path.dropFirst()))])
            return environment.finalize(reply, fault: nil)
        }
        let content: SandboxContent
        let resource: String
        switch object {
        case .workivaExport(let operation, let exported):
            content = exported
            resource = operation.resourceId
        case .webadmitFile(let run):
            content = run.content
            resource = String(run.exportId)
        }
        let fault = await environment.state.fault(for: .storageGet, resource: resource, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .storage, context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        let query = parameters(of: request)
        var headers: HTTPFields = [
            .contentType: query["response-content-type"] ?? "binary/octet-stream",
            .eTag: "\"\(String(content.seed, radix: 16))\"",
            .lastModified: "Thu, 01 Jan 2026 00:00:00 GMT",
        ]
        if let disposition = query["response-content-disposition"] { headers[.contentDisposition] = disposition }
        let reply = Reply(status: .ok, headers: headers, body: .stream(environment.contents.responseBody(for: content)))
        return environment.finalize(reply, fault: fault)
    }

    private func put(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let strict = environment.scenario.workiva.strictUploadAuthorization
        let parts = request.uri.path.split(separator: "/")
        guard parts.count == 2, parts[0] == "workiva-uploads" else {
            return environment.finalize(authorize(request, method: "PUT") ?? .s3Error(.forbidden, code: "AccessDenied", message: "Access Denied"), fault: nil)
        }
        let operationId = String(parts[1])
        let tolerate = !strict && (request.headers[.authorization]?.lowercased().hasPrefix("bearer ") ?? false)
        if let rejection = authorize(request, method: "PUT", tolerateAuthorization: tolerate) {
            return environment.finalize(rejection, fault: nil)
        }
        guard let operation = await environment.state.operation(operationId), case .upload(let fileName, _, _) = operation.work else {
            return environment.finalize(.s3Error(.notFound, code: "NoSuchUpload", message: "The specified upload does not exist."), fault: nil)
        }
        let fault = await environment.state.fault(for: .workivaUpload, resource: operation.resourceId, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .storage, context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        var hasher = SHA256()
        var count = 0
        for try await buffer in request.body {
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            count += buffer.readableBytes
        }
        let digest = hasher.finalize().map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
        let upload = ReceivedUpload(
            operationId: operationId, fileName: fileName, byteCount: count, sha256: digest,
            contentType: request.headers[.contentType])
        switch await environment.state.recordUpload(upload, now: environment.clock.now()) {
        case .accepted:
            return environment.finalize(Reply(status: .ok, headers: [.eTag: "\"\(digest.prefix(32))\""]), fault: fault)
        case .unknown, .alreadyFinished:
            return environment.finalize(.s3Error(.forbidden, code: "AccessDenied", message: "Access Denied"), fault: fault)
        }
    }
}
