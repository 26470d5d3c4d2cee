import ExportSyncCore
import ExportSyncSandbox
import Foundation
import GRDB
import TestSupport
import Testing

/// The state database stops taking writes while a run polls (a full disk, an I/O error, a
/// read-only remount): the daemon backs off instead of spinning, says so in `STATUS=`, logs once
/// per back-off, and finishes the run once writes go through again.
@Suite("exportsync run: the state database refuses writes")
struct StateWriteFailureTests {
    /// The tables the daemon writes; a trigger on each makes every write fail as SQLite does on
    /// a full disk (an error from inside the statement, the transaction rolled back).
    static let tables = ["jobs", "runs", "operations", "files", "uploads"]

    /// A connection that waits for the daemon's write transactions (they last milliseconds).
    static func openBesideTheDaemon(_ databasePath: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        return try DatabaseQueue(path: databasePath, configuration: configuration)
    }

    /// Makes every insert and update of the daemon's tables fail, from a connection of its own
    /// (WAL lets it write beside the daemon), closed again at once.
    static func refuseWrites(_ databasePath: String) throws {
        let queue = try openBesideTheDaemon(databasePath)
        try queue.write { db in
            for table in tables {
                for event in ["INSERT", "UPDATE"] {
                    try db.execute(sql: """
                        CREATE TRIGGER refuse_\(event.lowercased())_\(table) BEFORE \(event) ON \(table)
                        BEGIN SELECT RAISE(ABORT, 'database or disk is full (injected by the test)'); END
                        """)
                }
            }
        }
        try queue.close()
    }

    static func acceptWrites(_ databasePath: String) throws {
        let queue = try openBesideTheDaemon(databasePath)
        try queue.write { db in
            for table in tables {
                for event in ["insert", "update"] { try db.execute(sql: "DROP TRIGGER refuse_\(event)_\(table)") }
            }
        }
        try queue.close()
    }

    static func statusJSON(_ fixture: DaemonFixture) async throws -> [String: Any] {
        let result = try await ExecutableRunner.run(["status", "--json", "--config", fixture.configPath])
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
        return try #require(object as? [String: Any], "\(result.standardOutput) \(result.standardError)")
    }

    @Test("writes refused while polling: polls back off (no spin), STATUS= says so, one error line per back-off, the run completes after",
          .timeLimit(.minutes(2)))
    func refusedWritesBackOff() async throws {
        // Twelve polls a second apart before the operation completes: the run is mid-poll when
        // the writes start failing and still unfinished when they succeed again.
        let scenario = DaemonScenario.instant(
            except: "attachment-1", timeline: OperationTimeline(polls: 12, seconds: 0, kickoffRetryAfter: 1, retryAfter: [1]))
        try await DaemonFixture.with(scenario) { fixture in
            let notify = fixture.notifySocket
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try fixture.launchDaemon()
            try await notify.waitFor("READY=1", timeout: .seconds(20)) { $0.isReady }
            func polls() -> [JournalEntry] {
                fixture.server.journal().filter { $0.method == "GET" && $0.path.hasPrefix("/operations/") }
            }
            let polling = await waitUntil(timeout: .seconds(30)) { polls().count >= 2 }
            try #require(polling, "the run never polled:\n\(daemon.logTail())")

            try Self.refuseWrites(fixture.databasePath)
            let refusedAt = Date()
            let before = polls().count
            let shown = try await notify.waitFor("STATUS= naming the state database", timeout: .seconds(20)) {
                $0.value(of: "STATUS")?.contains("state database not writable") == true
            }
            #expect(shown.message.value(of: "STATUS")?.contains("database or disk is full") == true, "\(shown.message)")
            // How the engine backs off (no poll inside a pause, one error line per pause) is
            // checked to the millisecond on a stepped clock (StateWriteBackoffClockTests). Here:
            // what a separate process shows. `status` reads a database that is behind; it says
            // so, from the daemon's notice.
            var notice: [String: Any]?
            let noticed = await waitUntil(timeout: .seconds(30)) {
                notice = (try? await Self.statusJSON(fixture))?["state_write_failure"] as? [String: Any]
                return notice != nil
            }
            try #require(noticed, "status never showed the daemon's notice:\n\(daemon.logTail())")
            #expect((notice?["error"] as? String)?.contains("database or disk is full") == true, "\(String(describing: notice))")
            #expect((notice?["failures"] as? Int ?? 0) >= 1)
            let table = try await ExecutableRunner.run(["status", "--config", fixture.configPath])
            #expect(table.standardOutput.contains("STATE DATABASE NOT WRITABLE"), "\(table.standardOutput)")
            #expect(daemon.logTail(1_000_000).contains("cannot write the state database"))
            try Self.acceptWrites(fixture.databasePath)
            print("measured: \(polls().filter { $0.start >= refusedAt }.count) poll(s) while writes were refused (\(before) before)")

            let written = await waitUntil(timeout: .seconds(60)) { fixture.output(DaemonJobs.evidencePDFPath) != nil }
            try #require(written, "no file after writes resumed:\n\(daemon.logTail())")
            let expected = try #require(scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(fixture.output(DaemonJobs.evidencePDFPath) == Data(expected.bytes()), "the file is byte-exact")
            #expect(await daemon.waitForLog("takes writes again", timeout: .seconds(5)))
            // The file lands (rename) just before its run is recorded done.
            var phase = try await fixture.phase(ofRun: 1)
            let until = ContinuousClock.now.advanced(by: .seconds(20))
            while phase != .done, ContinuousClock.now < until {
                try await Task.sleep(for: .milliseconds(20))
                phase = try await fixture.phase(ofRun: 1)
            }
            #expect(phase == .done)
            let cleared = try await notify.waitFor("STATUS= without the failure", from: shown.index, timeout: .seconds(10)) {
                $0.value(of: "STATUS").map { !$0.contains("not writable") } ?? false
            }
            #expect(cleared.message.value(of: "STATUS")?.contains("failed") == false, "no run failed: \(cleared.message)")
            #expect(try await Self.statusJSON(fixture)["state_write_failure"] is NSNull, "the notice is gone once writes succeed")
            daemon.send(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(30)) == 0)
        }
    }
}
