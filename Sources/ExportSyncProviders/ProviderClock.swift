public import Foundation

/// Time as the providers see it: the wall clock (token expiry, HTTP-dates) and sleeping.
/// Tests inject a manual clock so waits are deterministic and instant.
public protocol ProviderClock: Sendable {
    /// The current time.
    var now: Date { get }
    /// Suspends for `seconds` (throws `CancellationError` when the task is cancelled).
    func sleep(seconds: Double) async throws
    /// Suspends until `deadline` (returns at once when it has passed).
    func sleep(until deadline: Date) async throws
}

extension ProviderClock {
    /// Sleeps for the time from now until `deadline`.
    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSince(now)
        if seconds > 0 { try await sleep(seconds: seconds) }
    }
}

/// The real clock.
public struct SystemProviderClock: ProviderClock {
    /// Creates the real clock.
    public init() {}

    /// `Date()`.
    public var now: Date { Date() }

    /// `Task.sleep`, rounded up to whole milliseconds.
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}
