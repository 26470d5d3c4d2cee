import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

@Suite("Engine against every sandbox fault", .serialized)
struct FaultTests {
    /// One job per fault, each on its own resource; every run must reach the right terminal
    /// state within its budget, and the recovered ones must still produce the exact bytes.
    @Test("each fault ends in the right terminal state")
    func faults() async throws {
        let faulty = ["p503", "p429", "relative", "truncate", "reset", "malformed", "unknown", "casing", "k500", "hang", "token"]
        let resources = faulty.map { "[[workiva.resources]]\nid = \"att-\($0)\"\nkind = \"attachment\"\nsize = 25000\n" }.joined(separator: "\n")
        let faults = """
            [[faults]]
            route = "workiva.poll"
            resource = "att-p503"
            requests = [1]
            kind = "status"
            status = 503

            [[faults]]
            route = "workiva.poll"
            resource = "att-p429"
            requests = [1, 2]
            kind = "status"
            status = 429

            [[faults]]
            route = "workiva.kickoff"
            resource = "att-relative"
            kind = "relativeLocation"

            [[faults]]
            route = "workiva.download"
            resource = "att-truncate"
            requests = [1]
            kind = "truncate"

            [[faults]]
            route = "workiva.download"
            resource = "att-reset"
            requests = [1]
            kind = "reset"

            [[faults]]
            route = "workiva.poll"
            resource = "att-malformed"
            requests = [1]
            kind = "malformedJSON"

            [[faults]]
            route = "workiva.poll"
            resource = "att-unknown"
            kind = "unknownFields"

            [[faults]]
            route = "workiva.poll"
            resource = "att-casing"
            kind = "resourceURLCasing"

            [[faults]]
            route = "workiva.kickoff"
            resource = "att-k500"
            requests = [1]
            kind = "status"
            status = 500

            [[faults]]
            route = "workiva.poll"
            resource = "att-hang"
            requests = [1]
            kind = "hang"
            seconds = 2

            [[faults]]
            route = "workiva.token"
            requests = [1]
            kind = "status"
            status = 503

            [[faults]]
            route = "webadmit.status"
            resource = "86446"
            requests = [1]
            kind = "status"
            status = 500
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: resources))
        defer { Task { await harness.shutdown() } }
        var jobs = faulty.map { attachmentJob("fault-\($0)", attachment: "att-\($0)") }
        jobs.append(attachmentJob("operation-failed", attachment: "att-broken"))
        jobs.append(job("webadmit-status-500", "webadmit-export", "export = 86446", source: "admissions"))
        jobs.append(job("webadmit-empty", "webadmit-export", "export = 86448", source: "admissions"))
        try harness.writeConfig(jobs: jobs.joined())

        let started = Date()
        let result = try await harness.runOnce(timeout: 90)
        let elapsed = Date().timeIntervalSince(started)
        print("fault workload finished in \(elapsed) s")
        #expect(result.status == 75, "failures are reported with EX_TEMPFAIL")

        let runs = try await harness.lastRuns()
        for name in ["p503", "p429", "relative", "truncate", "reset", "malformed", "unknown", "casing", "hang", "token", "k500"] {
            let run = try #require(runs["fault-\(name)"])
            #expect(run["phase"] as? String == "done", "fault-\(name): \(run)")
            let content = try #require(harness.scenario.expectedWorkivaContent(resource: "att-\(name)", format: "pdf"))
            #expect(harness.sha256(of: "fault-\(name).pdf") == content.sha256Hex(), "fault-\(name)")
        }
        // A 500 answered to a kickoff is the server saying "not now": sent again after backoff,
        // not a possible duplicate, and the export still lands in the same run.
        let kickoff500 = try #require(runs["fault-k500"])
        #expect(kickoff500["possible_duplicate"] as? Bool == false)
        // A failed operation is terminal, not retried, and its details are kept.
        let failed = try #require(runs["operation-failed"])
        #expect(failed["phase"] as? String == "failed")
        #expect(failed["failure_retryable"] as? Bool == false)
        #expect((failed["failure_reason"] as? String)?.contains("failed") == true)
        let webadmit = try #require(runs["webadmit-status-500"])
        #expect(webadmit["phase"] as? String == "done")
        #expect(harness.sha256(of: "webadmit-status-500.csv") == harness.scenario.expectedWebAdmitContent(export: 86446)?.sha256Hex())
        let empty = try #require(runs["webadmit-empty"])
        #expect(empty["phase"] as? String == "failed")
        #expect((empty["failure_reason"] as? String)?.contains("Empty List") == true)
        #expect(harness.temporaryFiles().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: harness.outputRoot.appendingPathComponent("operation-failed.pdf").path))
        // The faults really fired (otherwise the checks above prove nothing).
        let journal = harness.server.journal()
        func fired(_ method: String, _ pathPart: String, _ status: Int) -> Bool {
            journal.contains { $0.method == method && $0.path.contains(pathPart) && $0.status == status }
        }
        #expect(fired("GET", "/operations/", 503))
        #expect(fired("GET", "/operations/", 429))
        #expect(fired("POST", "/attachments/att-k500/export", 500))
        #expect(fired("POST", "/oauth2/token", 503))
        #expect(fired("GET", "/export_files/", 500))
        #expect(journal.filter { $0.method == "POST" && $0.path.contains("att-k500") }.map(\.status) == [500, 202],
                "a POST answered 500 is sent again once, after a wait")
        #expect(journal.filter { $0.listener == .storage }.allSatisfy { $0.credentials.allSatisfy { $0 == .presignedQuery } })
    }
}
