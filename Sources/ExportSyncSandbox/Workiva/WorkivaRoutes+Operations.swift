import Foundation
import HTTPTypes
import Hummingbird

/// `GET operations/{id}` (rate-limited per token, `Retry-After` on every answer) and the
/// `resourceUrl` download (same Bearer; bytes, or a 302 to storage).
extension WorkivaRoutes {
    /// The `Operation` schema. `resourceUrl` is a string once completed, explicitly null after
    /// a failure or cancellation, and absent while running (as in the vendor's examples).
    struct OperationBody: Encodable {
        struct Action: Encodable {
            struct User: Encodable { let id: String }
            let dateTime: String
            let user: User?
        }

        let id: String
        let status: String
        let created: Action
        let updated: Action
        let originalRequest: String
        let resourceUrl: String?
        let includeNullResourceUrl: Bool
        let resourceUrlKey: String
        let details: [WorkivaErrorBody.Detail]?

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(id, forKey: Key("id"))
            try container.encode(status, forKey: Key("status"))
            try container.encode(created, forKey: Key("created"))
            try container.encode(updated, forKey: Key("updated"))
            try container.encode(originalRequest, forKey: Key("originalRequest"))
            if let resourceUrl {
                try container.encode(resourceUrl, forKey: Key(resourceUrlKey))
            } else if includeNullResourceUrl {
                try container.encodeNil(forKey: Key(resourceUrlKey))
            }
            if let details { try container.encode(details, forKey: Key("details")) }
        }
    }

    func poll(_ request: Request, context: SandboxRequestContext, flavor: WorkivaFlavor) async throws -> Response {
        let now = environment.clock.now()
        let caller: Caller
        switch await gate(request, flavor: flavor, now: now) {
        case .failure(let rejection): return environment.finalize(rejection.reply, fault: nil)
        case .success(let value): caller = value
        }
        if case .limited(let retryAfter) = await state.admitPoll(token: caller.token, now: now) {
            return environment.finalize(.workivaError(.tooManyRequests, flavor: flavor, retryAfter: retryAfter), fault: nil)
        }
        let operationId = context.parameters.get("operationId") ?? ""
        guard let existing = await state.operation(operationId), existing.flavor == flavor, existing.clientId == caller.clientId else {
            return environment.finalize(.workivaError(.notFound, flavor: flavor), fault: nil)
        }
        let fault = await state.fault(for: .workivaPoll, resource: existing.resourceId, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .workiva(flavor), context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        guard let operation = await state.poll(operationId, now: now) else {
            return environment.finalize(.workivaError(.notFound, flavor: flavor), fault: fault)
        }
        let base = environment.apiBase(for: request)
        var resourceUrl: String?
        if operation.status == .completed {
            switch operation.work {
            case .export: resourceUrl = "\(base)\(flavor.prefix)/exports/\(operation.id)/content"
            case .upload:
                let samplePath = operation.kickoffPath.replacingOccurrences(of: "/attachmentUpload", with: "")
                resourceUrl = "\(base)\(flavor.prefix)\(samplePath)/attachments/\(operation.id)"
            }
        }
        var details: [WorkivaErrorBody.Detail]?
        if operation.status == .failed {
            if case .upload = operation.work, operation.uploadReceived == nil {
                details = [.init(code: "UploadNotReceived", message: "No file was uploaded to the uploadUrl in time", target: "uploadUrl")]
            } else {
                details = operation.timeline.script.failureDetails.map { .init(code: $0.code, message: $0.message, target: $0.target) }
            }
        }
        let body = OperationBody(
            id: operation.id, status: operation.status.rawValue,
            created: .init(dateTime: Self.timestamp(operation.created), user: .init(id: operation.userId)),
            updated: .init(dateTime: Self.timestamp(operation.updated), user: nil),
            originalRequest: operation.originalRequest, resourceUrl: resourceUrl,
            includeNullResourceUrl: operation.status.isTerminal,
            resourceUrlKey: fault?.kind == .resourceURLCasing ? "resourceURL" : "resourceUrl",
            details: details)
        let reply = Reply.json(.ok, body, headers: [.retryAfter: String(operation.retryAfter(forPoll: operation.polls))])
        return environment.finalize(reply, fault: fault)
    }

    func download(_ request: Request, context: SandboxRequestContext, flavor: WorkivaFlavor) async throws -> Response {
        let now = environment.clock.now()
        let caller: Caller
        switch await gate(request, flavor: flavor, now: now) {
        case .failure(let rejection): return environment.finalize(rejection.reply, fault: nil)
        case .success(let value): caller = value
        }
        let operationId = context.parameters.get("operationId") ?? ""
        guard let operation = await state.operation(operationId), operation.flavor == flavor,
            operation.status == .completed, case .export(let content) = operation.work
        else {
            return environment.finalize(.workivaError(.notFound, flavor: flavor), fault: nil)
        }
        guard operation.clientId == caller.clientId else {
            return environment.finalize(.workivaError(.forbidden, flavor: flavor), fault: nil)
        }
        let fault = await state.fault(for: .workivaDownload, resource: operation.resourceId, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .workiva(flavor), context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        switch environment.scenario.workiva.downloadMode {
        case .redirect:
            let path = "/workiva-exports/\(operation.id)/\(PercentEncoding.encode(content.fileName))"
            let query = environment.signer.query(
                method: "GET", path: path, expires: Int(now.timeIntervalSince1970) + 60,
                overrides: [
                    ("response-content-disposition", "attachment; filename=\"\(content.fileName)\""),
                    ("response-content-type", content.contentType),
                ])
            let reply = Reply(status: .found, headers: [.location: environment.storageBase(for: request) + path + "?" + query])
            return environment.finalize(reply, fault: fault)
        case .direct:
            let headers: HTTPFields = [
                .contentType: content.contentType,
                .contentDisposition: "attachment; filename=\"\(content.fileName)\"",
            ]
            let reply = Reply(status: .ok, headers: headers, body: .stream(environment.contents.responseBody(for: content)))
            return environment.finalize(reply, fault: fault)
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
