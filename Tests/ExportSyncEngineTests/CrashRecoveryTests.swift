import ExportSyncCore
import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

@Suite("Crash recovery: kill -9 aimed at each phase", .serialized)
struct CrashRecoveryTests {
    /// The seed used unless `EXPORTSYNC_CRASH_SEED` gives another: every run of the suite kills
    /// at the same (seeded) moments relative to what the daemon is doing.
    static let defaultSeed: UInt64 = 20_261_202

    /// What a kill waits for before it lands. The sandbox journal shows each of these as it
    /// happens, so a kill is aimed, not hoped for.
    enum KillTarget: String, CaseIterable {
        /// A kickoff POST sent and not yet answered (kickoffs are delayed 0.2 s by the scenario).
        case kickoffInFlight
        /// A poll answered `started` moments ago: its run waits for the next poll.
        case pollWait
        /// A download requested and not finished (storage answers after 0.2 s, then streams the
        /// body), or a temp file being written, made durable and renamed.
        case midDownload
        /// A seeded moment after start-up (recovery, job sync, whatever runs then).
        case anytime

        /// Whether the phase is under way now for the daemon started at `since` (what an earlier,
        /// killed daemon left in the journal does not count).
        func isHappening(_ all: [JournalEntry], since: Date, now: Date, temporaryFiles: () -> [String]) -> Bool {
            let journal = all.filter { $0.start >= since }
            switch self {
            case .anytime:
                return true
            case .kickoffInFlight:
                return journal.contains {
                    $0.method == "POST" && ($0.path.hasSuffix("/export") || $0.path.hasSuffix("/export_files")) && $0.status == nil && $0.end == nil
                }
            case .pollWait:
                return journal.contains { entry in
                    guard entry.method == "GET", entry.path.contains("/operations/"), entry.status == 200, let end = entry.end else { return false }
                    return now.timeIntervalSince(end) < 0.3
                }
            case .midDownload:
                return journal.contains { $0.listener == .storage && $0.method == "GET" && $0.end == nil }
                    || !temporaryFiles().isEmpty
            }
        }
    }

    /// 60 runs (50 Workiva exports of different sizes, 10 WebAdMIT exports), the daemon killed
    /// with SIGKILL 22 times, each kill aimed in turn at one ``KillTarget`` (the first moment it
    /// is seen, or a seeded moment for ``KillTarget/anytime``), restarted each time, and finally finished with `exportsync once`. Afterwards
    /// every file exists with the sandbox's bytes, no temp file is left, every run is done, and
    /// every kickoff beyond the first for a job was announced in the log (`possible_duplicate`).
    @Test("every file right, nothing lost, duplicates only where announced", .timeLimit(.minutes(5)))
    func killAndRestart() async throws {
        let seed = ProcessInfo.processInfo.environment["EXPORTSYNC_CRASH_SEED"].flatMap(UInt64.init) ?? Self.defaultSeed
        print("crash test seed: \(seed) (rerun with EXPORTSYNC_CRASH_SEED=\(seed))")
        var random = SeededRandomNumberGenerator(seed: seed)

        let workivaCount = 50, webadmitCount = 10
        var resources = ""
        for index in 0..<workivaCount {
            // Mostly small files, some of 2–4 MB so that kills land in the middle of downloads.
            let size = index % 7 == 0 ? 2_000_000 + index * 30_000 : 20_000 + index * 1_000
            resources += "[[workiva.resources]]\nid = \"att-\(index)\"\nkind = \"attachment\"\nsize = \(size)\n"
            resources += "timeline = { outcome = \"completed\", polls = \(1 + index % 3), seconds = 0, kickoffRetryAfter = 1, retryAfter = [1] }\n\n"
        }
        var exports = ""
        for index in 0..<webadmitCount {
            exports += "[[webadmit.exports]]\nid = \(90_000 + index)\nidentityId = 1001\nname = \"Crash Export \(index)\"\nformat = \"Comma-Separated Values\"\nsize = \(40_000 + index * 5_000)\n\n"
        }
        // Every kickoff and every storage GET takes 0.2 s to answer, so a kill can land while
        // one is in flight.
        let slowKickoffs = "[[faults]]\nroute = \"workiva.kickoff\"\nkind = \"delay\"\nseconds = 0.2\n\n"
            + "[[faults]]\nroute = \"storage.get\"\nkind = \"delay\"\nseconds = 0.2\n"
        let harness = try await SandboxHarness(scenarioTOML: testScenario(faults: slowKickoffs, extraResources: resources + exports))
        defer { Task { await harness.shutdown() } }
        // Every other Workiva job writes a checksum file: after the kills it is complete and right.
        var jobs = (0..<workivaCount).map {
            job("crash-w\($0)", "sample-attachment-export", sampleLocator + "attachment = \"att-\($0)\"\nchecksum_files = \($0 % 2 == 0)")
        }
        jobs += (0..<webadmitCount).map { job("crash-a\($0)", "webadmit-export", "export = \(90_000 + $0)", source: "admissions") }
        try harness.writeConfig(jobs: jobs.joined(), logLevel: "notice")

        var logs: [String] = []
        var kills = 0
        var landed: [KillTarget: Int] = [:]
        let killTarget = 22
        while kills < killTarget {
            let target = KillTarget.allCases[kills % KillTarget.allCases.count]
            let spawnedAt = Date()
            let daemon = try ChildProcess(["run", "--log-target", "stderr", "--config", harness.configPath],
                                          environment: SandboxHarness.secretsEnvironment, logDirectory: harness.directory, name: "run-\(kills)")
            // Recovery has swept the last daemon's temp files once start-up is logged.
            if target != .anytime { _ = await daemon.waitForLog("exportsync started", timeout: 20) }
            // `anytime` kills after a seeded head start; the others as soon as their phase is seen
            // (waiting at most 20 s in the first round, 3 s later: a phase that never comes, its work all done, is a miss).
            if target == .anytime {
                let headStart = 0.15 + Double(random.next() % 1_400) / 1_000
                try await Task.sleep(for: .milliseconds(Int64(headStart * 1_000)))
            }
            // The first round has work in every phase: wait as long as a loaded machine needs.
            // Later rounds may find a phase's work all done, so they give up sooner.
            let giveUp = Date().addingTimeInterval(kills < KillTarget.allCases.count ? 20 : 3)
            var hit = false
            while Date() < giveUp {
                if target.isHappening(harness.server.journal(), since: spawnedAt, now: Date(), temporaryFiles: harness.temporaryFiles) {
                    hit = true
                    break
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            daemon.send(SIGKILL)
            let status = await daemon.waitForExit(timeout: 10)
            #expect(status != nil, "a killed daemon must exit")
            if hit { landed[target, default: 0] += 1 }
            logs.append(daemon.standardError)
            kills += 1
        }
        print("kills landed: " + KillTarget.allCases.map { "\($0.rawValue) \(landed[$0] ?? 0)" }.joined(separator: ", "))
        for target in KillTarget.allCases {
            #expect((landed[target] ?? 0) >= 1, "no kill landed during \(target.rawValue) (seed \(seed))")
        }
        print("daemon killed \(kills) times")
        let final = try await harness.runOnce(timeout: 180)
        logs.append(final.log)
        #expect(final.status == 0, "the final run must finish every job:\n\(final.log.suffix(3_000))")

        // Every expected file, byte for byte; no temp files.
        for index in 0..<workivaCount {
            let content = try #require(harness.scenario.expectedWorkivaContent(resource: "att-\(index)", format: "pdf"))
            #expect(harness.sha256(of: "crash-w\(index).pdf") == content.sha256Hex(), "crash-w\(index)")
        }
        for index in 0..<webadmitCount {
            let content = try #require(harness.scenario.expectedWebAdmitContent(export: 90_000 + index))
            #expect(harness.sha256(of: "crash-a\(index).csv") == content.sha256Hex(), "crash-a\(index)")
        }
        #expect(harness.temporaryFiles().isEmpty, "left behind: \(harness.temporaryFiles())")
        for index in 0..<workivaCount {
            let name = "crash-w\(index).pdf"
            let sidecar = harness.outputRoot.appendingPathComponent(ChecksumFile.path(for: name))
            if index % 2 == 0 {
                let sha = try #require(harness.sha256(of: name))
                #expect((try? String(contentsOf: sidecar, encoding: .utf8)) == ChecksumFile.content(sha256: sha, fileName: name), "\(name)")
            } else {
                #expect(!FileManager.default.fileExists(atPath: sidecar.path), "\(name) has a checksum file")
            }
        }
        let verify = try await ExecutableRunner.run(["verify", "--config", harness.configPath])
        #expect(verify.status == 0, "verify after the kills:\n\(verify.standardOutput)\(verify.standardError)")

        // No run lost: exactly one run per job, done.
        let runs = try await harness.lastRuns()
        #expect(runs.count == workivaCount + webadmitCount)
        #expect(runs.values.allSatisfy { $0["phase"] as? String == "done" && $0["id"] != nil })
        #expect(runs.values.allSatisfy { ($0["id"] as? Int ?? 0) <= workivaCount + webadmitCount }, "one run per job")

        // Duplicate kickoffs only where the log announced them.
        let allLogs = logs.joined(separator: "\n")
        let journal = harness.server.journal()
        var unannounced: [String] = []
        var duplicates = 0
        for index in 0..<workivaCount {
            let accepted = journal.filter { $0.method == "POST" && $0.path.hasSuffix("/attachments/att-\(index)/export") && $0.status == 202 }.count
            let announced = Self.possibleDuplicateLines(in: allLogs, job: "crash-w\(index)")
            duplicates += max(0, accepted - 1)
            if accepted > 1 + announced { unannounced.append("crash-w\(index): \(accepted) kickoffs, \(announced) announced") }
            #expect(accepted >= 1)
        }
        for index in 0..<webadmitCount {
            // WebAdMIT answers a repeated start with the same export file id while it runs.
            let started = journal.filter { $0.method == "POST" && $0.path.contains("/exports/\(90_000 + index)/export_files") && ($0.status ?? 0) / 100 == 2 }.count
            let announced = Self.possibleDuplicateLines(in: allLogs, job: "crash-a\(index)")
            if started > 1 + announced { unannounced.append("crash-a\(index): \(started) starts, \(announced) announced") }
        }
        print("duplicate kickoffs (all announced): \(duplicates)")
        #expect(unannounced.isEmpty, "\(unannounced)")
    }

    /// Log lines whose metadata says `possible_duplicate=true` for `job` (metadata, not wording).
    static func possibleDuplicateLines(in log: String, job: String) -> Int {
        log.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ")
            return fields.contains("possible_duplicate=true") && fields.contains(Substring("job=\(job)"))
        }.count
    }
}
