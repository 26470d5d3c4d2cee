/// A time of day, `HH:MM`, in the schedule's time zone (UTC unless configured).
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Hour, 0–23.
    public var hour: Int
    /// Minute, 0–59.
    public var minute: Int

    /// Creates a time of day; `nil` when out of range.
    public init?(hour: Int, minute: Int) {
        guard (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        self.hour = hour
        self.minute = minute
    }

    /// Parses `"06:00"` or `"6:00"`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let hour = Int(parts[0]), let minute = Int(parts[1])
        else { return nil }
        self.init(hour: hour, minute: minute)
    }

    /// Seconds since midnight.
    public var secondsIntoDay: Int64 { Int64(hour * 3_600 + minute * 60) }

    public var description: String {
        (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.secondsIntoDay < rhs.secondsIntoDay }
}

/// Day of the week, ISO numbering (Monday = 1).
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Comparable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// Parses `mon`…`sun` or the full English name, case-insensitively.
    public init?(parsing text: String) {
        let lowered = text.lowercased()
        guard let match = Weekday.allCases.first(where: { lowered == $0.name || lowered == String($0.name.prefix(3)) })
        else { return nil }
        self = match
    }

    /// The English name in lower case.
    public var name: String {
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][rawValue - 1]
    }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// When a job becomes due: every fixed interval, at times of day (optionally on some weekdays
/// only), or both — whichever comes first.
///
/// Times are computed in seconds since the Unix epoch with a fixed UTC offset, so the schedule is
/// pure arithmetic and needs no time-zone database. A job that came due several times while the
/// daemon was down runs **once**: ``nextDue(lastScheduled:)`` answers the first slot after the last
/// run, and the scheduler runs a job whose due time is in the past immediately, then asks again
/// from the time it actually ran.
public struct Schedule: Sendable, Hashable {
    /// A fixed interval between runs, in seconds.
    public var everySeconds: Int64?
    /// Times of day at which the job runs.
    public var timesOfDay: [TimeOfDay]
    /// Weekdays on which `timesOfDay` apply; empty means every day.
    public var weekdays: Set<Weekday>
    /// Offset of the schedule's clock from UTC, in seconds (`+01:00` → 3600).
    public var utcOffsetSeconds: Int64

    /// Creates a schedule. At least one of `everySeconds` and `timesOfDay` must be set.
    public init(everySeconds: Int64? = nil, timesOfDay: [TimeOfDay] = [], weekdays: Set<Weekday> = [], utcOffsetSeconds: Int64 = 0) {
        self.everySeconds = everySeconds
        self.timesOfDay = timesOfDay.sorted()
        self.weekdays = weekdays
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// The first due time strictly after `lastScheduled` (Unix seconds), or `nil` when the job has
    /// never run — a job that never ran is due at once.
    public func nextDue(lastScheduled: Int64?) -> Int64? {
        guard let last = lastScheduled else { return nil }
        var candidates: [Int64] = []
        if let every = everySeconds { candidates.append(last + every) }
        if let slot = nextTimeOfDaySlot(after: last) { candidates.append(slot) }
        return candidates.min()
    }

    /// The first time-of-day slot strictly after `instant`, honouring `weekdays`.
    func nextTimeOfDaySlot(after instant: Int64) -> Int64? {
        guard !timesOfDay.isEmpty else { return nil }
        let local = instant + utcOffsetSeconds
        let dayStart = local - Self.floorMod(local, 86_400)
        for dayOffset in 0...7 {
            let day = dayStart + Int64(dayOffset) * 86_400
            guard weekdays.isEmpty || weekdays.contains(Self.weekday(ofLocalDayStart: day)) else { continue }
            for time in timesOfDay where day + time.secondsIntoDay > local {
                return day + time.secondsIntoDay - utcOffsetSeconds
            }
        }
        return nil
    }

    /// ISO weekday of a local day starting at `dayStart` seconds (1970-01-01 was a Thursday).
    static func weekday(ofLocalDayStart dayStart: Int64) -> Weekday {
        let days = floorDiv(dayStart, 86_400)
        return Weekday(rawValue: Int(floorMod(days + 3, 7)) + 1) ?? .monday
    }

    static func floorMod(_ value: Int64, _ divisor: Int64) -> Int64 { ((value % divisor) + divisor) % divisor }
    static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 { (value - floorMod(value, divisor)) / divisor }
}
