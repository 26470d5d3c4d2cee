import Foundation

/// The `WATCHDOG=1` pings among a run of datagrams, and the silences between them.
struct WatchdogPingTimeline {
    /// `CLOCK_MONOTONIC` microseconds of each ping, oldest first.
    let pingTimes: [UInt64]

    /// The pings in `messages` received within `start...end` (microseconds).
    init(_ messages: [NotifyMessage], from start: UInt64, to end: UInt64) {
        pingTimes = messages.filter { $0.isWatchdogPing && $0.receivedAt >= start && $0.receivedAt <= end }.map(\.receivedAt)
    }

    /// Seconds between consecutive pings.
    var intervals: [Double] {
        zip(pingTimes, pingTimes.dropFirst()).map { MonotonicClock.seconds(from: $0, to: $1) }
    }

    /// The longest time within `start...end` without a ping, counting the edges.
    static func longestSilence(_ messages: [NotifyMessage], from start: UInt64, to end: UInt64) -> Double {
        let times = [start] + WatchdogPingTimeline(messages, from: start, to: end).pingTimes + [end]
        return zip(times, times.dropFirst()).map { MonotonicClock.seconds(from: $0, to: $1) }.max() ?? 0
    }

    /// `1.02, 0.98, …`, for messages.
    var intervalsDescription: String {
        intervals.map { String(format: "%.2f", $0) }.joined(separator: ", ")
    }
}
