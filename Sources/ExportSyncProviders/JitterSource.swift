import ExportSyncCore
import Synchronization

/// The random numbers backoff jitter draws from, shared by a client's concurrent calls.
final class JitterSource: Sendable {
    private let generator: Mutex<any RandomNumberGenerator & Sendable>

    init(_ generator: any RandomNumberGenerator & Sendable) {
        self.generator = Mutex(generator)
    }

    /// `policy`'s jittered wait after failed attempt `attempt`, or `nil` when its attempts are spent.
    func delay(_ policy: RetryPolicy, afterAttempt attempt: Int) -> Double? {
        generator.withLock { generator in
            var adapter = Adapter(base: generator)
            defer { generator = adapter.base }
            return policy.delay(afterAttempt: attempt, using: &adapter)
        }
    }

    private struct Adapter: RandomNumberGenerator {
        var base: any RandomNumberGenerator & Sendable
        mutating func next() -> UInt64 { base.next() }
    }
}
