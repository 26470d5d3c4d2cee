import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle

/// Serves `GET /metrics` (Prometheus text format 0.0.4) on one address, as a service of the
/// daemon's `ServiceGroup`: it stops with the group's graceful shutdown, and a listener that
/// cannot bind fails the group (the daemon exits rather than run without its metrics).
///
/// Every scrape reads the database gauges afresh (``DaemonMetrics/scrape(jobIntervals:)``).
public struct MetricsServer: Service {
    let metrics: DaemonMetrics
    let host: String
    let port: Int
    let jobIntervals: @Sendable () async -> [String: Int64]
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// The content type of the answer.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A server for `metrics` on `host`:`port` (port 0: any free port, reported to `onListening`).
    ///
    /// - Parameter jobIntervals: the configured jobs and their longest schedule gap, read at each
    ///   scrape (the configuration may have been reloaded).
    public init(metrics: DaemonMetrics, host: String, port: Int, jobIntervals: @escaping @Sendable () async -> [String: Int64],
                logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.jobIntervals = jobIntervals
        self.logger = logger
        self.onListening = onListening
    }

    /// Listens until the group shuts down gracefully; throws when the address cannot be bound.
    public func run() async throws {
        let router = Router()
        let metrics = metrics
        let jobIntervals = jobIntervals
        let logger = logger
        router.get("/metrics") { _, _ -> Response in
            do {
                let text = try await metrics.scrape(jobIntervals: await jobIntervals())
                return Response(status: .ok, headers: [.contentType: Self.contentType],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            } catch {
                logger.error("cannot read the state database for /metrics: \(error)")
                return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "cannot read the state database\n")))
            }
        }
        let host = host
        let port = port
        let onListening = onListening
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.notice("metrics served on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/metrics",
                              metadata: ["metrics_port": "\(bound)"])
                onListening(bound)
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            logger.critical("cannot serve /metrics on \(host.contains(":") ? "[\(host)]" : host):\(port): \(error)")
            throw error
        }
    }
}
