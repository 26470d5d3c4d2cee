import Foundation
import HTTPTypes
import Hummingbird

/// The graph list endpoints a discovery scan walks: test forms, their test phases, matrices and
/// samples, and the attachments at each level. Each answers `{"data": [...], "@nextLink": "…"}`
/// in pages of the scenario's `listPageSize`; `@nextLink` (an absolute URL on this API's own
/// origin) is absent on the last page. Lists count against the client's request rate like any
/// other call, and take faults on route `workiva.list` (resource: the listed parent's id);
/// `foreignNextLink` points the page's `@nextLink` at the storage listener, another origin.
extension WorkivaRoutes {
    /// What a list names: a test form `{id, name}` … or a `GraphAttachment` `{id, fileName}`.
    struct ListItem: Encodable, Sendable {
        let id: String
        let name: String?
        let fileName: String?
    }

    struct ListPage: Encodable {
        let data: [ListItem]
        let nextLink: String?

        enum CodingKeys: String, CodingKey {
            case data
            case nextLink = "@nextLink"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(data, forKey: .data)
            if let nextLink { try container.encode(nextLink, forKey: .nextLink) }
        }
    }

    /// Which list a path asks for.
    enum ListKind: Sendable {
        case testForms, testPhases, matrices, samples
        case testPhaseAttachments, matrixAttachments, sampleAttachments
    }

    func registerLists(on router: Router<SandboxRequestContext>, flavor: WorkivaFlavor) {
        let prefix = flavor.prefix
        let phase = "\(prefix)/testForms/:testFormId/testPhases/:testPhaseId"
        let routes: [(String, ListKind)] = [
            ("\(prefix)/testForms", .testForms),
            ("\(prefix)/testForms/:testFormId/testPhases", .testPhases),
            ("\(phase)/matrices", .matrices),
            ("\(phase)/matrices/:matrixId/samples", .samples),
            ("\(phase)/attachments", .testPhaseAttachments),
            ("\(phase)/matrices/:matrixId/attachments", .matrixAttachments),
            ("\(phase)/matrices/:matrixId/samples/:sampleId/attachments", .sampleAttachments),
        ]
        for (path, kind) in routes {
            router.get(RouterPath(path)) { request, context in
                try await self.list(request, context: context, flavor: flavor, kind: kind)
            }
        }
    }

    func list(_ request: Request, context: SandboxRequestContext, flavor: WorkivaFlavor, kind: ListKind) async throws -> Response {
        let now = environment.clock.now()
        switch await gate(request, flavor: flavor, now: now) {
        case .failure(let rejection): return environment.finalize(rejection.reply, fault: nil)
        case .success: break
        }
        let parameters = context.parameters
        let parent = parameters.get("sampleId") ?? parameters.get("matrixId") ?? parameters.get("testPhaseId") ?? parameters.get("testFormId")
        let fault = await state.fault(for: .workivaList, resource: parent, now: now)
        if let replacement = try await environment.replacement(for: fault, dialect: .workiva(flavor), context: context) {
            return environment.finalize(replacement, fault: fault)
        }
        guard let items = await items(kind, parameters: parameters) else {
            return environment.finalize(.workivaError(.notFound, flavor: flavor), fault: fault)
        }
        var offset = 0
        if let token = request.uri.queryParameters["$skiptoken"] {
            guard let value = Int(String(token)), value >= 0, value <= items.count else {
                return environment.finalize(
                    .workivaError(.badRequest, flavor: flavor, message: "Invalid $skiptoken", target: "$skiptoken"), fault: fault)
            }
            offset = value
        }
        let size = max(1, environment.scenario.workiva.listPageSize)
        let end = min(items.count, offset + size)
        let origin = fault?.kind == .foreignNextLink ? environment.storageBase(for: request) : environment.apiBase(for: request)
        let next = end < items.count ? "\(origin)\(request.uri.path)?$skiptoken=\(end)" : nil
        return environment.finalize(.json(.ok, ListPage(data: Array(items[offset..<end]), nextLink: next)), fault: fault)
    }

    /// The items of a list, or nil when a parent on the path does not exist.
    private func items(_ kind: ListKind, parameters: Parameters) async -> [ListItem]? {
        let forms = await state.currentTestForms()
        if kind == .testForms { return forms.map { ListItem(id: $0.id, name: $0.name, fileName: nil) } }
        guard let form = forms.first(where: { $0.id == parameters.get("testFormId") }) else { return nil }
        if kind == .testPhases { return form.testPhases.map { ListItem(id: $0.id, name: $0.name, fileName: nil) } }
        guard let phase = form.testPhases.first(where: { $0.id == parameters.get("testPhaseId") }) else { return nil }
        if kind == .testPhaseAttachments { return await attachments(phase.attachments) }
        if kind == .matrices { return phase.matrices.map { ListItem(id: $0.id, name: $0.name, fileName: nil) } }
        guard let matrix = phase.matrices.first(where: { $0.id == parameters.get("matrixId") }) else { return nil }
        if kind == .matrixAttachments { return await attachments(matrix.attachments) }
        if kind == .samples { return matrix.samples.map { ListItem(id: $0.id, name: $0.name, fileName: nil) } }
        guard let sample = matrix.samples.first(where: { $0.id == parameters.get("sampleId") }) else { return nil }
        return await attachments(sample.attachments)
    }

    private func attachments(_ ids: [String]) async -> [ListItem] {
        var items: [ListItem] = []
        for id in ids {
            let resource = await state.resource(id)
            items.append(ListItem(id: id, name: nil, fileName: resource?.fileName ?? id))
        }
        return items
    }
}
