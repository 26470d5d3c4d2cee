import ExportSyncSandbox
import Foundation
import Testing

@Suite("Workiva token endpoint")
struct WorkivaTokenTests {
    let form = [("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")]

    @Test func formBodyIssuesTheFourFieldToken() async throws {
        var scenario = TestScenarios.fast()
        scenario.workiva.tokenLifetimeSeconds = 42
        try await withSandbox(scenario) { sandbox in
            let body = "grant_type=client_credentials&client_id=\(TestScenarios.clientId)&client_secret=\(TestScenarios.clientSecret)"
            let reply = try await sandbox.send("POST", "/iam/v1/oauth2/token", headers: form, body: Array(body.utf8))
            #expect(reply.status == 200)
            let json = try reply.json()
            let required = OpenAPIFacts.requiredFields(schema: "BearerToken")
            #expect(Set(required) == ["access_token", "expires_in", "scope", "token_type"])
            for field in required { #expect(json[field] != nil, "missing \(field)") }
            #expect(json["expires_in"] as? Int == 42)
            #expect(json["token_type"] as? String == "Bearer")
            #expect((json["scope"] as? String)?.split(separator: " ").contains("graph:read") == true)
        }
    }

    @Test func jsonBodyAndBasicAuthAreAccepted() async throws {
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let json = try await sandbox.post(
                "/iam/v1/oauth2/token",
                json: #"{"grant_type":"client_credentials","client_id":"\#(TestScenarios.clientId)","client_secret":"\#(TestScenarios.clientSecret)"}"#)
            #expect(json.status == 200)
            let basic = Data("\(TestScenarios.clientId):\(TestScenarios.clientSecret)".utf8).base64EncodedString()
            let reply = try await sandbox.send("POST", "/iam/v1/oauth2/token", headers: form + [("Authorization", "Basic \(basic)")],
                body: Array("grant_type=client_credentials&scope=file:read".utf8))
            #expect(reply.status == 200)
            #expect(try reply.json()["scope"] as? String == "file:read")
        }
    }

    @Test func badCredentialsAndRequestsGetIamErrors() async throws {
        let iamErrors = [
            "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope",
            "server_error", "temporarily_unavailable",
        ]
        try await withSandbox(TestScenarios.fast()) { sandbox in
            let wrongSecret = try await sandbox.send("POST", "/iam/v1/oauth2/token", headers: form,
                body: Array("grant_type=client_credentials&client_id=\(TestScenarios.clientId)&client_secret=nope".utf8))
            #expect(wrongSecret.status == 401)
            let noGrant = try await sandbox.send("POST", "/iam/v1/oauth2/token", headers: form,
                body: Array("client_id=\(TestScenarios.clientId)&client_secret=\(TestScenarios.clientSecret)".utf8))
            #expect(noGrant.status == 400)
            let badScope = try await sandbox.send("POST", "/iam/v1/oauth2/token", headers: form,
                body: Array("grant_type=client_credentials&client_id=\(TestScenarios.clientId)&client_secret=\(TestScenarios.clientSecret)&scope=organization:write".utf8))
            #expect(badScope.status == 400)
            #expect(try badScope.json()["error"] as? String == "invalid_scope")
            for reply in [wrongSecret, noGrant, badScope] {
                let json = try reply.json()
                #expect(iamErrors.contains(json["error"] as? String ?? ""), "\(reply.text)")
                #expect(json["error_description"] is String)
            }
        }
    }

    @Test func expiredTokenIsRejectedWith401() async throws {
        var scenario = TestScenarios.fast()
        scenario.workiva.tokenLifetimeSeconds = 3
        let clock = SandboxTestClock()
        try await withSandbox(scenario, clock: clock) { sandbox in
            let token = try await sandbox.token()
            clock.advance(by: 2.999)
            let live = try await sandbox.send("GET", "/operations/unknown", headers: SandboxHarness.workivaHeaders(token: token))
            #expect(live.status == 404, "rejected inside its lifetime")
            clock.advance(by: 0.001)
            let expired = try await sandbox.send("GET", "/operations/unknown", headers: SandboxHarness.workivaHeaders(token: token))
            #expect(expired.status == 401)
            #expect(try expired.json()["code"] as? String == "401Unauthorized")
            let none = try await sandbox.send("GET", "/operations/unknown", headers: [("X-Version", "2026-01-01")])
            #expect(none.status == 401)
            #expect(try none.json()["message"] is String)
        }
    }

    @Test func tokenCallsCountAgainstTheClientRateLimit() async throws {
        var scenario = TestScenarios.fast()
        scenario.workiva.requestsPerSecond = 1
        scenario.workiva.retryAfterOn429 = .always
        // A clock that does not move: the four calls fall in one second however slow the machine.
        try await withSandbox(scenario, clock: SandboxTestClock()) { sandbox in
            var statuses: [Int] = []
            for _ in 0..<4 {
                let body = "grant_type=client_credentials&client_id=\(TestScenarios.clientId)&client_secret=\(TestScenarios.clientSecret)"
                statuses.append(try await sandbox.send("POST", "/iam/v1/oauth2/token", headers: form, body: Array(body.utf8)).status)
            }
            #expect(statuses.first == 200)
            #expect(statuses == [200, 429, 429, 429], "4 token calls at one instant exceed 1 request/s")
        }
    }
}
