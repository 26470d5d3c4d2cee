public import ExportSyncCore
import Foundation
import NIOHTTP1

extension WorkivaClient {
    /// Most pages one list may have: a server whose links never end is refused, not followed.
    static let maximumListPages = 10_000

    /// Every item of `list`, page after page. `@nextLink` is followed only on the API's own
    /// origin (the token goes nowhere else); a link elsewhere, a page that is not
    /// `{"data": [...]}`, an item without an `id`, a link seen before, or more than
    /// ``maximumListPages`` pages fail the whole list: a scan never acts on part of one.
    public func listAll(_ list: WorkivaGraphList, flavour: WorkivaPathFlavour) async throws(ProviderFailure) -> [WorkivaGraphItem] {
        guard let path = list.path(flavour: flavour) else {
            throw .rejected(status: 404, code: nil, message: "the \(flavour.rawValue) paths have no graph lists", endpoint: "\(list)")
        }
        var url = URLText.join(source.baseURL, path)
        var seen: Set<String> = [url]
        var items: [WorkivaGraphItem] = []
        for _ in 0..<Self.maximumListPages {
            let outgoing = OutgoingRequest(
                method: .GET, url: url, kind: .list, headers: [("Accept", "application/json")], retryClass: .idempotent,
                followRedirects: false, timeoutSeconds: settings.requestTimeoutSeconds, rateLimit: rateLimit(poll: false))
            let response = try await sendAuthorized(outgoing, xVersion: flavour.xVersion, mode: .collect)
            guard response.isSuccess else { throw ProviderFailure.from(response, method: "GET") }
            guard let page = JSONObject(bytes: response.bytes), let data = page.value("data") as? [Any] else {
                throw .malformedResponse("HTTP \(response.status) from GET \(response.endpoint) is not a list page ({\"data\": [...]})")
            }
            for element in data {
                guard let fields = element as? [String: Any], let id = fields["id"] as? String, !id.isEmpty else {
                    throw .malformedResponse("an item of GET \(response.endpoint) has no id")
                }
                items.append(WorkivaGraphItem(id: id, name: fields["name"] as? String, fileName: fields["fileName"] as? String))
            }
            guard let link = page.string("@nextLink"), !link.isEmpty else { return items }
            guard let next = URLText.resolve(link, against: url), isAPIOrigin(next) else {
                throw .malformedResponse("@nextLink of GET \(response.endpoint) leaves the API origin; not followed")
            }
            guard seen.insert(next).inserted else {
                throw .malformedResponse("@nextLink of GET \(response.endpoint) repeats an earlier page")
            }
            url = next
        }
        throw .malformedResponse("GET \(path) has more than \(Self.maximumListPages) pages")
    }
}
