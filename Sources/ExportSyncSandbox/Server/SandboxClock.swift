public import Foundation

/// The time the sandbox runs on: token lifetimes, pre-signed URL expiry, operation timelines,
/// rate-limit buckets, fault windows, `Retry-After` dates and the request journal.
///
/// The system clock by default; an in-process test gives the daemon and the sandbox one stepped
/// clock, so both sides of every time-dependent exchange move together, exactly.
public struct SandboxClock: Sendable {
    /// The current time.
    public let now: @Sendable () -> Date

    /// A clock reading `now`.
    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// `Date()`.
    public static let system = SandboxClock { Date() }
}
