import Glibc

/// `CLOCK_MONOTONIC`, the clock systemd's `MONOTONIC_USEC=` is read on. The daemon and the test
/// share it, so a value the daemon sent can be placed between two readings of the test.
enum MonotonicClock {
    /// Now, in microseconds.
    static func microseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// Seconds from `start` to `end` (both in microseconds).
    static func seconds(from start: UInt64, to end: UInt64) -> Double {
        (Double(end) - Double(start)) / 1_000_000
    }
}
