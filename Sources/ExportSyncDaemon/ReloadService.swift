import Logging
import ServiceLifecycle
import Systemd

/// Reloads the configuration on each element of `reloads` (SIGHUP in the daemon), telling
/// systemd `RELOADING=1` before and `READY=1` after; a rejected reload keeps the configuration
/// in force and is logged.
struct ReloadService<Reloads: AsyncSequence & Sendable>: Service where Reloads.Element == Void {
    let reloads: Reloads
    let reload: @Sendable () async throws -> Void
    let notifier: ServiceNotifier
    let logger: Logger

    func run() async {
        do {
            for try await _ in reloads.cancelOnGracefulShutdown() {
                notifier.reloading(status: "reloading configuration")
                do {
                    try await reload()
                } catch {
                    logger.error("reload rejected, keeping the current configuration: \(error)")
                }
                notifier.ready(status: "ready")
            }
        } catch {
            logger.error("reload requests ended: \(error)")
        }
    }
}
