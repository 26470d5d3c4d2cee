public import Foundation

/// The `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// The wait the header asks for, in seconds from `now`, clamped to `bounds`.
    ///
    /// Returns `nil` when the header is absent or malformed, so the caller falls back to its own
    /// backoff. A date in the past yields the lower bound, never a negative wait.
    public static func delay(header: String?, now: Date, bounds: ClosedRange<Double> = 1...300) -> Double? {
        guard let raw = header?.trimmingSpaces(), !raw.isEmpty else { return nil }
        if raw.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let seconds = Double(raw) else { return nil }
            return min(max(seconds, bounds.lowerBound), bounds.upperBound)
        }
        guard let date = httpDate(raw) else { return nil }
        return min(max(date.timeIntervalSince(now), bounds.lowerBound), bounds.upperBound)
    }

    /// Parses the three date forms RFC 9110 asks recipients to accept (IMF-fixdate, RFC 850, asctime).
    public static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}

/// Jittered exponential backoff with a total budget, for waits the server did not set.
public struct RetryPolicy: Sendable, Hashable {
    /// The first wait, in seconds.
    public var initialDelay: Double
    /// Growth factor per attempt.
    public var multiplier: Double
    /// The longest single wait, in seconds.
    public var maximumDelay: Double
    /// How many attempts in all (the first try included).
    public var maximumAttempts: Int

    public init(initialDelay: Double = 0.5, multiplier: Double = 2, maximumDelay: Double = 30, maximumAttempts: Int = 5) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// The wait before attempt `attempt + 1` after `attempt` failed (1-based), or `nil` when the
    /// budget is spent. "Full jitter": uniformly random in `[delay/2, delay]`, so many clients
    /// that failed together do not retry together.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Double? {
        guard attempt >= 1, attempt < maximumAttempts else { return nil }
        let base = baseDelay(afterFailure: attempt)
        return Double.random(in: (base / 2)...base, using: &generator)
    }

    /// The un-jittered wait after the `failures`-th failure in a row (1-based): `initialDelay ×
    /// multiplier^(failures-1)`, at most `maximumDelay`.
    public func baseDelay(afterFailure failures: Int) -> Double {
        min(maximumDelay, initialDelay * pow(multiplier, Double(max(0, failures - 1))))
    }
}

/// A small seeded generator (SplitMix64) so backoff jitter is reproducible in tests.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
