import ExportSyncProviders
import Foundation
import Synchronization

/// Wakes the engine's loop early: a finished task, a reload, or a shutdown request.
///
/// Signals coalesce (a burst of finished tasks wakes the loop once), and a signal sent while
/// the loop is busy is kept for its next wait, so no wake-up is lost. One waiter at a time.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    /// Wakes the waiting loop (or the next wait).
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns on a signal, when `clock` reaches `deadline`, or when the task is cancelled.
    func wait(until deadline: Date, clock: any ProviderClock) async {
        let timer = Task { [self] in
            do {
                try await clock.sleep(until: deadline)
                signal()
            } catch {
                // Cancelled: the wait already ended.
            }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            signal()
        }
        timer.cancel()
        // A signal that raced with the wake-up is covered by the pass that follows.
        state.withLock { $0.pending = false }
    }
}
