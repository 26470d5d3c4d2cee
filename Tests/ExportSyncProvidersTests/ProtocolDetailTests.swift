import ExportSyncCore
@testable import ExportSyncProviders
import Foundation
import NIOHTTP1
import Testing

/// Pure checks of the pieces the sandbox cannot exercise: same-origin redirects, the old
/// WebAdMIT array form, error dialects, key casing.
@Suite("Credential scoping and tolerant decoding")
struct ProtocolDetailTests {
    @Test func credentialsFollowOnlyTheConfiguredOrigin() throws {
        let origin = try #require(HTTPOrigin(url: "https://api.app.wdesk.com"))
        let bearer = OutgoingRequest.Credentials(headers: [("Authorization", "Bearer t")], origin: origin)
        #expect(bearer.apply(to: "https://api.app.wdesk.com/operations/1", hop: 0))
        #expect(bearer.apply(to: "https://API.app.wdesk.com:443/exports/1/content?x=1", hop: 2))
        #expect(!bearer.apply(to: "http://api.app.wdesk.com/operations/1", hop: 0))
        #expect(!bearer.apply(to: "https://api.app.wdesk.com:8443/operations/1", hop: 0))
        #expect(!bearer.apply(to: "https://bucket.s3.amazonaws.com/key?Signature=x", hop: 1))
        #expect(!bearer.apply(to: "https://api.app.wdesk.com.evil.example/x", hop: 0))
        // The documented upload flow: first hop only, whatever the host; never after a redirect.
        let upload = OutgoingRequest.Credentials(headers: [("Authorization", "Bearer t")], origin: nil)
        #expect(upload.apply(to: "https://bucket.s3.amazonaws.com/u?Signature=x", hop: 0))
        #expect(!upload.apply(to: "https://bucket.s3.amazonaws.com/u?Signature=x", hop: 1))
        #expect(!OutgoingRequest.Credentials.none.apply(to: "https://api.app.wdesk.com/", hop: 0))
    }

    @Test func locationsResolveAndEndpointsDropTheQuery() {
        let base = "https://api.app.wdesk.com/platform/v1/files/1/export"
        #expect(URLText.resolve("/platform/v1/operations/abc", against: base) == "https://api.app.wdesk.com/platform/v1/operations/abc")
        #expect(URLText.resolve("../../operations/abc", against: base) == "https://api.app.wdesk.com/platform/v1/operations/abc")
        #expect(URLText.resolve("https://api.eu.wdesk.com/operations/x", against: base) == "https://api.eu.wdesk.com/operations/x")
        #expect(URLText.resolve("", against: base) == nil)
        #expect(URLText.endpoint("https://s3.example/key.txt?Signature=abc&Expires=1") == "/key.txt")
        #expect(URLText.endpoint("https://api.example") == "/")
        #expect(URLText.join("https://api.example/", "/operations/1") == "https://api.example/operations/1")
    }

    @Test func operationDecodingIsTolerant() throws {
        let body = #"""
        {"id":"op1","STATUS":"Completed","resourceURL":"https://api.example/r","originalRequest":"d4e3",
         "details":[{"code":"X","message":"m","target":null}],"extra":{"nested":[1,2]}}
        """#
        let state = try #require(WorkivaOperationState.decode(Array(body.utf8), retryAfter: 2))
        #expect(state.status == "Completed")
        #expect(state.outcome == .succeeded)
        #expect(state.resourceURL == "https://api.example/r")
        #expect(state.originalRequest == "d4e3")
        #expect(state.details == #"[{"code":"X","message":"m","target":null}]"#)
        #expect(state.retryAfter == 2)

        let running = try #require(WorkivaOperationState.decode(Array(#"{"status":"acknowledged","details":null,"resourceUrl":null}"#.utf8), retryAfter: nil))
        #expect(running.outcome == .pending)
        #expect(running.details == nil)
        #expect(running.resourceURL == nil)
        #expect(WorkivaOperationState.decode(Array(#"{"id":"x"}"#.utf8), retryAfter: nil) == nil)
        #expect(WorkivaOperationState.decode(Array("not json".utf8), retryAfter: nil) == nil)
    }

    @Test(arguments: [
        #"{"export_files":{"id":74780,"href":"/x","export_id":86446,"status":"Initializing"}}"#,
        #"{"export_files":[{"id":74780,"href":"/x","export_id":86446,"status":"Initializing"}]}"#,
        #"[{"id":74780,"export_id":86446,"status":"Initializing"}]"#,
        #"{"id":"74780","export_id":"86446","status":"Initializing","new_field":true}"#,
    ])
    func webAdmitRecordInEveryShape(body: String) throws {
        let record = try #require(WebAdmitExportFileDecoding.record(Array(body.utf8)))
        #expect(record.string("id") == "74780")
        #expect(record.string("export_id") == "86446")
        #expect(record.string("status") == "Initializing")
    }

    @Test func errorBodiesOfEveryDialect() {
        let workiva = ServerErrorBody(Array(#"{"code":"409Conflict","message":"The request conflicts"}"#.utf8))
        #expect(workiva == ServerErrorBody(code: "409Conflict", message: "The request conflicts"))
        let iam = ServerErrorBody(Array(#"{"error":"invalid_scope","error_description":"bad scope"}"#.utf8))
        #expect(iam == ServerErrorBody(code: "invalid_scope", message: "bad scope"))
        let webAdmit = ServerErrorBody(Array(#"{"message":"Not Found"}"#.utf8))
        #expect(webAdmit == ServerErrorBody(code: nil, message: "Not Found"))
        let s3 = ServerErrorBody(Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>AccessDenied</Code><Message>Request has expired</Message><Expires>x</Expires>\
            <ArgumentValue>Bearer secret-token</ArgumentValue></Error>
            """.utf8))
        #expect(s3 == ServerErrorBody(code: "AccessDenied", message: "Request has expired"))
        #expect(s3.isExpiredURL)
        #expect(ServerErrorBody([]) == ServerErrorBody(code: nil, message: nil))
    }

    @Test func failureMappingByStatusAndRoute() {
        func response(_ status: Int, _ url: String, _ body: String = "", at receivedAt: Date = Date()) -> ExchangeResponse {
            ExchangeResponse(status: status, headers: ["Retry-After": "7"], url: url, bytes: Array(body.utf8), stream: nil, receivedAt: receivedAt)
        }
        // 404/410 on a path family is "sunset" from its sunset day on, and a plain 404 before.
        let afterPrototype = PathSunset.prototype.date
        #expect(ProviderFailure.from(response(410, "https://a/prototype/platform/files/1/export", at: afterPrototype), method: "POST")
            == .sunset(endpoint: "/prototype/platform/files/1/export"))
        #expect(ProviderFailure.from(response(404, "https://a/prototype/platform/operations/1", at: afterPrototype), method: "GET")
            == .sunset(endpoint: "/prototype/platform/operations/1"))
        #expect(ProviderFailure.from(response(404, "https://a/prototype/platform/operations/1", at: afterPrototype.addingTimeInterval(-0.001)), method: "GET")
            == .rejected(status: 404, code: nil, message: nil, endpoint: "/prototype/platform/operations/1"))
        #expect(ProviderFailure.from(response(404, "https://a/platform/v1/operations/1", at: afterPrototype), method: "GET")
            == .rejected(status: 404, code: nil, message: nil, endpoint: "/platform/v1/operations/1"))
        #expect(ProviderFailure.from(response(410, "https://a/platform/v1/operations/1", at: PathSunset.platformV1.date), method: "GET")
            == .sunset(endpoint: "/platform/v1/operations/1"))
        #expect(ProviderFailure.sunset(endpoint: "/prototype/platform/files/1/export").description.contains("retired on 2027-01-31"))
        #expect(ProviderFailure.from(response(404, "https://a/operations/1", #"{"code":"404NotFound","message":"gone"}"#), method: "GET")
            == .rejected(status: 404, code: "404NotFound", message: "gone", endpoint: "/operations/1"))
        #expect(ProviderFailure.from(response(401, "https://a/api/v1/exports"), method: "GET") == .unauthorized(endpoint: "/api/v1/exports"))
        #expect(ProviderFailure.from(response(503, "https://a/files/1/export"), method: "POST").isTransient)
        if case .transient(_, let retryAfter) = ProviderFailure.from(response(500, "https://a/x"), method: "POST") {
            #expect(retryAfter == 7)
        } else {
            Issue.record("500 is transient")
        }
        // An HTTP-date is measured from when the answer arrived on the provider's clock, not
        // from the wall clock when the failure is mapped.
        let dated = ExchangeResponse(status: 429, headers: ["Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT"], url: "https://a/x", bytes: [],
                                     stream: nil, receivedAt: Date(timeIntervalSince1970: 784_111_777 - 42))
        if case .transient(_, let retryAfter) = ProviderFailure.from(dated, method: "GET") {
            #expect(retryAfter == 42)
        } else {
            Issue.record("429 is transient")
        }
        let description = ProviderFailure.rejected(status: 400, code: "InvalidArgument", message: "line1\nline2", endpoint: "/u").description
        #expect(!description.contains("\n"))
    }

    @Test func formEncodingKeepsOnlyUnreservedCharacters() {
        #expect(WorkivaClient.formEncode("a b&c=d+e/é~") == "a%20b%26c%3Dd%2Be%2F%C3%A9~")
    }
}
