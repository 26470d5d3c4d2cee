import Foundation

/// A token bucket shared by every job of one source (GCRA form: a theoretical arrival time
/// instead of a token count), plus an optional minimum spacing that a server-reported quota
/// (WebAdMIT `X-RateLimit-Remaining`) can impose.
///
/// Callers ``acquire()`` before each request; waits are reservations, so concurrent callers
/// queue in order instead of all waking at once. The clock is injectable so tests need no sleeps.
public actor RequestRateLimiter {
    /// Permits per second; `0` or less disables the bucket.
    public nonisolated let ratePerSecond: Double
    /// Permits available at once after a quiet period.
    public nonisolated let burst: Double
    private let clock: any ProviderClock
    /// When the bucket is next empty again (GCRA's theoretical arrival time).
    private var theoreticalArrival: Date?
    /// Minimum time between two grants while the server reports a nearly spent quota.
    private var spacing: Double?
    private var lastGrant: Date?

    /// The share of a quota below which calls are spread out (5 %).
    public static let lowQuotaFraction = 0.05
    /// The longest spacing a low quota imposes between two calls, in seconds.
    public static let maximumSpacing = 120.0

    /// Creates a limiter of `ratePerSecond` permits per second with bursts of `burst`.
    public init(ratePerSecond: Double, burst: Double = 1, clock: any ProviderClock = SystemProviderClock()) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst)
        self.clock = clock
    }

    /// A limiter for an hourly quota: the quota spread evenly over the hour, small bursts allowed.
    public static func hourly(_ requestsPerHour: Int, clock: any ProviderClock = SystemProviderClock()) -> RequestRateLimiter {
        let perHour = Double(max(0, requestsPerHour))
        return RequestRateLimiter(ratePerSecond: perHour / 3600, burst: max(1, min(perHour / 100, 20)), clock: clock)
    }

    /// Takes one permit, sleeping until it is due. Returns the wait in seconds.
    @discardableResult
    public func acquire() async throws -> Double {
        let wait = reserve()
        if wait > 0 { try await clock.sleep(seconds: wait) }
        return wait
    }

    /// Reserves the next permit and returns how long from now the caller must wait for it.
    public func reserve() -> Double {
        let now = clock.now
        var grant = now
        if ratePerSecond > 0 {
            let interval = 1 / ratePerSecond
            let tolerance = (burst - 1) * interval
            let arrival = max(theoreticalArrival ?? now, now)
            let allowed = arrival.addingTimeInterval(-tolerance)
            if allowed > grant { grant = allowed }
            theoreticalArrival = arrival.addingTimeInterval(interval)
        }
        if let spacing, let lastGrant {
            let spaced = lastGrant.addingTimeInterval(spacing)
            if spaced > grant { grant = spaced }
        }
        lastGrant = grant
        return max(0, grant.timeIntervalSince(now))
    }

    /// Takes the server's view of the quota into account: below ``lowQuotaFraction`` of `limit`,
    /// the `remaining` calls are spread over the window (`windowSeconds`, an hour for WebAdMIT),
    /// at most ``maximumSpacing`` apart; above it, the spacing is lifted.
    public func observeQuota(remaining: Int, limit: Int, windowSeconds: Double = 3600) {
        guard limit > 0 else { return }
        let threshold = max(1, Double(limit) * Self.lowQuotaFraction)
        if Double(remaining) < threshold {
            spacing = min(Self.maximumSpacing, windowSeconds / Double(max(remaining, 1)))
        } else {
            spacing = nil
        }
    }

    /// The spacing currently imposed by a low quota, if any.
    public var quotaSpacing: Double? { spacing }
}
