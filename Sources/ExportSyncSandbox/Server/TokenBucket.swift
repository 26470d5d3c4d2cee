import Foundation

/// A token bucket: `capacity` requests at once, refilled at `rate` per second.
struct TokenBucket: Sendable {
    let capacity: Double
    let rate: Double
    private var tokens: Double
    private var last: Date

    init(rate: Double, capacity: Double, now: Date) {
        self.rate = rate
        self.capacity = max(1, capacity)
        self.tokens = max(1, capacity)
        self.last = now
    }

    /// Takes one token if available.
    mutating func take(now: Date) -> Bool {
        tokens = min(capacity, tokens + now.timeIntervalSince(last) * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
