import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The POSTs that start an operation: 202, empty body (attachmentUpload: `{"uploadUrl"}`),
/// absolute `Location` in the caller's flavour, integer `Retry-After`.
extension WorkivaRoutes {
    func kickoff(
        _ request: Request, context: SandboxRequestContext, flavor: WorkivaFlavor, resourceParameter: String, kind: KickoffKind
    ) async throws -> Response {
        var request = request
        let now = environment.clock.now()
        let caller: Caller
        switch await gate(request, flavor: flavor, now: now) {
        case .failure(let rejection): return environment.finalize(rejection.reply, fault: nil)
        case .success(let value): caller = value
        }
        let resourceId = context.parameters.get(resourceParameter) ?? ""
        let fault = await state.fault(for: .workivaKickoff, resource: resourceId, now: environment.clock.now())
        if let replacement = try await environment.replacement(for: fault, dialect: .workiva(flavor), context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        guard caller.scopes.contains(kind.requiredScope) else {
            return environment.finalize(.workivaError(.forbidden, flavor: flavor), fault: fault)
        }
        guard let resource = await state.resource(resourceId), resource.kind == kind.resourceKind else {
            return environment.finalize(.workivaError(.notFound, flavor: flavor), fault: fault)
        }
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let json = body.readableBytes == 0 ? nil : try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
        let parsed: KickoffRequest
        do throws(KickoffValidationError) {
            parsed = try KickoffValidation.validate(kind, body: json)
        } catch {
            let reply = Reply.workivaError(
                .badRequest, flavor: flavor, target: error.target,
                details: [.init(code: "BadArgument", message: error.message, target: error.target)])
            return environment.finalize(reply, fault: fault)
        }

        let kickoffPath = String(request.uri.path.dropFirst(flavor.prefix.count))
        let lifetime = environment.scenario.workiva.uploadURLLifetimeSeconds
        let urlExpires = Int(now.timeIntervalSince1970) + lifetime
        let operation = await state.createOperation(
            flavor: flavor, resource: resource, clientId: caller.clientId,
            work: { id in
                switch parsed {
                case .export(let choice): .export(choice.content(for: resource))
                case .upload(let fileName): .upload(fileName: fileName, storagePath: "/workiva-uploads/\(id)", urlExpires: urlExpires)
                }
            },
            kickoffPath: kickoffPath, now: now)

        let operationPath = "\(flavor.prefix)/operations/\(operation.id)"
        var headers: HTTPFields = [:]
        headers[.location] = fault?.kind == .relativeLocation ? operationPath : environment.apiBase(for: request) + operationPath
        headers[.retryAfter] = String(operation.timeline.script.kickoffRetryAfter)
        var reply = Reply(status: .accepted, headers: headers)
        if case .upload(_, let storagePath, let expires) = operation.work {
            let query = environment.signer.query(method: "PUT", path: storagePath, expires: expires, overrides: [])
            var uploadReply = Reply.json(.accepted, ["uploadUrl": environment.storageBase(for: request) + storagePath + "?" + query])
            uploadReply.headers.append(contentsOf: headers)
            reply = uploadReply
        }
        return environment.finalize(reply, fault: fault)
    }
}
