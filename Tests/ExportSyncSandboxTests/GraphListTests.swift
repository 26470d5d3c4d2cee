import ExportSyncSandbox
import Foundation
import Testing

/// The graph list endpoints a discovery scan walks: pages of `listPageSize` linked by
/// `@nextLink` on the API's own origin, 404 for a parent that does not exist, the client's rate
/// limit and faults on route `workiva.list`.
@Suite("Workiva graph lists")
struct GraphListTests {
    /// tf-9: two test phases; tp-a has 2 phase-level attachments, matrix mx-a (1 attachment)
    /// with samples sm-1 (3) and sm-2 (0); tp-b has nothing below it but one matrix.
    static func scenario(pageSize: Int = 2, faults: [FaultRule] = []) -> SandboxScenario {
        var scenario = TestScenarios.fast(faults: faults)
        let ids = ["g-1", "g-2", "g-3", "g-4", "g-5", "g-6"]
        scenario.workiva.resources += ids.map { WorkivaResource(id: $0, kind: .attachment, name: "Evidence \($0)") }
        scenario.workiva.testForms = [
            SandboxTestForm(id: "tf-9", name: "SOX 2026", testPhases: [
                SandboxTestPhase(id: "tp-a", attachments: ["g-1", "g-2"], matrices: [
                    SandboxMatrix(id: "mx-a", attachments: ["g-3"], samples: [
                        SandboxSample(id: "sm-1", attachments: ["g-4", "g-5", "g-6"]),
                        SandboxSample(id: "sm-2"),
                    ]),
                ]),
                SandboxTestPhase(id: "tp-b", matrices: [SandboxMatrix(id: "mx-b")]),
            ]),
            SandboxTestForm(id: "tf-10"),
        ]
        scenario.workiva.listPageSize = pageSize
        return scenario
    }

    /// Every page of a list, following `@nextLink`; the pages' sizes.
    static func walk(_ sandbox: SandboxHarness, _ path: String, token: String, version: String = "2026-01-01")
        async throws -> (items: [[String: Any]], pages: [Int], links: [String]) {
        var url = path
        var items: [[String: Any]] = []
        var pages: [Int] = []
        var links: [String] = []
        while true {
            let reply = try await sandbox.send("GET", url, headers: SandboxHarness.workivaHeaders(token: token, version: version))
            try #require(reply.status == 200, "\(url): \(reply.status) \(reply.text)")
            let body = try reply.json()
            let data = try #require(body["data"] as? [[String: Any]])
            items += data
            pages.append(data.count)
            guard let next = body["@nextLink"] as? String else { return (items, pages, links) }
            links.append(next)
            url = next
        }
    }

    @Test("each level pages by listPageSize, @nextLink on the API's origin and absent on the last page")
    func pagesAndLinks() async throws {
        try await withSandbox(Self.scenario()) { sandbox in
            let token = try await sandbox.token()
            let forms = try await Self.walk(sandbox, "/testForms", token: token)
            #expect(forms.items.map { $0["id"] as? String } == ["tf-9", "tf-10"])
            #expect(forms.items.first?["name"] as? String == "SOX 2026")
            #expect(forms.pages == [2])
            let phases = try await Self.walk(sandbox, "/testForms/tf-9/testPhases", token: token)
            #expect(phases.items.compactMap { $0["id"] as? String } == ["tp-a", "tp-b"])
            let sampleAttachments = try await Self.walk(
                sandbox, "/testForms/tf-9/testPhases/tp-a/matrices/mx-a/samples/sm-1/attachments", token: token)
            #expect(sampleAttachments.pages == [2, 1])
            #expect(sampleAttachments.items.compactMap { $0["id"] as? String } == ["g-4", "g-5", "g-6"])
            #expect(sampleAttachments.items.first?["fileName"] as? String == "Evidence g-4.pdf")
            #expect(sampleAttachments.items.allSatisfy { $0["name"] == nil && Set($0.keys) == ["id", "fileName"] })
            #expect(sampleAttachments.links.allSatisfy { $0.hasPrefix(sandbox.base + "/testForms/tf-9/") })
            #expect(try await Self.walk(sandbox, "/testForms/tf-9/testPhases/tp-a/attachments", token: token).items.count == 2)
            #expect(try await Self.walk(sandbox, "/testForms/tf-9/testPhases/tp-a/matrices/mx-a/attachments", token: token).items.count == 1)
            #expect(try await Self.walk(sandbox, "/testForms/tf-9/testPhases/tp-a/matrices/mx-a/samples", token: token).items.count == 2)
            let empty = try await Self.walk(sandbox, "/testForms/tf-9/testPhases/tp-a/matrices/mx-a/samples/sm-2/attachments", token: token)
            #expect(empty.pages == [0] && empty.links.isEmpty)
            // The same tree on the /platform/v1 paths.
            let v1 = try await Self.walk(sandbox, "/platform/v1/testForms/tf-9/testPhases/tp-b/matrices", token: token, version: "2022-01-01")
            #expect(v1.items.compactMap { $0["id"] as? String } == ["mx-b"])
        }
    }

    @Test("an unknown parent is 404, a bad $skiptoken 400, no token 401")
    func refusals() async throws {
        try await withSandbox(Self.scenario()) { sandbox in
            let token = try await sandbox.token()
            let headers = SandboxHarness.workivaHeaders(token: token)
            #expect(try await sandbox.send("GET", "/testForms/nope/testPhases", headers: headers).status == 404)
            #expect(try await sandbox.send("GET", "/testForms/tf-9/testPhases/tp-a/matrices/nope/samples", headers: headers).status == 404)
            #expect(try await sandbox.send("GET", "/testForms/tf-9/testPhases?$skiptoken=x", headers: headers).status == 400)
            #expect(try await sandbox.send("GET", "/testForms/tf-9/testPhases?$skiptoken=99", headers: headers).status == 400)
            #expect(try await sandbox.send("GET", "/testForms", headers: [("X-Version", "2026-01-01")]).status == 401)
        }
    }

    @Test("list calls count against the client's request rate like any other call")
    func rateLimited() async throws {
        var scenario = Self.scenario()
        // Two per second: the token call takes one, the first list the other.
        scenario.workiva.requestsPerSecond = 2
        scenario.workiva.retryAfterOn429 = .always
        // A clock that does not move: both calls fall in one second however slow the machine.
        try await withSandbox(scenario, clock: SandboxTestClock()) { sandbox in
            let token = try await sandbox.token()
            let headers = SandboxHarness.workivaHeaders(token: token)
            #expect(try await sandbox.send("GET", "/testForms", headers: headers).status == 200)
            let limited = try await sandbox.send("GET", "/testForms/tf-9/testPhases", headers: headers)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") != nil)
        }
    }

    @Test("lists take faults on route workiva.list, for one parent")
    func faults() async throws {
        let fault = FaultRule(route: .workivaList, resource: "sm-1", requests: [2], kind: .status, status: 503)
        try await withSandbox(Self.scenario(faults: [fault])) { sandbox in
            let token = try await sandbox.token()
            let headers = SandboxHarness.workivaHeaders(token: token)
            let path = "/testForms/tf-9/testPhases/tp-a/matrices/mx-a/samples/sm-1/attachments"
            let first = try await sandbox.send("GET", path, headers: headers)
            #expect(first.status == 200)
            let next = try #require(try first.json()["@nextLink"] as? String)
            #expect(try await sandbox.send("GET", next, headers: headers).status == 503)
            #expect(try await sandbox.send("GET", next, headers: headers).status == 200)
            #expect(try await sandbox.send("GET", "/testForms/tf-9/testPhases", headers: headers).status == 200)
        }
    }

    @Test("a scenario tree naming an attachment that is not an attachment resource is refused")
    func unknownAttachmentRefused() throws {
        let text = """
            [workiva]
            [[workiva.resources]]
            id = "g-1"
            kind = "attachment"
            [[workiva.testForms]]
            id = "tf-1"
            [[workiva.testForms.testPhases]]
            id = "tp-1"
            attachments = ["g-1", "g-missing"]
            """
        #expect(throws: (any Error).self) { try SandboxScenario.decode(toml: text) }
        let fine = try SandboxScenario.decode(toml: text.replacingOccurrences(of: ", \"g-missing\"", with: ""))
        #expect(fine.workiva.testForms.first?.attachmentIDs == ["g-1"])
        #expect(fine.workiva.listPageSize == 3)
    }
}
