import ExportSyncEngine
import ServiceLifecycle

/// Gives the engine a pass at once on each element of `wakes` (`SIGUSR1` in the daemon, which
/// `exportsync trigger` sends after marking jobs due), instead of at its next wake time.
struct WakeService<Wakes: AsyncSequence & Sendable>: Service where Wakes.Element == Void {
    let wakes: Wakes
    let engine: ExportEngine

    func run() async {
        do {
            for try await _ in wakes.cancelOnGracefulShutdown() { await engine.requestPass() }
        } catch {
            // The signal sequence does not fail; a cancelled one simply ends.
        }
    }
}
