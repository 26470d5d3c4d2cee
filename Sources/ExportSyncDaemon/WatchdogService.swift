import ExportSyncProviders
import Foundation
import ServiceLifecycle
import Systemd

/// Offers a watchdog ping every ping interval on the daemon's clock (see ``WatchdogKeeper``).
struct WatchdogService: Service {
    let keeper: WatchdogKeeper
    let clock: any ProviderClock

    func run() async {
        await cancelWhenGracefulShutdown {
            await keeper.run(clock: DateClock(base: clock))
        }
    }
}

/// A ``ProviderClock`` seen as a Swift `Clock`, for code written against `Clock` (the watchdog
/// keeper): its instants are the clock's dates, and its sleeps are the clock's sleeps.
struct DateClock: Clock {
    struct Instant: InstantProtocol {
        var date: Date

        func advanced(by duration: Duration) -> Instant {
            Instant(date: date.addingTimeInterval(DateClock.seconds(duration)))
        }

        func duration(to other: Instant) -> Duration {
            .nanoseconds(Int64((other.date.timeIntervalSince(date) * 1e9).rounded()))
        }

        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.date < rhs.date }
    }

    let base: any ProviderClock

    var now: Instant { Instant(date: base.now) }
    var minimumResolution: Duration { .milliseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let seconds = deadline.date.timeIntervalSince(base.now)
        if seconds > 0 { try await base.sleep(seconds: seconds) }
        try Task.checkCancellation()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
