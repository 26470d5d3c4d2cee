import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Testing

/// Walking Workiva graph lists: every page, `@nextLink` only on the API's own origin.
@Suite("Workiva graph lists (client)")
struct WorkivaListTests {
    static func scenario(faults: [FaultRule] = []) -> SandboxScenario {
        var scenario = Fixture.scenario(faults: faults)
        scenario.workiva.resources += (1...5).map { WorkivaResource(id: "att-\($0)", kind: .attachment, name: "Evidence \($0)") }
        scenario.workiva.testForms = [
            SandboxTestForm(id: "tf1", testPhases: [
                SandboxTestPhase(id: "tp1", attachments: ["att-1"], matrices: [
                    SandboxMatrix(id: "m1", samples: [SandboxSample(id: "s1", attachments: ["att-2", "att-3", "att-4", "att-5"])]),
                ]),
            ]),
        ]
        scenario.workiva.listPageSize = 2
        return scenario
    }

    @Test("the list paths: 2026 unprefixed and /platform/v1, segments percent-encoded; the prototype has none")
    func paths() {
        let locator = SampleLocator(testForm: "tf 1", testPhase: "tp1", matrix: "m1", sample: "s1")
        #expect(WorkivaGraphList.testForms.path(flavour: .v2026) == "/testForms")
        #expect(WorkivaGraphList.testPhases(testForm: "tf 1").path(flavour: .platformV1) == "/platform/v1/testForms/tf%201/testPhases")
        #expect(WorkivaGraphList.samples(testForm: "a", testPhase: "b", matrix: "c").path(flavour: .v2026) == "/testForms/a/testPhases/b/matrices/c/samples")
        #expect(WorkivaGraphList.attachments(locator).path(flavour: .v2026) == "/testForms/tf%201/testPhases/tp1/matrices/m1/samples/s1/attachments")
        #expect(WorkivaGraphList.attachments(SampleLocator(testForm: "a", testPhase: "b", matrix: nil, sample: nil)).path(flavour: .v2026)
            == "/testForms/a/testPhases/b/attachments")
        #expect(WorkivaGraphList.testForms.path(flavour: .prototype) == nil)
    }

    @Test("every page is read, following @nextLink; items keep id, name and fileName")
    func allPages() async throws {
        try await withProviders(Self.scenario()) { sandbox in
            let client = sandbox.workivaClient()
            let attachments = try await client.listAll(.attachments(Fixture.locator), flavour: .v2026)
            #expect(attachments.map(\.id) == ["att-2", "att-3", "att-4", "att-5"])
            #expect(attachments.first?.fileName == "Evidence 2.pdf")
            let pages = sandbox.journal.filter { $0.path.hasSuffix("/samples/s1/attachments") }
            #expect(pages.count == 2)
            #expect(try await client.listAll(.testForms, flavour: .v2026).map(\.id) == ["tf1"])
            #expect(try await client.listAll(.attachments(SampleLocator(testForm: "tf1", testPhase: "tp1", matrix: nil, sample: nil)),
                                             flavour: .platformV1).map(\.id) == ["att-1"])
            let missing = await failure { try await client.listAll(.testPhases(testForm: "nope"), flavour: .v2026) }
            guard case .rejected(let status, _, _, _)? = missing else {
                Issue.record("an unknown test form is a refusal: \(String(describing: missing))")
                return
            }
            #expect(status == 404)
        }
    }

    @Test("a @nextLink to another origin is refused and never followed: the token goes nowhere else")
    func foreignNextLink() async throws {
        let fault = FaultRule(route: .workivaList, resource: "s1", requests: [1], kind: .foreignNextLink)
        try await withProviders(Self.scenario(faults: [fault])) { sandbox in
            let client = sandbox.workivaClient()
            let refused = await failure { try await client.listAll(.attachments(Fixture.locator), flavour: .v2026) }
            guard case .malformedResponse(let detail)? = refused else {
                Issue.record("a foreign @nextLink fails the list: \(String(describing: refused))")
                return
            }
            #expect(detail.contains("leaves the API origin"))
            #expect(sandbox.journal.filter { $0.path.hasSuffix("/samples/s1/attachments") }.count == 1, "the foreign link was followed")
            #expect(!sandbox.journal.contains { $0.listener == .storage })
        }
    }
}
