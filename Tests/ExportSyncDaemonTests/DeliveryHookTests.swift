import Crypto
import ExportSyncCore
import ExportSyncEngine
import ExportSyncSandbox
import ExportSyncStore
import Foundation
import Glibc
import Logging
import Testing
import TestSupport

/// Delivery hooks (`on_file`) run by the daemon: real programs, their environment and output,
/// retries on the stepped clock, the timeout, and a crash between the file and its hook.
@Suite("Delivery hooks", .timeLimit(.minutes(3)))
struct DeliveryHookTests {
    /// Writes an executable shell script into the fixture's directory and returns its path.
    static func script(_ fixture: DaemonFixture, name: String, _ body: String) throws -> String {
        let path = fixture.directory.appendingPathComponent(name).path
        try ExecutableScript.write(body, to: path)
        return path
    }

    /// A TOML array of strings.
    static func list(_ items: [String]) -> String {
        "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }

    /// Whether process `pid` runs (a zombie waiting for its reaper does not).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    static func hookSummary(_ daemon: InProcessDaemon, job: String = "evidence-pdf") async throws -> HookSummary? {
        try await daemon.store.statusSnapshot().jobs.first { $0.name == job }?.hooks
    }

    @Test("the hook gets the file's variables and only a few of the daemon's; what it prints reaches the log with the job's fields")
    func environmentAndOutput() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d") + "on_file = [\"/usr/bin/env\"]\n"])
            let daemon = try await InProcessDaemon.start(fixture)
            let bytes = try #require(fixture.output(DaemonJobs.evidencePDFPath))
            let summary = try #require(try await Self.hookSummary(daemon))
            #expect(summary.pending == 0 && summary.failed == 0)
            #expect(summary.lastFinished?.state == .succeeded)
            #expect(summary.lastFinished?.attempts == 1)

            let lines = daemon.log.with("hook_stream", "stdout")
            var variables: [String: String] = [:]
            for line in lines {
                let text = line.message.hasPrefix("hook: ") ? String(line.message.dropFirst(6)) : line.message
                guard let equals = text.firstIndex(of: "=") else { continue }
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
                #expect(line.metadata["job"] == "evidence-pdf")
                #expect(line.metadata["path"] == DaemonJobs.evidencePDFPath)
                #expect(line.metadata["run_id"] != nil)
                #expect(line.level == .info)
            }
            let root = fixture.outputDirectory.path
            #expect(variables["EXPORTSYNC_FILE"] == root + "/" + DaemonJobs.evidencePDFPath)
            #expect(variables["EXPORTSYNC_RELATIVE_PATH"] == DaemonJobs.evidencePDFPath)
            #expect(variables["EXPORTSYNC_SHA256"] == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
            #expect(variables["EXPORTSYNC_SIZE"] == "\(bytes.count)")
            #expect(variables["EXPORTSYNC_JOB"] == "evidence-pdf")
            #expect(variables["EXPORTSYNC_SOURCE"] == "workiva")
            let runID = try #require(try await daemon.store.statusSnapshot().jobs.first { $0.name == "evidence-pdf" }?.lastRun?.id)
            #expect(variables["EXPORTSYNC_RUN"] == "\(runID)")
            // Nothing else of the test process's environment (which has plenty) got through.
            let allowed = Set(HookEnvironment.inherited)
            #expect(ProcessInfo.processInfo.environment.keys.contains { !allowed.contains($0) && !$0.hasPrefix("EXPORTSYNC_") })
            let leaked = variables.keys.filter { !allowed.contains($0) && !$0.hasPrefix("EXPORTSYNC_") }
            #expect(leaked.isEmpty, "variables the hook should not have: \(leaked.sorted())")
            try await daemon.stop()
        }
    }

    @Test("a failing hook runs again 30 s later, then 60 s after that; its stderr is logged as a warning; the third attempt takes it")
    func retriedWithBackoff() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let counter = fixture.directory.appendingPathComponent("attempts").path
            let hook = try Self.script(fixture, name: "flaky-hook", """
                n=$(cat "$1" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$1"
                [ "$n" -ge 3 ] && exit 0
                echo "not yet ($n) $2" >&2
                exit 4
                """)
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d") + "on_file = \(Self.list([hook, counter, "two words"]))\n"])
            let attempts = { (try? String(contentsOfFile: counter, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) }
            let daemon = try await InProcessDaemon.start(fixture)
            #expect(attempts() == "1")
            #expect(try await Self.hookSummary(daemon)?.pending == 1)
            let warnings = daemon.log.with("hook_stream", "stderr")
            #expect(warnings.map(\.message) == ["hook: not yet (1) two words"], "arguments arrive as written, no shell splitting")
            #expect(warnings.allSatisfy { $0.level == .warning && $0.metadata["job"] == "evidence-pdf" })

            try await daemon.advance(by: 29.999)
            #expect(attempts() == "1", "tried again before its 30 s wait")
            try await daemon.advance(by: 0.001)
            #expect(attempts() == "2")
            try await daemon.advance(by: 59.999)
            #expect(attempts() == "2", "tried again before its 60 s wait")
            try await daemon.advance(by: 0.001)
            #expect(attempts() == "3")
            let summary = try #require(try await Self.hookSummary(daemon))
            #expect(summary.pending == 0 && summary.failed == 0)
            #expect(summary.lastFinished?.state == .succeeded)
            #expect(summary.lastFinished?.attempts == 3)
            try await daemon.advance(by: 3_600)
            #expect(attempts() == "3", "a hook that succeeded runs no more")
            try await daemon.stop()
        }
    }

    @Test("a hook printing a 200 KiB line without a newline is read to its end: it succeeds, the line is logged cut short")
    func longLine() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let hook = try Self.script(fixture, name: "chatty-hook", """
                head -c 204800 /dev/zero | tr '\\0' x >&2
                printf 'progress 1\\rprogress 2\\r\\n'
                echo done
                """)
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d") + "on_file = \(Self.list([hook]))\nhook_timeout = \"1h\"\n"])
            let daemon = try await InProcessDaemon.start(fixture)
            let summary = try #require(try await Self.hookSummary(daemon))
            #expect(summary.lastFinished?.state == .succeeded)
            #expect(daemon.log.with("hook_stream", "stdout").map(\.message) == ["hook: progress 1", "hook: progress 2", "hook: done"])
            let stderr = daemon.log.with("hook_stream", "stderr").map(\.message)
            #expect(stderr.count == 1)
            #expect(stderr.first.map { $0.hasPrefix("hook: xxxx") && $0.hasSuffix("…") && $0.count < 2_100 } == true)
            try await daemon.stop()
        }
    }

    @Test("a hook whose job left the configuration waits for it, uncounted; back without on_file, it is cancelled")
    func jobGone() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let hook = try Self.script(fixture, name: "broken-hook", "exit 2")
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d") + "on_file = \(Self.list([hook]))\n"])
            let daemon = try await InProcessDaemon.start(fixture)
            #expect(try await Self.hookSummary(daemon)?.pending == 1)
            // The job is renamed: its file's pending hook neither runs nor is cancelled.
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(name: "evidence-renamed", every: "1d")])
            try await daemon.reload()
            try await daemon.advance(by: 30)
            var summary = try #require(try await Self.hookSummary(daemon))
            #expect(summary.pending == 1 && summary.failed == 0 && summary.lastFinished == nil)
            #expect(daemon.log.all.contains { $0.message.contains("waits: job evidence-pdf is not in the configuration") })
            // Back, without on_file: now it is cancelled.
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d")])
            try await daemon.reload()
            try await daemon.advance(by: 3_600)
            summary = try #require(try await Self.hookSummary(daemon))
            #expect(summary.pending == 0)
            #expect(summary.lastFinished?.state == .cancelled)
            try await daemon.stop()
        }
    }

    @Test("a hook that fails every attempt is reported failed; the delivered file stays, byte for byte")
    func givesUp() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let hook = try Self.script(fixture, name: "broken-hook", "exit 2")
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d") + "on_file = \(Self.list([hook]))\nhook_attempts = 2\n"])
            let daemon = try await InProcessDaemon.start(fixture)
            let delivered = try #require(fixture.output(DaemonJobs.evidencePDFPath))
            #expect(try await Self.hookSummary(daemon)?.pending == 1)
            try await daemon.advance(by: 30)
            let summary = try #require(try await Self.hookSummary(daemon))
            #expect(summary.pending == 0 && summary.failed == 1)
            #expect(summary.lastFinished?.state == .failed)
            #expect(summary.lastFinished?.lastError == "\(hook) exited with status 2 (attempt 2 of 2; no attempts left)")
            #expect(fixture.output(DaemonJobs.evidencePDFPath) == delivered)
            #expect(daemon.log.all.contains { $0.level == .error && $0.message.contains("failed for good") && $0.metadata["job"] == "evidence-pdf" })
            let outcome = try await daemon.stop()
            #expect(outcome.hooksFailed == 1)
            #expect(outcome.runsFailed == 0)

            // `check` is critical for it and `status` shows it, both read-only.
            let check = try await ExecutableRunner.run(["check", "--config", fixture.configPath])
            #expect(check.status == 2, "\(check.standardOutput)\(check.standardError)")
            let lines = check.standardOutput.split(separator: "\n").map(String.init)
            // (The stepped clock started days before the wall clock `check` reads, so the job is stale too.)
            #expect(lines.first?.hasPrefix("EXPORTSYNC CRITICAL - 1 of 1 jobs") == true)
            #expect(lines.first?.contains("evidence-pdf delivery hook failed") == true)
            #expect(lines.contains { $0.hasPrefix("job evidence-pdf: delivery hook failed for \(DaemonJobs.evidencePDFPath) at ")
                && $0.hasSuffix(": \(hook) exited with status 2 (attempt 2 of 2; no attempts left); the file stays delivered") })
            let status = try await ExecutableRunner.run(["status", "--config", fixture.configPath])
            #expect(status.status == 0)
            #expect(status.standardOutput.contains("delivery hooks:\n  evidence-pdf: 0 pending, 1 failed, last failed "))
            let json = try await ExecutableRunner.run(["status", "--json", "--config", fixture.configPath])
            let document = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
            let job = (document?["jobs"] as? [[String: Any]])?.first
            let hooks = job?["hooks"] as? [String: Any]
            #expect(hooks?["failed"] as? Int == 1)
            #expect(hooks?["last_state"] as? String == "failed")
            #expect(hooks?["last_path"] as? String == DaemonJobs.evidencePDFPath)
        }
    }

    @Test("a hook that outlives hook_timeout is stopped at that time on the clock (its whole session, SIGTERM ignored or not) and tried again")
    func timeout() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let pidFile = fixture.directory.appendingPathComponent("hook.pid").path
            // The shell and its child both ignore SIGTERM: only the SIGKILLs that follow it stop them.
            let hook = try Self.script(fixture, name: "slow-hook", """
                trap '' TERM
                sleep 600 &
                echo "$! $$" > "$1.tmp" && mv "$1.tmp" "$1"
                wait
                """)
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d") + "on_file = \(Self.list([hook, pidFile]))\nhook_timeout = \"40s\"\n"])
            let daemon = try await InProcessDaemon.start(fixture, waitForIdle: false)
            let startedAt = daemon.clock.now
            // The hook runs, and its timer sleeps on the clock until start + 40 s.
            try await daemon.waitFor("the hook to start and its timer to sleep") {
                FileManager.default.fileExists(atPath: pidFile)
                    && daemon.clock.sleepers.contains { $0.deadline == startedAt.addingTimeInterval(40) }
            }
            let pids = try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: " ")
                .compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(pids.count == 2)
            // (The clock is moved by hand: the harness's advance lets brief waits of work in
            // flight pass by themselves, and this one is 1 ms away.)
            daemon.clock.advance(to: startedAt.addingTimeInterval(39.999))
            #expect(daemon.clock.sleepers.contains { $0.deadline == startedAt.addingTimeInterval(40) }, "the timer fired before hook_timeout")
            #expect(pids.allSatisfy(Self.isAlive), "stopped before hook_timeout")
            daemon.clock.advance(to: startedAt.addingTimeInterval(40))
            // The shell and the sleep it started in the background are both gone.
            try await daemon.waitFor("the hook's processes to end") { !pids.contains(where: Self.isAlive) }
            try await daemon.waitUntilIdle()
            #expect(daemon.log.all.contains { $0.level == .warning && $0.message.contains("ran longer than hook_timeout (40 s)") })
            let summary = try #require(try await Self.hookSummary(daemon))
            #expect(summary.pending == 1, "tried again after its wait")
            try await daemon.stop()
        }
    }

    @Test("killed while its hook runs: after the restart the hook runs again, the file is not fetched again")
    func crashBeforeHook() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let record = fixture.directory.appendingPathComponent("hook-runs").path
            // The first time it runs, the hook kills the daemon (SIGKILL) before it can record the attempt.
            let hook = try Self.script(fixture, name: "crashing-hook", """
                echo "$EXPORTSYNC_RELATIVE_PATH" >> "$1"
                if [ ! -e "$1.killed" ]; then : > "$1.killed"; kill -KILL "$PPID"; sleep 5; fi
                exit 0
                """)
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1d") + "on_file = \(Self.list([hook, record]))\n"])
            let daemon = try fixture.launchDaemon()
            let status = await daemon.waitForExit(timeout: .seconds(120))
            #expect(status == 128 + SIGKILL, "\(daemon.logTail())")
            let delivered = try #require(fixture.output(DaemonJobs.evidencePDFPath))
            #expect(try String(contentsOfFile: record, encoding: .utf8) == DaemonJobs.evidencePDFPath + "\n")
            let downloadsBefore = fixture.server.journal().filter { $0.method == "GET" && $0.path.hasSuffix("/content") }.count

            let once = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", fixture.configPath],
                                                      environment: DaemonProcess.demoSecrets)
            #expect(once.status == 0, "\(once.standardError.suffix(2_000))")
            #expect(try String(contentsOfFile: record, encoding: .utf8) == String(repeating: DaemonJobs.evidencePDFPath + "\n", count: 2))
            #expect(fixture.output(DaemonJobs.evidencePDFPath) == delivered)
            #expect(fixture.server.journal().filter { $0.method == "GET" && $0.path.hasSuffix("/content") }.count == downloadsBefore)
            let store = try StateStore(path: fixture.databasePath, mode: .readOnly)
            let summary = try #require(try await store.statusSnapshot().jobs.first { $0.name == "evidence-pdf" }?.hooks)
            #expect(summary.lastFinished?.state == .succeeded)
            // The attempt the kill cut off counts (it was recorded before the program started);
            // the next ran 30 s after it began, as a retry.
            #expect(summary.lastFinished?.attempts == 2)
        }
    }
}
