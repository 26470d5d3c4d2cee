import Foundation
import HTTPTypes
import Hummingbird

/// The Workiva Platform API: token endpoint, kick-offs, operations and downloads, in the three
/// path flavours.
struct WorkivaRoutes: Sendable {
    let environment: SandboxEnvironment

    var state: SandboxState { environment.state }

    func register(on router: Router<SandboxRequestContext>) {
        for path in ["/iam/v1/oauth2/token", "/oauth2/token"] {
            router.post(RouterPath(path)) { request, context in
                try await self.issueToken(request, context: context)
            }
        }
        for flavor in WorkivaFlavor.allCases {
            let prefix = flavor.prefix
            router.get(RouterPath("\(prefix)/operations/:operationId")) { request, context in
                try await self.poll(request, context: context, flavor: flavor)
            }
            router.get(RouterPath("\(prefix)/exports/:operationId/content")) { request, context in
                try await self.download(request, context: context, flavor: flavor)
            }
            registerKickoff(on: router, flavor: flavor, path: "files/:fileId/export", parameter: "fileId", kind: .fileExport)
            if flavor == .prototype {
                registerKickoff(
                    on: router, flavor: flavor,
                    path: "audits/:auditId/procedures/:procedureId/matrices/:matrixId/samples/:sampleId/attachments/:attachmentId/export",
                    parameter: "attachmentId", kind: .attachmentExport)
                continue
            }
            registerLists(on: router, flavor: flavor)
            let testPhase = "testForms/:testFormId/testPhases/:testPhaseId"
            for level in [testPhase, "\(testPhase)/matrices/:matrixId", "\(testPhase)/matrices/:matrixId/samples/:sampleId"] {
                registerKickoff(
                    on: router, flavor: flavor, path: "\(level)/attachments/:attachmentId/export",
                    parameter: "attachmentId", kind: .attachmentExport)
            }
            registerKickoff(
                on: router, flavor: flavor, path: "\(testPhase)/matrices/:matrixId/samples/:sampleId/attachmentUpload",
                parameter: "sampleId", kind: .attachmentUpload)
            registerKickoff(on: router, flavor: flavor, path: "documents/:documentId/export", parameter: "documentId", kind: .documentExport)
            registerKickoff(
                on: router, flavor: flavor, path: "spreadsheets/:spreadsheetId/export", parameter: "spreadsheetId",
                kind: .spreadsheetExport)
            registerKickoff(
                on: router, flavor: flavor, path: "presentations/:presentationId/export", parameter: "presentationId",
                kind: .presentationExport)
        }
    }

    private func registerKickoff(
        on router: Router<SandboxRequestContext>, flavor: WorkivaFlavor, path: String, parameter: String, kind: KickoffKind
    ) {
        router.post(RouterPath("\(flavor.prefix)/\(path)")) { request, context in
            try await self.kickoff(request, context: context, flavor: flavor, resourceParameter: parameter, kind: kind)
        }
    }

    // MARK: Gate shared by every Workiva call

    /// The answer to a request that did not pass the gate.
    struct Rejection: Error {
        let reply: Reply
    }

    struct Caller: Sendable {
        let token: String
        let clientId: String
        let scopes: Set<String>
    }

    /// Checks `X-Version`, the Bearer token and the client's request rate.
    func gate(_ request: Request, flavor: WorkivaFlavor, now: Date) async -> Result<Caller, Rejection> {
        switch flavor.check(xVersion: request.headers[.xVersion]) {
        case .accepted: break
        case .notFound: return .failure(Rejection(reply: .workivaError(.notFound, flavor: flavor)))
        case .badVersion:
            return .failure(
                Rejection(reply: .workivaError(.badRequest, flavor: flavor, message: "Unsupported X-Version header value", target: "X-Version")))
        }
        guard let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer "),
            case let value = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces),
            let token = await state.token(value, now: now)
        else {
            return .failure(Rejection(reply: .workivaError(.unauthorized, flavor: flavor)))
        }
        if case .limited(let retryAfter) = await state.admitClientRequest(clientId: token.clientId, now: now) {
            return .failure(Rejection(reply: .workivaError(.tooManyRequests, flavor: flavor, retryAfter: retryAfter)))
        }
        return .success(Caller(token: value, clientId: token.clientId, scopes: token.scopes))
    }
}
