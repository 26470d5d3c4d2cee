import Crypto
import ExportSyncCore
import ExportSyncDaemon
import ExportSyncEngine
import ExportSyncSandbox
import ExportSyncStore
import Foundation
import Logging
import Systemd
import Testing

/// The engine's timing, in-process on a stepped clock: schedules, polls at the server's
/// `Retry-After`, deadlines, watchdog pings and reloads happen at exactly the times they are
/// due — never before, and without waiting for anything else — whatever the machine's load.
@Suite("The engine on a stepped clock", .timeLimit(.minutes(2)))
struct EngineClockTests {
    /// Kick-offs the sandbox received for Workiva exports.
    static func kickoffs(_ fixture: DaemonFixture) -> Int {
        fixture.server.journal().filter { $0.method == "POST" && $0.path.hasSuffix("/export") }.count
    }

    /// Polls the sandbox received for Workiva operations.
    static func polls(_ fixture: DaemonFixture) -> Int {
        fixture.server.journal().filter { $0.method == "GET" && $0.path.contains("/operations/") }.count
    }

    @Test("a job every hour: its run starts at once, the next exactly at its due time and not a millisecond before")
    func scheduleSlotsAreExact() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "1h")])
            let daemon = try await InProcessDaemon.start(fixture)
            let startedAt = daemon.clock.now
            // Instant operations: the whole run (kick-off, poll, download) happens at the start time.
            #expect(fixture.output(DaemonJobs.evidencePDFPath) != nil)
            #expect(Self.kickoffs(fixture) == 1)
            let nextDue = try #require(try await daemon.store.job(named: "evidence-pdf")?.nextDueAt)
            #expect(nextDue == startedAt.addingTimeInterval(3_600))

            try await daemon.advance(to: nextDue.addingTimeInterval(-0.001))
            #expect(Self.kickoffs(fixture) == 1, "kicked off before the job was due")
            try await daemon.advance(to: nextDue)
            #expect(Self.kickoffs(fixture) == 2)
            // One jump over three slots: one run for the slot it lands in, none to catch up.
            try await daemon.advance(by: 3 * 3_600 + 1)
            #expect(Self.kickoffs(fixture) == 3)
            try await daemon.stop()
        }
    }

    @Test("polls go out exactly when the server's Retry-After says: at kick-off + 5 s, then every 30 s")
    func pollsFollowRetryAfterExactly() async throws {
        let timeline = OperationTimeline(polls: 2, seconds: 0, kickoffRetryAfter: 5, retryAfter: [30])
        try await DaemonFixture.with(DaemonScenario.instant(except: "document-1", timeline: timeline)) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")])
            let daemon = try await InProcessDaemon.start(fixture)
            #expect(Self.kickoffs(fixture) == 1)
            #expect(Self.polls(fixture) == 0)
            try await daemon.advance(by: 4.999)
            #expect(Self.polls(fixture) == 0, "polled before the kick-off's Retry-After")
            try await daemon.advance(by: 0.001)
            #expect(Self.polls(fixture) == 1)
            for poll in 2...3 {
                try await daemon.advance(by: 29.999)
                #expect(Self.polls(fixture) == poll - 1, "poll \(poll) went out before Retry-After")
                try await daemon.advance(by: 0.001)
                #expect(Self.polls(fixture) == poll)
            }
            // The third poll completed the operation: the file is there, with no further poll.
            #expect(fixture.output(DaemonJobs.boardMemoPDFPath) != nil)
            try await daemon.advance(by: 600)
            #expect(Self.polls(fixture) == 3)
            try await daemon.stop()
        }
    }

    @Test("a run past its deadline fails at the deadline, not at the next poll after it")
    func deadlinesAreExact() async throws {
        let never = OperationTimeline(polls: 1_000, seconds: 0, kickoffRetryAfter: 5, retryAfter: [45])
        try await DaemonFixture.with(DaemonScenario.instant(except: "document-1", timeline: never)) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d") + "deadline = \"10m\"\n"])
            let daemon = try await InProcessDaemon.start(fixture)
            let run = try #require(try await daemon.store.unfinishedRuns().first?.run)
            #expect(run.deadline == daemon.clock.now.addingTimeInterval(600))
            try await daemon.advance(to: run.deadline.addingTimeInterval(-0.001))
            #expect(try await daemon.store.run(id: run.id)?.phase == .polling)
            let pollsBefore = Self.polls(fixture)
            try await daemon.advance(to: run.deadline)
            let failed = try #require(try await daemon.store.run(id: run.id))
            #expect(failed.phase == .failed, "the run is \(failed.phase) at its deadline")
            #expect(Self.polls(fixture) == pollsBefore, "a poll went out at or after the deadline")
            try await daemon.stop()
        }
    }
}

/// The watchdog and reloads, in-process on the stepped clock.
@Suite("The daemon's services on a stepped clock", .timeLimit(.minutes(2)))
struct DaemonServiceClockTests {
    /// Waits until the watchdog keeper sleeps towards its next tick, one ping interval from now.
    static func keeperRearmed(_ daemon: InProcessDaemon, interval: Double) async throws {
        let next = daemon.clock.now.addingTimeInterval(interval)
        try await daemon.waitFor("the watchdog's next tick at \(next)") { daemon.clock.sleepers.contains { $0.deadline == next } }
    }

    @Test("watchdog: one ping per interval while the loop passes, none while it is wedged, one at once when it recovers")
    func watchdogFollowsTheLoop() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "6h")])
            let daemon = try await InProcessDaemon.start(fixture, watchdog: WatchdogConfiguration(timeout: .seconds(20)),
                                                         notifySocket: fixture.notifySocket.path)
            let keeper = try #require(daemon.application.watchdogKeeper)
            // Nothing is due for six hours, yet the loop passes every 5 s: half the 10 s ping interval.
            #expect(daemon.log.with("loop_max_sleep_ms", "5000").count == 1)
            let idle = try #require(daemon.observedPasses.last?.progress)
            #expect(idle.wakesAt == idle.passAt.map { $0.addingTimeInterval(5) })
            let passes = daemon.observedPasses.count
            for tick in 1...3 {
                try await daemon.advance(by: 10)
                try await Self.keeperRearmed(daemon, interval: 10)
                #expect(keeper.pingCount == tick)
            }
            #expect(daemon.observedPasses.count == passes + 3, "one pass per wake-up of the loop")

            // The loop wedges inside its next pass (which still vouches for itself once).
            daemon.holdLoop()
            let held = daemon.observedPasses.count
            daemon.clock.advance(by: 5)
            try await daemon.waitFor("the loop to enter its held pass") { daemon.observedPasses.count > held }
            daemon.clock.advance(by: 5)
            try await Self.keeperRearmed(daemon, interval: 10)
            #expect(keeper.pingCount == 4, "the held pass's own progress report is vouched for once")
            for _ in 1...3 {
                daemon.clock.advance(by: 10)
                try await Self.keeperRearmed(daemon, interval: 10)
                #expect(keeper.pingCount == 4, "pinged while the loop was wedged")
            }
            // It recovers: its next pass pings at once, without waiting for the next tick.
            daemon.releaseLoop()
            try await daemon.waitUntilIdle()
            #expect(keeper.pingCount == 5)
            try await fixture.notifySocket.waitFor("five WATCHDOG=1 datagrams", timeout: .seconds(30)) { _ in
                fixture.notifySocket.received.filter(\.isWatchdogPing).count == 5
            }
            try await daemon.stop()
            #expect(fixture.notifySocket.received.filter(\.isWatchdogPing).count == 5)
        }
    }

    @Test("reload: an added job runs at the same instant, a removed job stops being scheduled, a broken file changes nothing")
    func reloadChangesTheJobsInPlace() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "6h")])
            let daemon = try await InProcessDaemon.start(fixture)
            let startedAt = daemon.clock.now
            #expect(EngineClockTests.kickoffs(fixture) == 1)

            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF(every: "6h"), DaemonJobs.boardMemoPDF(every: "1d")])
            try await daemon.reload()
            #expect(daemon.clock.now == startedAt)
            #expect(EngineClockTests.kickoffs(fixture) == 2)
            #expect(fixture.output(DaemonJobs.boardMemoPDFPath) != nil)

            try fixture.writeConfig(text: "[daemon\nthis is not TOML")
            let errors = daemon.log.all.filter { $0.level == .error }.count
            daemon.requestReload()
            try await daemon.waitFor("the rejected reload's error") { daemon.log.all.filter { $0.level == .error }.count > errors }

            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")])
            try await daemon.reload()
            #expect(daemon.log.with("job", "evidence-pdf").contains { $0.level == .notice }, "no notice that evidence-pdf left the configuration")
            // Six hours on, the removed job's slot comes and goes without a run; the kept job's schedule is untouched.
            try await daemon.advance(by: 6 * 3_600)
            #expect(EngineClockTests.kickoffs(fixture) == 2)
            try await daemon.advance(by: 18 * 3_600)
            #expect(EngineClockTests.kickoffs(fixture) == 3)
            try await daemon.stop()
        }
    }
}

/// The state database refuses writes, in-process on the stepped clock: every retry and log
/// line is checked against the back-off the engine announced, to the millisecond.
@Suite("State write failures on a stepped clock", .timeLimit(.minutes(2)))
struct StateWriteBackoffClockTests {
    @Test("writes refused while polling: nothing is retried before the announced time, the pause doubles, one error per pause, the run completes after")
    func refusedWritesBackOffExactly() async throws {
        let scenario = DaemonScenario.instant(
            except: "attachment-1", timeline: OperationTimeline(polls: 40, seconds: 0, kickoffRetryAfter: 1, retryAfter: [1]))
        try await DaemonFixture.with(scenario) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.evidencePDF()])
            let daemon = try await InProcessDaemon.start(fixture)
            for _ in 0..<3 { try await daemon.advanceToNextWake() }
            let pollsBefore = EngineClockTests.polls(fixture)
            #expect(pollsBefore == 3, "one poll a second from kick-off + 1 s")

            try StateWriteFailureTests.refuseWrites(fixture.databasePath)
            let refusedAt = daemon.clock.now
            var pollTimes: [Date] = []
            var announced: [EngineProgressFailure] = []
            var errorLinesInWindow = 0
            while daemon.clock.now < refusedAt.addingTimeInterval(60) {
                let polls = EngineClockTests.polls(fixture)
                let now = try await daemon.advanceToNextWake()
                // An idle loop sleeps up to a minute: a wake past the window is not counted in it.
                if now > refusedAt.addingTimeInterval(60) { break }
                errorLinesInWindow = daemon.log.with("state_write_failures").filter { $0.level == .error }.count
                if EngineClockTests.polls(fixture) > polls { pollTimes.append(now) }
                if let failure = daemon.observedPasses.last?.progress.stateWriteFailure,
                   announced.last.map({ $0.failures != failure.failures }) ?? true {
                    announced.append(EngineProgressFailure(failures: failure.failures, since: failure.since, retryAt: failure.retryAt, announcedAt: now))
                    #expect(daemon.observedPasses.last?.progress.statusLine.contains("state database not writable") == true)
                }
            }
            print("measured: \(pollTimes.count) poll(s) in 60 s of refused writes, at +\(pollTimes.map { String(format: "%.3f", $0.timeIntervalSince(refusedAt)) }.joined(separator: ", +")) s")
            // The pause doubles (1, 2, 4, 8, 16, 32 s before jitter, halved at most): at most seven polls in a minute, not sixty.
            #expect(announced.map(\.failures) == Array(1...announced.count))
            #expect((5...7).contains(announced.count), "\(announced.count) pauses in 60 s")
            for (earlier, later) in zip(announced, announced.dropFirst()) {
                #expect(later.retryAt.timeIntervalSince(later.since) > earlier.retryAt.timeIntervalSince(earlier.since))
                #expect(later.since == announced[0].since)
            }
            // No poll went out during a pause: each came at or after the retry time announced before it.
            for time in pollTimes.dropFirst() {
                let inForce = try #require(announced.last { $0.announcedAt < time })
                #expect(time >= inForce.retryAt, "a poll at \(time) inside the pause until \(inForce.retryAt)")
            }
            #expect(pollTimes.count <= announced.count + 1)
            // One error line per pause, not one per attempt.
            #expect(errorLinesInWindow == announced.count)

            try StateWriteFailureTests.acceptWrites(fixture.databasePath)
            for _ in 0..<60 where fixture.output(DaemonJobs.evidencePDFPath) == nil { try await daemon.advanceToNextWake() }
            let expected = try #require(scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(fixture.output(DaemonJobs.evidencePDFPath) == Data(expected.bytes()), "the file is byte-exact")
            #expect(daemon.observedPasses.last?.progress.stateWriteFailure == nil)
            #expect(daemon.observedPasses.last?.progress.runsFailed == 0)
            #expect(try await daemon.store.run(id: 1)?.phase == .done)
            try await daemon.stop()
        }
    }
}

/// One announced pause: its failure count, when the failures began, the retry time, and the
/// clock's time at the pass that first showed it.
struct EngineProgressFailure: Sendable {
    var failures: Int
    var since: Date
    var retryAt: Date
    var announcedAt: Date
}

/// Upload inboxes, in-process on the stepped clock: the test dates each write of a growing file
/// on the daemon's clock, so "quiet for the settle time" is exact, not a race with a writer.
@Suite("Upload inboxes on a stepped clock", .timeLimit(.minutes(2)))
struct UploadInboxClockTests {
    static func uploadJob(inbox: URL) -> String {
        """
        [[jobs]]
        name = "evidence-upload"
        source = "workiva"
        kind = "sample-attachment-upload"
        test_form = "tf-1"
        test_phase = "tp-1"
        matrix = "mx-1"
        sample = "sample-1"
        inbox = "\(inbox.path)"
        settle = "10s"
        every = "1s"
        deadline = "2m"

        """
    }

    @Test("a file appended to every 3 s for 15 s is left alone, then uploaded once, whole, 10 s after its last write")
    func growingFileSettlesExactly() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let inbox = fixture.directory.appendingPathComponent("inbox")
            try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
            try fixture.writeConfig(jobs: [Self.uploadJob(inbox: inbox)])
            let daemon = try await InProcessDaemon.start(fixture)
            let file = inbox.appendingPathComponent("scan.tiff")
            var written: [UInt8] = []
            func append(_ count: Int) throws {
                let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ written.count) }
                if FileManager.default.fileExists(atPath: file.path) {
                    let handle = try FileHandle(forWritingTo: file)
                    try handle.seekToEnd()
                    try handle.write(contentsOf: Data(bytes))
                    try handle.close()
                } else {
                    try Data(bytes).write(to: file)
                }
                written += bytes
                // The write happened "now" on the daemon's clock.
                try FileManager.default.setAttributes([.modificationDate: daemon.clock.now], ofItemAtPath: file.path)
            }
            try append(20_000)
            for _ in 1...5 {
                try await daemon.advance(by: 3)
                #expect(await fixture.server.receivedUploads().isEmpty, "uploaded while the file was still growing")
                try append(20_000)
            }
            let lastWrite = daemon.clock.now
            try await daemon.advance(to: lastWrite.addingTimeInterval(9.999))
            #expect(await fixture.server.receivedUploads().isEmpty, "uploaded before the file had been quiet for 10 s")
            try await daemon.advance(to: lastWrite.addingTimeInterval(10))
            for _ in 0..<20 where !FileManager.default.fileExists(atPath: inbox.appendingPathComponent("done/scan.tiff").path) {
                try await daemon.advanceToNextWake()
            }
            let uploads = await fixture.server.receivedUploads()
            #expect(uploads.map(\.byteCount) == [written.count])
            #expect(uploads.map(\.sha256) == [SHA256.hash(data: written).map { String(format: "%02x", $0) }.joined()])
            #expect(FileManager.default.fileExists(atPath: inbox.appendingPathComponent("done/scan.tiff").path))
            try await daemon.stop()
        }
    }
}

/// Transient faults, in-process with the daemon and the sandbox on one stepped clock: every
/// request's journal time is the clock's, so waits are checked exactly, not as lower bounds.
@Suite("Transient faults on a stepped clock", .timeLimit(.minutes(2)))
struct TransientFaultClockTests {
    @Test("a token endpoint down for 15 s, then a kick-off answered 503 with an HTTP-date Retry-After: each retry exactly on time, nothing early, the file intact")
    func outageAndDatedRetryAreExact() async throws {
        var scenario = DaemonScenario.instant()
        scenario.faults = [
            FaultRule(route: .workivaToken, kind: .status, status: 503, forSeconds: 15),
            FaultRule(route: .workivaKickoff, resource: "document-1", requests: [1], kind: .status, status: 503,
                      retryAfter: 3, retryAfterDate: true),
        ]
        let clock = SteppedClock(start: Date(timeIntervalSince1970: 1_796_000_000.25))
        try await DaemonFixture.with(scenario, clock: clock) { fixture in try await Self.outageAndDatedRetry(fixture) }
    }

    // A separate function: Swift 6.3's region checker crashed on this body as a closure.
    static func outageAndDatedRetry(_ fixture: DaemonFixture) async throws {
        try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")])
        let daemon = try await InProcessDaemon.start(fixture)
        let startedAt = daemon.clock.now
        for _ in 0..<40 where fixture.output(DaemonJobs.boardMemoPDFPath) == nil { try await daemon.advanceToNextWake() }
        let journal = fixture.server.journal()

        // The outage: refused token requests back off, doubling, and the first retry at or
        // after the window's end gets the token.
        let tokens = journal.filter { $0.path.hasSuffix("/oauth2/token") }
        let issued = try #require(tokens.firstIndex { $0.status == 200 }, "\(tokens.map(\.status))")
        let refused = tokens[..<issued]
        #expect(refused.allSatisfy { $0.status == 503 && $0.start < startedAt.addingTimeInterval(15) })
        #expect(tokens[issued].start >= startedAt.addingTimeInterval(15))
        #expect((3...6).contains(refused.count), "\(refused.count) refused token requests in 15 s")
        let gaps = zip(tokens[...issued], tokens[...issued].dropFirst()).map { $1.start.timeIntervalSince($0.start) }
        print("measured: token retries after \(gaps.map { String(format: "%.3f", $0) }.joined(separator: ", ")) s")
        #expect(zip(gaps, gaps.dropFirst()).allSatisfy { $1 >= $0 / 2 }, "the back-off shrank: \(gaps)")

        // The first kick-off goes out the instant the token arrives; its 503 names a date
        // (now + 3 s, rounded up to the second), and the retry goes out exactly then.
        let kickoffs = journal.filter { $0.method == "POST" && $0.path.hasSuffix("/export") }
        #expect(kickoffs.map(\.status) == [503, 202])
        let tokenAt = try #require(tokens[issued].answeredAt)
        #expect(kickoffs.first?.start == tokenAt)
        if kickoffs.count == 2, let answered = kickoffs[0].answeredAt {
            let date = Date(timeIntervalSince1970: (answered.timeIntervalSince1970 + 3).rounded(.up))
            #expect(kickoffs[1].start == date, "retried at \(kickoffs[1].start), the server said \(date)")
        }
        let expected = try #require(fixture.scenario.expectedWorkivaContent(resource: "document-1", format: "pdf"))
        #expect(fixture.output(DaemonJobs.boardMemoPDFPath) == Data(expected.bytes()))
        try await daemon.stop()
    }
}

/// Sunset warnings from the running daemon, on the stepped clock.
@Suite("Sunset warnings on a stepped clock", .timeLimit(.minutes(2)))
struct SunsetWarningClockTests {
    @Test("a job on /platform/v1 paths is warned about at start and once a day, with the days left; a 2026 job never")
    func dailyWarnings() async throws {
        // 2029-01-28 12:00 UTC: three days (rounded up) before the platform-v1 sunset.
        let clock = SteppedClock(start: Date(timeIntervalSince1970: 1_864_512_000 - 2.5 * 86_400))
        try await DaemonFixture.with(DaemonScenario.instant(), clock: clock) { fixture in
            // Weekly jobs: nothing else happens on the days the test steps through.
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "7d"), DaemonJobs.evidencePDF(every: "7d")])
            let startedAt = clock.now
            let daemon = try await InProcessDaemon.start(fixture)
            @Sendable func warnings() -> [CapturedLogRecords.Record] { daemon.log.with("sunset_day").filter { $0.level == .warning } }
            try await daemon.waitFor("the start-up warning") { !warnings().isEmpty }
            #expect(warnings().map { $0.metadata["job"] } == ["board-memo-pdf"])
            #expect(warnings().first?.metadata["sunset_day"] == "2029-01-31")
            #expect(warnings().first?.metadata["sunset_days_left"] == "3")
            #expect(warnings().first?.message.contains("flavour = \"2026-01-01\"") == true)

            try await daemon.advance(to: startedAt.addingTimeInterval(86_400 - 0.001))
            #expect(warnings().count == 1, "warned again within the day: \(warnings().map { "\($0.metadata) \($0.message)" })")
            try await daemon.advance(to: startedAt.addingTimeInterval(86_400))
            try await daemon.waitFor("the next day's warning") { warnings().count == 2 }
            #expect(warnings().last?.metadata["sunset_days_left"] == "2")
            try await daemon.stop()
        }
    }
}

/// After a sunset, a retired path's 404/410 fails the run as "sunset", with the advice.
@Suite("Retired paths on a stepped clock", .timeLimit(.minutes(2)))
struct RetiredPathClockTests {
    static let prototypeFileJob = DaemonJobs.annualReportFile.replacingOccurrences(of: "file = \"file-1\"", with: "file = \"file-1\"\nflavour = \"prototype\"")

    static func failureReason(at start: Date) async throws -> String? {
        var scenario = DaemonScenario.instant()
        // The server has retired the route: every prototype kick-off answers 410 Gone.
        scenario.faults = [FaultRule(route: .workivaKickoff, resource: "file-1", kind: .status, status: 410)]
        return try await DaemonFixture.with(scenario, clock: SteppedClock(start: start)) { fixture in
            try fixture.writeConfig(jobs: [Self.prototypeFileJob])
            let daemon = try await InProcessDaemon.start(fixture)
            let run = try await daemon.store.run(id: 1)
            try await daemon.stop()
            #expect(run?.phase == .failed)
            return run?.failureReason
        }
    }

    @Test("a 410 from a prototype path after 2027-01-31 fails the run as sunset with the 2026 advice; the day before, as a plain 410")
    func goneAfterTheSunset() async throws {
        let after = try #require(try await Self.failureReason(at: PathSunset.prototype.date.addingTimeInterval(3_600)))
        #expect(after.contains("sunset: /prototype/platform/files/file-1/export is no longer served"), "\(after)")
        #expect(after.contains("retired on 2027-01-31") && after.contains("flavour = \"2026-01-01\""), "\(after)")
        let before = try #require(try await Self.failureReason(at: PathSunset.prototype.date.addingTimeInterval(-86_400)))
        #expect(before.contains("HTTP 410") && !before.contains("sunset"), "\(before)")
    }
}
