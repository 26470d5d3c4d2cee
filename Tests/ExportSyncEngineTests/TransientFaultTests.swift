import ExportSyncCore
import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

/// A transient fault is a wait, not a verdict: each export below meets a fault on one step and
/// still lands in the same run, with no request earlier than the server's pacing allows. The
/// sandbox journal's timestamps are the evidence; only lower bounds on gaps are checked.
@Suite("Transient faults cost a wait, never the export")
struct TransientFaultTests {
    /// Timestamps are kept to the millisecond; allow that much rounding in lower bounds.
    static let slack = 0.01

    /// A sandbox with `faults`, an attachment `att-<name>` per Workiva name, and a job `t-<name>`
    /// for each of those and for each WebAdMIT export.
    static func harness(faults: String, workiva names: [String], webAdmit exports: [String: Int]) async throws -> SandboxHarness {
        let resources = names.map { "[[workiva.resources]]\nid = \"att-\($0)\"\nkind = \"attachment\"\nsize = 20000\n" }.joined(separator: "\n")
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: faults, extraResources: resources))
        var jobs = names.map { attachmentJob("t-\($0)", attachment: "att-\($0)") }
        jobs += exports.sorted { $0.key < $1.key }.map { job("t-\($0.key)", "webadmit-export", "export = \($0.value)", source: "admissions") }
        do {
            try harness.writeConfig(jobs: jobs.joined())
        } catch {
            await harness.shutdown()
            throw error
        }
        return harness
    }

    /// Runs `exportsync once`; every job `t-<name>` must end in one `done` run (the faults cost
    /// no scheduled export), each Workiva file byte-exact.
    static func runOnceExpectingEveryRunDone(
        _ harness: SandboxHarness, workiva names: [String], webAdmit: [String]
    ) async throws -> (result: (status: Int32, log: String), runs: [String: [String: Any]]) {
        let result = try await harness.runOnce(timeout: 150)
        #expect(result.status == 0, "every run finishes despite the faults:\n\(result.log.suffix(4_000))")
        let runs = try await harness.lastRuns()
        for name in names + webAdmit {
            let run = try #require(runs["t-\(name)"], "t-\(name)")
            #expect(run["phase"] as? String == "done", "t-\(name): \(run)")
            #expect(run["id"] as? Int ?? 99 <= names.count + webAdmit.count, "one run per job: the fault cost no scheduled export")
        }
        for name in names {
            let content = try #require(harness.scenario.expectedWorkivaContent(resource: "att-\(name)", format: "pdf"))
            #expect(harness.sha256(of: "t-\(name).pdf") == content.sha256Hex(), "t-\(name)")
        }
        return (result, runs)
    }

    @Test("kickoff 429 with Retry-After, 503 without, a reset before the request took effect, a token endpoint down, WebAdMIT 429 and a lost create",
          .timeLimit(.minutes(3)))
    func transientFaultsAreRetriedAtTheServersPace() async throws {
        let names = ["k429", "k503", "kreset"]
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
        let harness = try await Self.harness(faults: faults, workiva: names, webAdmit: ["w429": 86446, "wlost": 86447])
        defer { Task { await harness.shutdown() } }

        let (result, runs) = try await Self.runOnceExpectingEveryRunDone(harness, workiva: names, webAdmit: ["w429", "wlost"])

        let journal = harness.server.journal()
        func posts(_ resource: String) -> [JournalEntry] {
            journal.filter { $0.method == "POST" && $0.path.hasSuffix("/attachments/\(resource)/export") }
        }
        // 429 + Retry-After: 2 → the second POST no earlier than 2 s after the answer.
        let k429 = posts("att-k429")
        #expect(k429.map(\.status) == [429, 202])
        if k429.count == 2, let answered = k429[0].answeredAt {
            #expect(k429[1].start.timeIntervalSince(answered) >= 2 - Self.slack, "sent early: \(k429[1].start.timeIntervalSince(answered)) s")
        }
        // 503 without Retry-After → jittered backoff (0.5–1 s, then 1–2 s), never at once.
        let k503 = posts("att-k503")
        #expect(k503.map(\.status) == [503, 503, 202])
        for (earlier, later) in zip(k503, k503.dropFirst()) {
            if let answered = earlier.answeredAt { #expect(later.start.timeIntervalSince(answered) >= 0.5 - Self.slack) }
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
            guard let answered = earlier.answeredAt else { continue }
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

    /// (A token endpoint down for 15 s and a Retry-After HTTP-date are checked to the
    /// millisecond on a stepped clock: TransientFaultClockTests.)
    @Test("replies lost after the request took effect: a Workiva kickoff is sent again and announced, a WebAdMIT create is adopted",
          .timeLimit(.minutes(3)))
    func lostRepliesAreRecovered() async throws {
        let names = ["kgone"]
        let faults = """
            [[faults]]
            route = "workiva.kickoff"
            resource = "att-kgone"
            requests = [1]
            kind = "resetAfterEffect"

            [[faults]]
            route = "webadmit.start"
            resource = "86446"
            requests = [1]
            kind = "resetAfterEffect"
            """
        let harness = try await Self.harness(faults: faults, workiva: names, webAdmit: ["wgone": 86446])
        defer { Task { await harness.shutdown() } }

        let (result, runs) = try await Self.runOnceExpectingEveryRunDone(harness, workiva: names, webAdmit: ["wgone"])
        let journal = harness.server.journal()

        let kickoffs = journal.filter { $0.method == "POST" && $0.path.hasSuffix("/export") && !$0.path.contains("/api/") }

        // A Workiva kickoff that took effect but whose reply was lost: Workiva has no listing
        // of operations, so it is sent again and the possible duplicate announced.
        let gone = kickoffs.filter { $0.path.hasSuffix("/attachments/att-kgone/export") }
        #expect(gone.map(\.status) == [nil, 202])
        #expect(await harness.server.operationCount(resource: "att-kgone") == 2, "the lost reply's operation exists too")
        #expect(runs["t-kgone"]?["possible_duplicate"] as? Bool == true)
        #expect(result.log.contains("possible_duplicate=true"))

        // A WebAdMIT create that took effect but whose reply was lost is adopted from the
        // identity's listing: one POST in all, and the export file it made is the one fetched.
        let creates = journal.filter { $0.method == "POST" && $0.path.contains("/exports/86446/export_files") }
        #expect(creates.map(\.status) == [nil], "posted again instead of adopting: \(creates.map(\.status))")
        let listings = journal.filter { $0.method == "GET" && $0.path.hasSuffix("/user_identities/1001/export_files") }
        #expect(listings.count == 1)
        #expect(journal.contains { $0.method == "GET" && $0.path.contains("/exports/86446/export_files/500") && $0.status == 200 },
                "the adopted export file (id 500, the sandbox's first) is polled")
        #expect(harness.sha256(of: "t-wgone.csv") != nil, "the adopted export's file was written")
    }

    /// A wait the daemon persists before it waits, and how a test sees it committed.
    enum Wait: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// A kickoff answered 503 with `Retry-After: 6` (the run's next attempt time).
        case kickoffRetry
        /// A status poll answered 429 with `Retry-After: 6` (the operation's next poll time).
        case pollRetry
        /// The operation's own pacing: each poll answered `started` with `Retry-After: 6`.
        case pollPacing
        /// A download answered 503 with `Retry-After: 6` (the run's next attempt time).
        case downloadRetry

        var testDescription: String { rawValue }

        var faults: String {
            switch self {
            case .kickoffRetry: Self.fault("workiva.kickoff")
            case .pollRetry: Self.fault("workiva.poll", status: 429)
            case .pollPacing: ""
            case .downloadRetry: Self.fault("workiva.download")
            }
        }

        static func fault(_ route: String, status: Int = 503) -> String {
            "[[faults]]\nroute = \"\(route)\"\nresource = \"att-wait\"\nrequests = [1]\nkind = \"status\"\nstatus = \(status)\nretryAfter = 6\n"
        }

        /// The requests the wait separates: the one answered with the wait, and the next.
        func isWaitedRequest(_ entry: JournalEntry) -> Bool {
            switch self {
            case .kickoffRetry: entry.method == "POST" && entry.path.hasSuffix("/attachments/att-wait/export")
            case .pollRetry, .pollPacing: entry.method == "GET" && entry.path.contains("/operations/")
            case .downloadRetry: entry.method == "GET" && entry.path.hasSuffix("/content")
            }
        }

        /// The answer that starts the wait.
        func startsTheWait(_ entry: JournalEntry) -> Bool {
            switch self {
            case .kickoffRetry, .downloadRetry: entry.status == 503
            case .pollRetry: entry.status == 429
            case .pollPacing: entry.status == 200
            }
        }
    }

    @Test("kill -9 during each kind of persisted wait: the restarted daemon does not send early",
          .timeLimit(.minutes(2)), arguments: Wait.allCases)
    func killDuringAWaitNeverSendsEarly(wait: Wait) async throws {
        // Polls pace themselves at 6 s only in the pacing case; elsewhere the first poll completes.
        let timeline = wait == .pollPacing ? "{ outcome = \"completed\", polls = 2, seconds = 0, kickoffRetryAfter = 1, retryAfter = [6] }"
            : "{ outcome = \"completed\", polls = 0, seconds = 0, kickoffRetryAfter = 1, retryAfter = [1] }"
        let resource = "[[workiva.resources]]\nid = \"att-wait\"\nkind = \"attachment\"\nsize = 20000\ntimeline = \(timeline)\n"
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: wait.faults, extraResources: resource))
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: attachmentJob("wait", attachment: "att-wait"))
        let first = try ChildProcess(["run", "--log-target", "stderr", "--config", harness.configPath],
                                     environment: SandboxHarness.secretsEnvironment, logDirectory: harness.directory, name: "before-kill")
        var waitStart: JournalEntry?
        while waitStart == nil {
            waitStart = harness.server.journal().first { wait.isWaitedRequest($0) && wait.startsTheWait($0) && $0.answeredAt != nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        let waited = try #require(waitStart)
        let answered = try #require(waited.answeredAt)
        // Kill once the wait is committed: the state database holds the next attempt (or poll)
        // time, at least 4 s after the answer (whole seconds in `status`).
        while try await !Self.waitIsCommitted(harness, after: answered) {
            try await Task.sleep(for: .milliseconds(20))
        }
        first.send(SIGKILL)
        _ = await first.waitForExit(timeout: 10)

        let result = try await harness.runOnce(timeout: 90)
        #expect(result.status == 0, "\(result.log.suffix(3_000))")
        let requests = harness.server.journal().filter(wait.isWaitedRequest)
        let index = try #require(requests.firstIndex { $0.id == waited.id })
        let next = try #require(requests.dropFirst(index + 1).first, "no request after the wait: \(requests.map(\.status))")
        #expect(next.start.timeIntervalSince(answered) >= 6 - Self.slack,
                "the restart sent \(next.start.timeIntervalSince(answered)) s after an answer that asked for 6 s")
        let runs = try await harness.lastRuns()
        #expect(runs["wait"]?["phase"] as? String == "done", "\(runs)")
        let content = try #require(harness.scenario.expectedWorkivaContent(resource: "att-wait", format: "pdf"))
        #expect(harness.sha256(of: "wait.pdf") == content.sha256Hex())
    }

    /// Whether `status` shows a next attempt or poll time at least 4 s after `answered`.
    static func waitIsCommitted(_ harness: SandboxHarness, after answered: Date) async throws -> Bool {
        let status = try await harness.status()
        let formatter = ISO8601DateFormatter()
        var times: [Date] = []
        for job in status["jobs"] as? [[String: Any]] ?? [] {
            if let run = job["last_run"] as? [String: Any], let text = run["next_attempt_at"] as? String, let date = formatter.date(from: text) {
                times.append(date)
            }
        }
        for operation in status["pending_operations"] as? [[String: Any]] ?? [] {
            if let text = operation["next_poll_at"] as? String, let date = formatter.date(from: text) { times.append(date) }
        }
        return times.contains { $0.timeIntervalSince(answered) >= 4 }
    }
}
