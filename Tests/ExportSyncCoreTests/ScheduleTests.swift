import ExportSyncCore
import Testing

@Suite("Durations and schedules")
struct ScheduleTests {
    @Test("durations parse with units in descending order only", arguments: [
        ("6h", Int64(21_600)), ("90s", 90), ("1h30m", 5_400), ("2d", 172_800), ("1w", 604_800), ("1d2h3m4s", 93_784),
    ])
    func validDurations(text: String, seconds: Int64) {
        #expect(ConfigDuration.seconds(text) == seconds)
    }

    @Test("bad durations are refused", arguments: ["", "6", "6 hours", "h", "30m1h", "1h1h", "0s", "-5m", "1.5h", "9999999999s", "100000d"])
    func invalidDurations(text: String) {
        #expect(ConfigDuration.seconds(text) == nil)
    }

    @Test("durations format back to their shortest form")
    func formatting() {
        #expect(ConfigDuration.format(5_400) == "1h30m")
        #expect(ConfigDuration.format(86_400) == "1d")
        #expect(ConfigDuration.format(61) == "1m1s")
    }

    @Test("a job that never ran is due at once; an interval counts from the last run")
    func interval() {
        let schedule = Schedule(everySeconds: 3_600)
        #expect(schedule.nextDue(lastScheduled: nil) == nil)
        #expect(schedule.nextDue(lastScheduled: 1_000) == 4_600)
    }

    @Test("times of day pick the next slot, honouring weekdays and the UTC offset")
    func timesOfDay() throws {
        // 2026-11-24 is a Tuesday; 10:00 UTC.
        let tuesday10 = Int64(1_795_514_400) + 10 * 3_600 - 1_795_514_400 % 86_400
        let six = try #require(TimeOfDay(parsing: "06:00")), eighteen = try #require(TimeOfDay(parsing: "18:00"))
        let daily = Schedule(timesOfDay: [eighteen, six])
        #expect(daily.nextDue(lastScheduled: tuesday10) == tuesday10 + 8 * 3_600)
        let mondaysOnly = Schedule(timesOfDay: [six], weekdays: [.monday])
        #expect(mondaysOnly.nextDue(lastScheduled: tuesday10) == tuesday10 - 4 * 3_600 + 6 * 86_400)
        // 06:00 at UTC-05:00 is 11:00 UTC, one hour after the last run.
        let newYork = Schedule(timesOfDay: [six], utcOffsetSeconds: -5 * 3_600)
        #expect(newYork.nextDue(lastScheduled: tuesday10) == tuesday10 + 3_600)
    }

    @Test("a job missed for days runs once: the next slot after a late run lies in the future")
    func missedSlotsRunOnce() throws {
        let schedule = Schedule(everySeconds: 3_600, timesOfDay: [try #require(TimeOfDay(parsing: "06:00"))])
        let lastRun: Int64 = 1_000_000
        let downUntil = lastRun + 5 * 86_400
        // The scheduler sees a past due time, runs once at `downUntil`, then asks again from there.
        let due = try #require(schedule.nextDue(lastScheduled: lastRun))
        #expect(due < downUntil)
        let next = try #require(schedule.nextDue(lastScheduled: downUntil))
        #expect(next > downUntil)
        #expect(next <= downUntil + 3_600)
    }

    @Test("interval or time of day: whichever comes first")
    func combined() throws {
        let schedule = Schedule(everySeconds: 86_400, timesOfDay: [try #require(TimeOfDay(parsing: "00:30"))])
        #expect(schedule.nextDue(lastScheduled: 0) == 1_800)
        #expect(schedule.summary == "every 1d or at 00:30")
    }

    @Test("times and weekdays parse strictly")
    func parsing() {
        #expect(TimeOfDay(parsing: "6:05")?.description == "06:05")
        #expect(TimeOfDay(parsing: "24:00") == nil)
        #expect(TimeOfDay(parsing: "12:5") == nil)
        #expect(TimeOfDay(parsing: "ab:cd") == nil)
        #expect(Weekday(parsing: "THU") == .thursday)
        #expect(Weekday(parsing: "sunday") == .sunday)
        #expect(Weekday(parsing: "th") == nil)
    }
}
