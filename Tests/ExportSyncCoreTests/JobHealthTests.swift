import ExportSyncCore
import Foundation
import Testing

@Suite("Job health (check)")
struct JobHealthTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30 00:53:20 UTC

    static func job(_ schedule: Schedule, kind: JobKind = .documentExport, staleAfter: Int64? = nil,
                    flavour: WorkivaPathFlavour = .v2026) -> JobSpec {
        let payload: JobPayload = kind == .sampleAttachmentUpload
            ? .sampleAttachmentUpload(flavour: flavour, locator: SampleLocator(testForm: "tf", testPhase: "tp", matrix: nil, sample: "s"),
                                      inbox: UploadInbox(directory: "/in", doneDirectory: "/in/done", failedDirectory: "/in/failed", settleSeconds: 2, maximumBytes: 1 << 30))
            : .contentExport(flavour: flavour, id: "d", export: ContentExportSpec(kind: .document, format: "pdf"))
        return JobSpec(name: "nightly", source: "workiva", kind: kind, payload: payload, schedule: schedule, output: nil,
                       deadlineSeconds: 3_600, templateValues: [:], fingerprint: "f", staleAfterSeconds: staleAfter)
    }

    @Test("stale after twice the schedule's longest gap plus the deadline, to the second")
    func staleness() {
        let hourly = Self.job(Schedule(everySeconds: 3_600))
        #expect(hourly.effectiveStaleAfterSeconds == 10_800)
        #expect(hourly.problems(JobRecordSummary(lastRunID: 5, lastSuccessAt: Self.now.addingTimeInterval(-10_800)), at: Self.now).isEmpty)
        let stale = hourly.problems(JobRecordSummary(lastRunID: 5, lastSuccessAt: Self.now.addingTimeInterval(-10_801)), at: Self.now)
        #expect(stale.map(\.kind) == [.stale] && stale.map(\.severity) == [.critical])
        #expect(stale.first?.brief == "nightly last success 2026-11-29")
        #expect(stale.first?.line == "job nightly: stale: last success 2026-11-29 21:53Z, more than 3h ago (stale_after)")
        // stale_after wins over the default.
        #expect(Self.job(Schedule(everySeconds: 3_600), staleAfter: 60).effectiveStaleAfterSeconds == 60)
    }

    @Test("a delivery hook that gave up is critical, with its file and reason; the run itself stays a success")
    func failedHook() {
        let job = Self.job(Schedule(everySeconds: 3_600))
        let failure = JobRecordSummary.HookFailure(path: "a/report.pdf", failedAt: Self.now, reason: "/usr/local/bin/load exited with status 2")
        let problems = job.problems(JobRecordSummary(lastRunID: 5, lastSuccessAt: Self.now, lastHookFailure: failure), at: Self.now)
        #expect(problems.map(\.kind) == [.hookFailed])
        #expect(problems.map(\.severity) == [.critical])
        #expect(problems.first?.line
            == "job nightly: delivery hook failed for a/report.pdf at 2026-11-30 00:53Z: /usr/local/bin/load exited with status 2; the file stays delivered")
        #expect(job.problems(JobRecordSummary(lastRunID: 5, lastSuccessAt: Self.now), at: Self.now).isEmpty)
        // A later hook succeeded: the earlier failures stay a warning, not silence.
        let earlier = job.problems(JobRecordSummary(lastRunID: 6, lastSuccessAt: Self.now, failedHooks: 2), at: Self.now)
        #expect(earlier.map(\.severity) == [.warning])
        #expect(earlier.first?.line == "job nightly: 2 earlier delivery hook(s) failed for good (see exportsync status); later ones succeed")
    }

    @Test("the longest gap of a weekday schedule spans the weekend")
    func weekdayGaps() throws {
        let times = try [#require(TimeOfDay(hour: 6, minute: 0)), #require(TimeOfDay(hour: 18, minute: 0))]
        let weekdays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]
        #expect(Schedule(timesOfDay: times, weekdays: weekdays).longestGapSeconds == 60 * 3_600)
        #expect(Schedule(timesOfDay: times).longestGapSeconds == 12 * 3_600)
        #expect(Schedule(everySeconds: 900).longestGapSeconds == 900)
    }

    @Test("a failed last run is critical; never run is a warning; never succeeded since long ago is critical")
    func failuresAndNeverRun() {
        let job = Self.job(Schedule(everySeconds: 3_600))
        let failed = job.problems(JobRecordSummary(lastRunID: 7, lastRunFailed: true, lastRunFailureReason: "rejected: HTTP 404",
                                                   lastRunFinishedAt: Self.now, lastSuccessAt: Self.now), at: Self.now)
        #expect(failed.map(\.kind) == [.failed])
        #expect(failed.first?.line == "job nightly: last run #7 failed at 2026-11-30 00:53Z: rejected: HTTP 404")
        #expect(job.problems(JobRecordSummary(), at: Self.now).map(\.severity) == [.warning])
        #expect(job.problems(JobRecordSummary(registeredAt: Self.now.addingTimeInterval(-60)), at: Self.now).map(\.kind) == [.neverRun])
        #expect(job.problems(JobRecordSummary(lastRunID: 1, registeredAt: Self.now.addingTimeInterval(-60)), at: Self.now).isEmpty,
                "a first run under way is not a problem yet")
        #expect(job.problems(JobRecordSummary(lastRunID: 1, registeredAt: Self.now.addingTimeInterval(-10_801)), at: Self.now).map(\.brief)
                == ["nightly never succeeded"])
        // Upload jobs run when files arrive: never stale.
        let upload = Self.job(Schedule(everySeconds: 30), kind: .sampleAttachmentUpload)
        #expect(upload.problems(JobRecordSummary(lastRunID: 1, lastSuccessAt: Self.now.addingTimeInterval(-86_400 * 30)), at: Self.now).isEmpty)
    }

    @Test("paths within 30 days of their sunset are a warning, not before")
    func sunsets() {
        let job = Self.job(Schedule(everySeconds: 3_600), flavour: .prototype)
        let fresh = JobRecordSummary(lastRunID: 1, lastSuccessAt: PathSunset.prototype.date.addingTimeInterval(-30 * 86_400))
        #expect(job.problems(fresh, at: PathSunset.prototype.date.addingTimeInterval(-30 * 86_400)).map(\.kind) == [.sunset])
        let earlier = JobRecordSummary(lastRunID: 1, lastSuccessAt: PathSunset.prototype.date.addingTimeInterval(-31 * 86_400))
        #expect(job.problems(earlier, at: PathSunset.prototype.date.addingTimeInterval(-31 * 86_400)).isEmpty)
    }
}
