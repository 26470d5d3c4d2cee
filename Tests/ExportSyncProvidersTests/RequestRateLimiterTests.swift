import ExportSyncProviders
import Foundation
import Testing

@Suite("Rate limiter (injected clock, no sleeps)")
struct RequestRateLimiterTests {
    @Test func requestsAreSpacedAtTheRate() async throws {
        let clock = ManualClock()
        let limiter = RequestRateLimiter(ratePerSecond: 2, burst: 1, clock: clock)
        var waits: [Double] = []
        for _ in 0..<5 { waits.append(await limiter.reserve()) }
        #expect(waits.map { ($0 * 1000).rounded() / 1000 } == [0, 0.5, 1, 1.5, 2])
        clock.advance(by: 10)
        #expect(await limiter.reserve() == 0)
    }

    @Test func aBurstPassesThenTheRateApplies() async throws {
        let clock = ManualClock()
        let limiter = RequestRateLimiter(ratePerSecond: 10, burst: 3, clock: clock)
        var waits: [Double] = []
        for _ in 0..<5 { waits.append(await limiter.reserve()) }
        #expect(waits.map { ($0 * 1000).rounded() / 1000 } == [0, 0, 0, 0.1, 0.2])
    }

    @Test func acquireSleepsOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let limiter = RequestRateLimiter(ratePerSecond: 1, clock: clock)
        let start = clock.now
        for _ in 0..<4 { try await limiter.acquire() }
        #expect(clock.now.timeIntervalSince(start) == 3)
        #expect(clock.sleeps == [1, 1, 1])
    }

    @Test func zeroRateIsUnlimited() async throws {
        let limiter = RequestRateLimiter(ratePerSecond: 0, clock: ManualClock())
        for _ in 0..<100 { #expect(await limiter.reserve() == 0) }
    }

    @Test func hourlyQuotaAndLowRemainingSpacing() async throws {
        let clock = ManualClock()
        let limiter = RequestRateLimiter.hourly(3600, clock: clock)
        #expect(limiter.ratePerSecond == 1)
        await limiter.observeQuota(remaining: 100, limit: 5000)  // 2 % left
        #expect(await limiter.quotaSpacing == 36)
        _ = await limiter.reserve()
        #expect(await limiter.reserve() == 36)
        await limiter.observeQuota(remaining: 4000, limit: 5000)
        #expect(await limiter.quotaSpacing == nil)
        await limiter.observeQuota(remaining: 0, limit: 5000)
        #expect(await limiter.quotaSpacing == RequestRateLimiter.maximumSpacing)
    }

    @Test func workivaPollsWaitForBothLimiters() async throws {
        // The engine shares one client per source: its limiters are global to the source.
        let clock = ManualClock()
        let polls = RequestRateLimiter(ratePerSecond: 1, clock: clock)
        let requests = RequestRateLimiter(ratePerSecond: 5, burst: 5, clock: clock)
        var total = 0.0
        for _ in 0..<3 {
            total += await polls.reserve()
            total += await requests.reserve()
        }
        #expect(total == 3)
    }
}
