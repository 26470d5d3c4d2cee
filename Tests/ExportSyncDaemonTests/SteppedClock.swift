import ExportSyncProviders
import Foundation
import Synchronization

/// The daemon's clock in in-process tests: time stands still until the test moves it, and a
/// sleeper wakes exactly when the clock reaches its deadline, however loaded the machine is.
final class SteppedClock: ProviderClock {
    /// A task asleep on this clock.
    struct Sleeper: Sendable {
        let id: UInt64
        let deadline: Date
        fileprivate let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
        var cancelled: Set<UInt64> = []
    }

    private let state: Mutex<State>

    /// A clock at `start` (a fixed instant, so logs and database rows read the same every run).
    init(start: Date = Date(timeIntervalSince1970: 1_796_000_000)) {
        state = Mutex(State(now: start))
    }

    var now: Date { state.withLock { $0.now } }

    /// The deadlines of the tasks asleep now, with the order they went to sleep in.
    var sleepers: [(id: UInt64, deadline: Date)] { state.withLock { $0.sleepers.map { ($0.id, $0.deadline) } } }

    /// The id the next sleeper gets: a sleeper with an id at least this went to sleep later.
    var nextSleeperID: UInt64 { state.withLock { $0.nextID + 1 } }

    func sleep(seconds: Double) async throws {
        try await sleep(until: now.addingTimeInterval(max(0, seconds)))
    }

    func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { state in
                if let index = state.sleepers.firstIndex(where: { $0.id == id }) { return state.sleepers.remove(at: index) }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock to `date` (never backwards) and wakes every sleeper whose deadline it reached.
    func advance(to date: Date) {
        let woken: [Sleeper] = state.withLock { state in
            state.now = max(state.now, date)
            let now = state.now
            let woken = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return woken
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    func advance(by seconds: Double) { advance(to: now.addingTimeInterval(seconds)) }
}
