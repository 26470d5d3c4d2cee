import ExportSyncCore
import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

/// A transient fault is a wait, not a verdict: each export below meets a fault on one step and
/// still lands in the same run, with no request earlier than the server's pacing allows. The
/// sandbox journal's timestamps are the evidence; only lower bounds on gaps are checked.
@Suite("Transient faults cost a wait, never the export", .serialized)
struct TransientFaultTests {
    /// Timestamps are kept to the millisecond; allow that much rounding in lower bounds.
    static let slack = 0.01

    @Test("kickoff 429 with Retry-After, 503 without, a reset before the request took effect, a token endpoint down, WebAdMIT 429 and a lost create",
          .timeLimit(.minutes(3)))
    func transientFaultsAreRetriedAtTheServersPace() async throws {
        let names = ["k429", "k503", "kreset"]
        let resources = names.map { "[[workiva.resources]]\nid = \"att-\($0)\"\nkind = \"attachment\"\nsize = 20000\n" }.joined(separator: "\n")
        let faults = """
            [[faults]]
            route = "workiva.kickoff"
            resource = "att-k429"
            requests = [1]
            kind = "status"
            status = 429
            retryAfter = 2

            [[faults]]
            route = "workiva.kickoff"
            resource = "att-k503"
            requests = [1, 2]
            kind = "status"
            status = 503

            [[faults]]
            route = "workiva.kickoff"
            resource = "att-kreset"
            requests = [1]
            kind = "reset"

            [[faults]]
            route = "workiva.token"
            requests = [1, 2]
            kind = "status"
            status = 503

            [[faults]]
            route = "webadmit.status"
            resource = "86446"
            requests = [1]
            kind = "status"
            status = 429
            retryAfter = 3

            [[faults]]
            route = "webadmit.start"
            resource = "86447"
            requests = [1]
            kind = "reset"
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: resources))
        defer { Task { await harness.shutdown() } }
        let locator = "test_form = \"tf\"\ntest_phase = \"tp\"\nmatrix = \"mx\"\nsample = \"sm\"\n"
        var jobs = names.map { job("t-\($0)", "sample-attachment-export", locator + "attachment = \"att-\($0)\"") }
        jobs.append(job("t-w429", "webadmit-export", "export = 86446", source: "admissions"))
        jobs.append(job("t-wlost", "webadmit-export", "export = 86447", source: "admissions"))
        try harness.writeConfig(jobs: jobs.joined())

        let result = try await harness.runOnce(timeout: 150)
        #expect(result.status == 0, "every run finishes despite the faults:\n\(result.log.suffix(4_000))")
        let runs = try await harness.lastRuns()
        for name in names + ["w429", "wlost"] {
            let run = try #require(runs["t-\(name)"], "t-\(name)")
            #expect(run["phase"] as? String == "done", "t-\(name): \(run)")
            #expect(run["id"] as? Int ?? 99 <= names.count + 2, "one run per job: the fault cost no scheduled export")
        }
        for name in names {
            let content = try #require(harness.scenario.expectedWorkivaContent(resource: "att-\(name)", format: "pdf"))
            #expect(harness.sha256(of: "t-\(name).pdf") == content.sha256Hex(), "t-\(name)")
        }

        let journal = harness.server.journal()
        func posts(_ resource: String) -> [JournalEntry] {
            journal.filter { $0.method == "POST" && $0.path.hasSuffix("/attachments/\(resource)/export") }
        }
        // 429 + Retry-After: 2 → the second POST no earlier than 2 s after the answer.
        let k429 = posts("att-k429")
        #expect(k429.map(\.status) == [429, 202])
        if k429.count == 2, let answered = k429[0].end {
            #expect(k429[1].start.timeIntervalSince(answered) >= 2 - Self.slack, "sent early: \(k429[1].start.timeIntervalSince(answered)) s")
        }
        // 503 without Retry-After → jittered backoff (0.5–1 s, then 1–2 s), never at once.
        let k503 = posts("att-k503")
        #expect(k503.map(\.status) == [503, 503, 202])
        for (earlier, later) in zip(k503, k503.dropFirst()) {
            if let answered = earlier.end { #expect(later.start.timeIntervalSince(answered) >= 0.5 - Self.slack) }
        }
        #expect(runs["t-k503"]?["possible_duplicate"] as? Bool == false, "an answered 503 did not take effect")
        // A reset POST may have taken effect: Workiva cannot be asked, so it is sent again, announced.
        #expect(posts("att-kreset").map(\.status) == [nil, 202])
        #expect(runs["t-kreset"]?["possible_duplicate"] as? Bool == true)
        #expect(result.log.contains("possible_duplicate=true"), "the repeat is announced in the log metadata")
        // The token endpoint's 503s delayed the first kickoffs; none was sent without a token.
        #expect(journal.filter { $0.path.hasSuffix("/oauth2/token") }.prefix(2).allSatisfy { $0.status == 503 })

        // WebAdMIT 429 + Retry-After: 3 → the next status call no earlier than 3 s later, and
        // status calls at least poll_interval (5 s by default) apart otherwise.
        let statuses = journal.filter { $0.method == "GET" && $0.path.contains("/exports/86446/export_files/") }
        #expect(statuses.first?.status == 429)
        for (earlier, later) in zip(statuses, statuses.dropFirst()) {
            guard let answered = earlier.end else { continue }
            let floor: Double = earlier.status == 429 ? 3 : 5
            #expect(later.start.timeIntervalSince(answered) >= floor - 1 - Self.slack,
                    "status polls too close: \(later.start.timeIntervalSince(answered)) s after a \(earlier.status ?? 0)")
        }
        // The Available answer's download_url is used at once: the sandbox finishes this export
        // at its second answered status call, so a status fetched again before the download
        // would make a fourth call.
        #expect(statuses.map(\.status) == [429, 200, 200], "\(statuses.map(\.status))")

        // A create whose reply was lost is reconciled by listing, not posted blindly.
        let lostPosts = journal.filter { $0.method == "POST" && $0.path.contains("/exports/86447/export_files") }
        #expect(lostPosts.map(\.status) == [nil, 201] || lostPosts.map(\.status) == [nil, 200], "\(lostPosts.map(\.status))")
        let listings = journal.filter { $0.method == "GET" && $0.path.hasSuffix("/user_identities/1001/export_files") }
        #expect(listings.count == 1, "the identity's export files were listed before posting again")
        if let listed = listings.first, lostPosts.count == 2 { #expect(listed.start < lostPosts[1].start) }
    }

    @Test("kill -9 while a run waits out a Retry-After: the restarted daemon does not send early", .timeLimit(.minutes(2)))
    func killDuringAWaitNeverSendsEarly() async throws {
        let faults = """
            [[faults]]
            route = "workiva.kickoff"
            resource = "att-a"
            requests = [1]
            kind = "status"
            status = 503
            retryAfter = 6
            """
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults))
        defer { Task { await harness.shutdown() } }
        let locator = "test_form = \"tf\"\ntest_phase = \"tp\"\nmatrix = \"mx\"\nsample = \"sm\"\n"
        try harness.writeConfig(jobs: job("wait", "sample-attachment-export", locator + "attachment = \"att-a\""))
        let first = try ChildProcess(["run", "--log-target", "stderr", "--config", harness.configPath],
                                     environment: SandboxHarness.secretsEnvironment, logDirectory: harness.directory, name: "before-kill")
        var refused: JournalEntry?
        while refused == nil {
            refused = harness.server.journal().first { $0.method == "POST" && $0.status == 503 }
            try await Task.sleep(for: .milliseconds(50))
        }
        // Kill once the wait is committed (the run is back in `due` with its next attempt time).
        while try await (harness.lastRuns()["wait"]?["next_attempt_at"] as? String) == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        first.send(SIGKILL)
        _ = await first.waitForExit(timeout: 10)

        let result = try await harness.runOnce(timeout: 90)
        #expect(result.status == 0, "\(result.log.suffix(3_000))")
        let posts = harness.server.journal().filter { $0.method == "POST" && $0.path.hasSuffix("/attachments/att-a/export") }
        #expect(posts.map(\.status) == [503, 202])
        if posts.count == 2, let answered = posts[0].end {
            #expect(posts[1].start.timeIntervalSince(answered) >= 6 - Self.slack,
                    "the restart sent the kickoff \(posts[1].start.timeIntervalSince(answered)) s after the 503, before its Retry-After: 6")
        }
        let runs = try await harness.lastRuns()
        #expect(runs["wait"]?["phase"] as? String == "done")
    }
}
