import ExportSyncCore
import ExportSyncEngine
import ExportSyncProviders
import Foundation
import Logging
import ServiceLifecycle

/// Warns about jobs whose Workiva paths have a published sunset: at start, then once a day (on
/// the daemon's clock), for the jobs configured at that moment, so the warning keeps reaching
/// the journal until the configuration moves to the 2026-01-01 paths.
struct SunsetNoticeService: Service {
    let engine: ExportEngine
    let clock: any ProviderClock
    let logger: Logger

    /// How often the warning repeats.
    static let interval: TimeInterval = 86_400

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let now = clock.now
                for notice in await engine.sunsetNotices() {
                    logger.warning("\(notice.message(at: now))", metadata: [
                        "job": "\(notice.job)", "sunset_day": "\(notice.sunset.day)",
                        "sunset_days_left": "\(notice.sunset.daysLeft(at: now))",
                    ])
                }
                do {
                    try await clock.sleep(until: now.addingTimeInterval(Self.interval))
                } catch {
                    return  // cancelled
                }
            }
        }
    }
}
