import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

/// Attachments d-1 … d-9 for discovery tests: each a resource the sandbox can export.
let discoveryResources = (1...9).map { index in
    """
    [[workiva.resources]]
    id = "d-\(index)"
    kind = "attachment"
    name = "Evidence \(index)"
    size = \(8_000 + 1_000 * index)

    """
}.joined()

/// A test form `tf` whose lists cross pages (the sandbox's default page size is 3): phase `tp1`
/// with attachments `phase`, matrix `m1` with `matrix`, samples `s1` and `s2` with theirs.
func discoveryForm(phase: [String], matrix: [String], s1: [String], s2: [String]) -> [SandboxTestForm] {
    [SandboxTestForm(id: "tf", testPhases: [
        SandboxTestPhase(id: "tp1", attachments: phase, matrices: [
            SandboxMatrix(id: "m1", attachments: matrix, samples: [
                SandboxSample(id: "s1", attachments: s1),
                SandboxSample(id: "s2", attachments: s2),
            ]),
        ]),
    ])]
}

/// A test-form-attachments job over `tf`, writing `<dir>/<attachment>.pdf`.
func discoveryJob(_ name: String, directory: String, extra: String = "") -> String {
    """
    [[jobs]]
    name = "\(name)"
    source = "workiva"
    kind = "test-form-attachments"
    test_form = "tf"
    every = "1d"
    deadline = "2m"
    output = "\(directory)/{test_phase}/{matrix}/{sample}/{attachment}.pdf"
    \(extra)

    """
}

@Suite("Discovery jobs against the sandbox (real binary, real SQLite, paged lists)", .serialized)
struct DiscoveryTests {
    /// Kickoffs the sandbox accepted, by attachment id.
    static func kickoffs(_ journal: [JournalEntry]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in journal where entry.method == "POST" && entry.path.hasSuffix("/export") && entry.status == 202 {
            let parts = entry.path.split(separator: "/")
            if parts.count >= 2 { counts[String(parts[parts.count - 2]), default: 0] += 1 }
        }
        return counts
    }

    static func trigger(_ harness: SandboxHarness, _ jobs: String...) async throws {
        let result = try await ExecutableRunner.run(["trigger", "--config", harness.configPath] + jobs)
        #expect(result.status == 0, "trigger: \(result.standardError)")
    }

    static func discovery(_ harness: SandboxHarness, job: String) async throws -> [String: Any] {
        let jobs = try #require(try await harness.status()["jobs"] as? [[String: Any]])
        let entry = try #require(jobs.first { $0["name"] as? String == job })
        return try #require(entry["discovery"] as? [String: Any], "\(entry)")
    }

    func expectFile(_ harness: SandboxHarness, _ relative: String, attachment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = harness.scenario.expectedWorkivaContent(resource: attachment, format: "pdf")?.sha256Hex()
        #expect(expected != nil && harness.sha256(of: relative) == expected, "\(relative)", sourceLocation: sourceLocation)
    }

    @Test("every attachment at every level is exported once, across pages; one added between scans is exported at the next scan and nothing else again")
    func addedBetweenScans() async throws {
        let harness = try await SandboxHarness(scenarioTOML: testScenario(extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: ["d-2"], s1: ["d-3", "d-4", "d-5", "d-6"], s2: ["d-7"]))
        try harness.writeConfig(jobs: discoveryJob("evidence", directory: "ev"))

        let first = try await harness.runOnce()
        #expect(first.status == 0, "\(first.log.suffix(3_000))")
        let files = [("ev/tp1/_/_/d-1.pdf", "d-1"), ("ev/tp1/m1/_/d-2.pdf", "d-2"), ("ev/tp1/m1/s1/d-3.pdf", "d-3"),
                     ("ev/tp1/m1/s1/d-4.pdf", "d-4"), ("ev/tp1/m1/s1/d-5.pdf", "d-5"), ("ev/tp1/m1/s1/d-6.pdf", "d-6"),
                     ("ev/tp1/m1/s2/d-7.pdf", "d-7")]
        for (path, attachment) in files { expectFile(harness, path, attachment: attachment) }
        let journal = harness.server.journal()
        #expect(Self.kickoffs(journal) == Dictionary(uniqueKeysWithValues: files.map { ($0.1, 1) }))
        #expect(journal.contains { $0.path.hasSuffix("/samples/s1/attachments") && ($0.query ?? "").contains("skiptoken") },
                "s1's four attachments came in two pages")
        var standing = try await Self.discovery(harness, job: "evidence")
        #expect(standing["found"] as? Int == 7 && standing["exported"] as? Int == 7)
        #expect(standing["pending"] as? Int == 0 && standing["failed"] as? Int == 0)
        #expect(standing["last_complete_scan_at"] as? String != nil)

        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: ["d-2"], s1: ["d-3", "d-4", "d-5", "d-6"], s2: ["d-7", "d-8"]))
        try await Self.trigger(harness, "evidence")
        let second = try await harness.runOnce()
        #expect(second.status == 0, "\(second.log.suffix(3_000))")
        expectFile(harness, "ev/tp1/m1/s2/d-8.pdf", attachment: "d-8")
        var expected = Dictionary(uniqueKeysWithValues: files.map { ($0.1, 1) })
        expected["d-8"] = 1
        #expect(Self.kickoffs(harness.server.journal()) == expected, "only the new attachment was exported again")
        #expect(second.log.contains("8 item(s) found, 1 to export"), "\(second.log.suffix(2_000))")
        standing = try await Self.discovery(harness, job: "evidence")
        #expect(standing["found"] as? Int == 8 && standing["exported"] as? Int == 8)
        #expect(harness.temporaryFiles().isEmpty)
    }

    @Test("gone from a complete scan: removed = keep leaves the file; delete removes the daemon's file, never one changed since")
    func removedKeepAndDelete() async throws {
        let harness = try await SandboxHarness(scenarioTOML: testScenario(extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: [], s1: ["d-2"], s2: ["d-3"]))
        try harness.writeConfig(jobs: discoveryJob("kept", directory: "keep") + discoveryJob("pruned", directory: "prune", extra: "removed = \"delete\""))
        let first = try await harness.runOnce()
        #expect(first.status == 0, "\(first.log.suffix(3_000))")
        for directory in ["keep", "prune"] {
            expectFile(harness, "\(directory)/tp1/_/_/d-1.pdf", attachment: "d-1")
            expectFile(harness, "\(directory)/tp1/m1/s1/d-2.pdf", attachment: "d-2")
            expectFile(harness, "\(directory)/tp1/m1/s2/d-3.pdf", attachment: "d-3")
        }
        // Someone edits the file of d-3 that the delete job wrote: it is not the daemon's any more.
        let edited = harness.outputRoot.appendingPathComponent("prune/tp1/m1/s2/d-3.pdf")
        try Data("edited by hand\n".utf8).write(to: edited)

        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: [], s1: [], s2: []))
        try await Self.trigger(harness, "kept", "pruned")
        let second = try await harness.runOnce()
        #expect(second.status == 0, "\(second.log.suffix(3_000))")
        expectFile(harness, "keep/tp1/m1/s1/d-2.pdf", attachment: "d-2")
        expectFile(harness, "keep/tp1/m1/s2/d-3.pdf", attachment: "d-3")
        expectFile(harness, "prune/tp1/_/_/d-1.pdf", attachment: "d-1")
        #expect(harness.sha256(of: "prune/tp1/m1/s1/d-2.pdf") == nil, "the daemon's file of a removed attachment is deleted")
        #expect(try String(contentsOf: edited, encoding: .utf8) == "edited by hand\n", "a file changed since is left alone")
        #expect(second.log.contains("left prune/tp1/m1/s2/d-3.pdf in place"), "\(second.log.suffix(3_000))")
        #expect(Self.kickoffs(harness.server.journal()).values.allSatisfy { $0 == 2 }, "each attachment once per job, never again")
        for job in ["kept", "pruned"] {
            let standing = try await Self.discovery(harness, job: job)
            #expect(standing["found"] as? Int == 1 && standing["removed"] as? Int == 2, "\(job): \(standing)")
        }
        // verify: the deleted file is not missing (the daemon removed it); the edited one is altered.
        let verify = try await ExecutableRunner.run(["verify", "--config", harness.configPath])
        #expect(!verify.standardOutput.contains("MISSING"), "\(verify.standardOutput)")
        #expect(verify.standardOutput.contains("ALTERED") && verify.standardOutput.contains("prune/tp1/m1/s2/d-3.pdf"), "\(verify.standardOutput)")
    }

    @Test("a list that fails transiently is read again after its wait; the scan resumes there instead of starting over")
    func faultedListResumes() async throws {
        let faults = """
            [[faults]]
            route = "workiva.list"
            resource = "s1"
            requests = [1, 2]
            kind = "status"
            status = 503
            retryAfter = 1
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: ["d-2"], s1: ["d-3"], s2: ["d-4"]))
        try harness.writeConfig(jobs: discoveryJob("evidence", directory: "ev"))
        let result = try await harness.runOnce()
        #expect(result.status == 0, "\(result.log.suffix(3_000))")
        for (path, attachment) in [("ev/tp1/_/_/d-1.pdf", "d-1"), ("ev/tp1/m1/_/d-2.pdf", "d-2"), ("ev/tp1/m1/s1/d-3.pdf", "d-3"), ("ev/tp1/m1/s2/d-4.pdf", "d-4")] {
            expectFile(harness, path, attachment: attachment)
        }
        let lists = harness.server.journal().filter { $0.method == "GET" && $0.listener == .api && !$0.path.contains("/operations/") }
        #expect(lists.filter { $0.path.hasSuffix("/samples/s1/attachments") }.count == 3, "two 503s, then the list")
        for path in ["/testForms/tf/testPhases", "/testPhases/tp1/matrices", "/matrices/m1/samples", "/samples/s2/attachments"] {
            #expect(lists.filter { $0.path.hasSuffix(path) }.count == 1, "\(path) was read once: the scan resumed")
        }
        #expect(Self.kickoffs(harness.server.journal()).values.allSatisfy { $0 == 1 })
    }

    @Test("a list that vanishes during the walk (404) ends the scan partial: what it found is exported, nothing is removed or deleted")
    func vanishedListRemovesNothing() async throws {
        // s1's attachment list answers 404 at the second scan, as if s1 was deleted after m1's
        // samples were listed: d-2 is missing from that scan, but its file must stay.
        let faults = """
            [[faults]]
            route = "workiva.list"
            resource = "s1"
            requests = [2]
            kind = "status"
            status = 404
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: [], s1: ["d-2"], s2: ["d-3"]))
        try harness.writeConfig(jobs: discoveryJob("pruned", directory: "prune", extra: "removed = \"delete\""))
        let first = try await harness.runOnce()
        #expect(first.status == 0, "\(first.log.suffix(3_000))")
        expectFile(harness, "prune/tp1/m1/s1/d-2.pdf", attachment: "d-2")

        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: [], s1: ["d-2"], s2: ["d-3", "d-4"]))
        try await Self.trigger(harness, "pruned")
        let second = try await harness.runOnce()
        #expect(second.status == 0, "\(second.log.suffix(3_000))")
        #expect(second.log.contains("answered 404"), "\(second.log.suffix(3_000))")
        #expect(second.log.contains("scan ended partial (1 list(s) vanished during the walk; nothing marked removed): 3 item(s) found, 1 to export"),
                "\(second.log.suffix(3_000))")
        expectFile(harness, "prune/tp1/m1/s2/d-4.pdf", attachment: "d-4")
        expectFile(harness, "prune/tp1/m1/s1/d-2.pdf", attachment: "d-2")
        var standing = try await Self.discovery(harness, job: "pruned")
        #expect(standing["removed"] as? Int == 0 && standing["exported"] as? Int == 4, "\(standing)")
        #expect(standing["found"] as? Int == 3, "found is the last complete scan's: \(standing)")

        // The next scan reads s1 again (the fault is over): complete, d-2 known, nothing exported again.
        try await Self.trigger(harness, "pruned")
        let third = try await harness.runOnce()
        #expect(third.status == 0, "\(third.log.suffix(3_000))")
        #expect(third.log.contains("scan complete: 4 item(s) found, 0 to export"), "\(third.log.suffix(3_000))")
        standing = try await Self.discovery(harness, job: "pruned")
        #expect(standing["found"] as? Int == 4 && standing["removed"] as? Int == 0, "\(standing)")
        #expect(Self.kickoffs(harness.server.journal()).values.allSatisfy { $0 == 1 }, "each attachment exported once")
    }

    @Test("a complete scan that lists nothing while files are known marks nothing removed and deletes nothing")
    func emptyListingWithholdsRemovals() async throws {
        let harness = try await SandboxHarness(scenarioTOML: testScenario(extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: [], s1: ["d-2"], s2: []))
        try harness.writeConfig(jobs: discoveryJob("pruned", directory: "prune", extra: "removed = \"delete\""))
        let first = try await harness.runOnce()
        #expect(first.status == 0, "\(first.log.suffix(3_000))")
        // The form answers with no phases at all (what a revoked permission can look like).
        await harness.server.setTestForms([SandboxTestForm(id: "tf", testPhases: [])])
        try await Self.trigger(harness, "pruned")
        let second = try await harness.runOnce()
        #expect(second.status == 0, "\(second.log.suffix(3_000))")
        #expect(second.log.contains("the scan found nothing while 2 item(s) were known"), "\(second.log.suffix(3_000))")
        expectFile(harness, "prune/tp1/_/_/d-1.pdf", attachment: "d-1")
        expectFile(harness, "prune/tp1/m1/s1/d-2.pdf", attachment: "d-2")
        let standing = try await Self.discovery(harness, job: "pruned")
        #expect(standing["removed"] as? Int == 0 && standing["exported"] as? Int == 2, "\(standing)")
    }

    @Test("narrowing a job's levels leaves the files of the levels no longer walked: out of scope is not removed")
    func narrowedWalkDeletesNothing() async throws {
        let harness = try await SandboxHarness(scenarioTOML: testScenario(extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: ["d-2"], s1: ["d-3"], s2: []))
        try harness.writeConfig(jobs: discoveryJob("pruned", directory: "prune", extra: "removed = \"delete\""))
        let first = try await harness.runOnce()
        #expect(first.status == 0, "\(first.log.suffix(3_000))")
        try harness.writeConfig(jobs: discoveryJob("pruned", directory: "prune", extra: "removed = \"delete\"\nlevels = [\"sample\"]"))
        try await Self.trigger(harness, "pruned")
        let second = try await harness.runOnce()
        #expect(second.status == 0, "\(second.log.suffix(3_000))")
        #expect(second.log.contains("scan complete: 1 item(s) found, 0 to export"), "\(second.log.suffix(3_000))")
        for (path, attachment) in [("prune/tp1/_/_/d-1.pdf", "d-1"), ("prune/tp1/m1/_/d-2.pdf", "d-2"), ("prune/tp1/m1/s1/d-3.pdf", "d-3")] {
            expectFile(harness, path, attachment: attachment)
        }
        let standing = try await Self.discovery(harness, job: "pruned")
        #expect(standing["removed"] as? Int == 0, "\(standing)")
    }

    @Test("kill -9 in the middle of a scan: the restart resumes it and ends with exactly the files and kickoffs of a clean run")
    func killedScanResumes() async throws {
        let faults = """
            [[faults]]
            route = "workiva.list"
            kind = "delay"
            seconds = 0.4
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1", "d-2"], matrix: ["d-3"], s1: ["d-4", "d-5", "d-6", "d-7"], s2: ["d-8"]))
        try harness.writeConfig(jobs: discoveryJob("evidence", directory: "ev"))
        let child = try ChildProcess(["once", "--log-target", "stderr", "--config", harness.configPath],
                                     environment: SandboxHarness.secretsEnvironment, logDirectory: harness.directory, name: "once-killed")
        // Bounded wait for the fourth list request: the scan is then half way.
        var listsSeen = 0
        for _ in 0..<600 where listsSeen < 4 {
            try await Task.sleep(for: .milliseconds(100))
            listsSeen = harness.server.journal().filter { $0.method == "GET" && $0.path.hasSuffix("s") && !$0.path.contains("/operations/") && $0.path.contains("/testForms/") }.count
        }
        #expect(listsSeen >= 4)
        child.send(SIGKILL)
        _ = await child.waitForExit(timeout: 30)
        #expect(Self.kickoffs(harness.server.journal()).isEmpty, "killed before the scan ended: nothing exported yet")

        let result = try await harness.runOnce()
        #expect(result.status == 0, "\(result.log.suffix(3_000))")
        #expect(result.log.contains("resuming the scan of run"), "\(result.log.suffix(3_000))")
        let files = [("ev/tp1/_/_/d-1.pdf", "d-1"), ("ev/tp1/_/_/d-2.pdf", "d-2"), ("ev/tp1/m1/_/d-3.pdf", "d-3"),
                     ("ev/tp1/m1/s1/d-4.pdf", "d-4"), ("ev/tp1/m1/s1/d-5.pdf", "d-5"), ("ev/tp1/m1/s1/d-6.pdf", "d-6"),
                     ("ev/tp1/m1/s1/d-7.pdf", "d-7"), ("ev/tp1/m1/s2/d-8.pdf", "d-8")]
        for (path, attachment) in files { expectFile(harness, path, attachment: attachment) }
        #expect(Self.kickoffs(harness.server.journal()) == Dictionary(uniqueKeysWithValues: files.map { ($0.1, 1) }))
        let phases = harness.server.journal().filter { $0.method == "GET" && $0.path.hasSuffix("/testForms/tf/testPhases") }
        #expect(phases.count == 1, "the phases list, recorded before the kill, was not read again")
        #expect(harness.temporaryFiles().isEmpty)
    }

    @Test("a scan killed mid-walk and resumed after its test_phases were widened ends partial: the phase it never read loses no file")
    func walkEditedMidScanDeletesNothing() async throws {
        // The first list under matrix m2 hangs until the process reading it is killed (tp2's own
        // lists are recorded by then); its second read answers.
        let faults = """
            [[faults]]
            route = "workiva.list"
            resource = "m2"
            requests = [1]
            kind = "hang"
            seconds = 30
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms([SandboxTestForm(id: "tf", testPhases: [
            SandboxTestPhase(id: "tp1", attachments: ["d-1"], matrices: [
                SandboxMatrix(id: "m1", attachments: ["d-2"], samples: [SandboxSample(id: "s1", attachments: ["d-3"])]),
            ]),
            SandboxTestPhase(id: "tp2", attachments: ["d-4"], matrices: [
                SandboxMatrix(id: "m2", attachments: [], samples: [SandboxSample(id: "s2", attachments: ["d-5"])]),
            ]),
        ])])
        let delete = "removed = \"delete\""
        try harness.writeConfig(jobs: discoveryJob("ev", directory: "ev", extra: delete + "\ntest_phases = [\"tp1\"]"))
        let first = try await harness.runOnce()
        #expect(first.status == 0, "\(first.log.suffix(3_000))")
        let tp1Files = [("ev/tp1/_/_/d-1.pdf", "d-1"), ("ev/tp1/m1/_/d-2.pdf", "d-2"), ("ev/tp1/m1/s1/d-3.pdf", "d-3")]
        for (path, attachment) in tp1Files { expectFile(harness, path, attachment: attachment) }

        // A scan of tp2 alone is killed while it reads m2's first list ...
        try harness.writeConfig(jobs: discoveryJob("ev", directory: "ev", extra: delete + "\ntest_phases = [\"tp2\"]"))
        try await Self.trigger(harness, "ev")
        let child = try ChildProcess(["once", "--log-target", "stderr", "--config", harness.configPath],
                                     environment: SandboxHarness.secretsEnvironment, logDirectory: harness.directory, name: "once-killed")
        let arrived = await harness.server.arrival { $0.method == "GET" && $0.path.contains("/matrices/m2/") }
        #expect(arrived != nil, "the scan reached m2's lists")
        child.send(SIGKILL)
        _ = await child.waitForExit(timeout: 30)

        // ... and resumed with every phase in the walk: it never read tp1's lists, so it may not
        // take tp1's attachments for gone.
        try harness.writeConfig(jobs: discoveryJob("ev", directory: "ev", extra: delete))
        let resumed = try await harness.runOnce()
        #expect(resumed.status == 0, "\(resumed.log.suffix(3_000))")
        #expect(resumed.log.contains("resuming the scan of run"), "\(resumed.log.suffix(3_000))")
        #expect(resumed.log.contains("scan ended partial (the job's walk was edited during the scan"), "\(resumed.log.suffix(3_000))")
        for (path, attachment) in tp1Files { expectFile(harness, path, attachment: attachment) }
        let tp2Files = [("ev/tp2/_/_/d-4.pdf", "d-4"), ("ev/tp2/m2/s2/d-5.pdf", "d-5")]
        for (path, attachment) in tp2Files { expectFile(harness, path, attachment: attachment) }
        #expect(try await Self.discovery(harness, job: "ev")["removed"] as? Int == 0)

        // The next scan walks everything under one scope: complete, nothing to export again.
        try await Self.trigger(harness, "ev")
        let next = try await harness.runOnce()
        #expect(next.status == 0, "\(next.log.suffix(3_000))")
        #expect(next.log.contains("scan complete: 5 item(s) found, 0 to export"), "\(next.log.suffix(3_000))")
        #expect(Self.kickoffs(harness.server.journal()) == Dictionary(uniqueKeysWithValues: (tp1Files + tp2Files).map { ($0.1, 1) }))
    }

    @Test("an @nextLink to another origin is refused: the scan fails, nothing is exported, no request leaves the API")
    func foreignNextLink() async throws {
        let faults = """
            [[faults]]
            route = "workiva.list"
            resource = "s1"
            kind = "foreignNextLink"
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: discoveryResources))
        defer { Task { await harness.shutdown() } }
        await harness.server.setTestForms(discoveryForm(phase: ["d-1"], matrix: [], s1: ["d-2", "d-3", "d-4", "d-5"], s2: []))
        try harness.writeConfig(jobs: discoveryJob("evidence", directory: "ev"))
        let result = try await harness.runOnce()
        #expect(result.status == 75, "a failed run: \(result.log.suffix(3_000))")
        #expect(result.log.contains("leaves the API origin"), "\(result.log.suffix(3_000))")
        let journal = harness.server.journal()
        #expect(journal.filter { $0.listener == .storage }.isEmpty, "the foreign link was never followed")
        #expect(Self.kickoffs(journal).isEmpty, "a refused scan exports nothing")
        let run = try #require(try await harness.lastRuns()["evidence"])
        #expect(run["phase"] as? String == "failed")
        let standing = try await Self.discovery(harness, job: "evidence")
        #expect(standing["last_complete_scan_at"] is NSNull && standing["exported"] as? Int == 0, "\(standing)")
        #expect(harness.sha256(of: "ev/tp1/_/_/d-1.pdf") == nil)
    }

    @Test("webadmit-exports: every matching template gets its run per slot; one added between scans is run from the next")
    func webAdmitTemplateAdded() async throws {
        let harness = try await SandboxHarness(scenarioTOML: testScenario())
        defer { Task { await harness.shutdown() } }
        await harness.server.setUnlistedExports([86447])
        try harness.writeConfig(jobs: """
            [[jobs]]
            name = "templates"
            source = "admissions"
            kind = "webadmit-exports"
            exports = ["Nightly*", "86447"]
            every = "1d"
            deadline = "2m"
            output = "adm/{export}/{run}.{ext}"
            """)
        let first = try await harness.runOnce()
        #expect(first.status == 0, "\(first.log.suffix(3_000))")
        func started(_ export: Int) -> Int {
            harness.server.journal().filter {
                $0.method == "POST" && $0.path.hasSuffix("/exports/\(export)/export_files") && ($0.status ?? 0) / 100 == 2
            }.count
        }
        #expect(started(86446) == 1 && started(86447) == 0 && started(86448) == 0)
        let listed = { (directory: String) -> [String] in
            (try? FileManager.default.contentsOfDirectory(atPath: harness.outputRoot.appendingPathComponent(directory).path)) ?? []
        }
        #expect(listed("adm/86446").count == 1)

        await harness.server.setUnlistedExports([])
        try await Self.trigger(harness, "templates")
        let second = try await harness.runOnce()
        #expect(second.status == 0, "\(second.log.suffix(3_000))")
        #expect(started(86446) == 2, "every slot runs every template, as a webadmit-export job would")
        #expect(started(86447) == 1, "the template added since is run")
        #expect(started(86448) == 0, "Empty Clipboard matches neither pattern")
        #expect(listed("adm/86446").count == 2 && listed("adm/86447").count == 1)
        let expected = harness.scenario.expectedWebAdmitContent(export: 86447)?.sha256Hex()
        let file = try #require(listed("adm/86447").first)
        #expect(expected != nil && harness.sha256(of: "adm/86447/\(file)") == expected)
        let standing = try await Self.discovery(harness, job: "templates")
        #expect(standing["found"] as? Int == 2 && standing["exported"] as? Int == 2, "\(standing)")
    }
}
