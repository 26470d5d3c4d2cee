import ExportSyncCore
public import ExportSyncProviders
public import ExportSyncStore
import Foundation
public import Prometheus
import Synchronization

/// The daemon's Prometheus metrics: one registry of its own (no global `MetricsSystem`), the
/// counters the engine and the clients increment (``exportMetrics``), and the gauges read from
/// the state database at every scrape, so they are right after a restart.
///
/// ```swift
/// let metrics = DaemonMetrics(store: store)
/// // hand metrics.exportMetrics to the engine and the clients' ProviderSettings, then:
/// let text = try await metrics.scrape(jobIntervals: ["nightly": 86_400])
/// ```
///
/// From the database at each scrape:
/// - `exportsync_job_last_success_timestamp_seconds{job}`: when the job's latest successful run
///   finished (no series until one did);
/// - `exportsync_job_last_run_status{job,status}`: 1 for the phase of the job's latest run
///   (`due`, `starting`, `uploading`, `polling`, `downloading`, `done`, `failed`); one series per job;
/// - `exportsync_pending_operations`: runs waiting on a provider operation;
/// - `exportsync_delivery_hooks_pending{job}` and `exportsync_delivery_hooks_failed{job}`: the
///   job's delivery hooks (`on_file`) waiting to run, and those that gave up (for good: the
///   count only grows), for jobs that ever had one.
///
/// From the configuration: `exportsync_job_interval_seconds{job}`, the longest gap between two
/// of the job's schedule slots (for "no success in twice the interval" alerts).
public final class DaemonMetrics: Sendable {
    /// The registry everything is emitted from.
    public let registry: PrometheusCollectorRegistry
    /// The counters, for ``ExportSyncEngine`` and the clients' `ProviderSettings`.
    public let exportMetrics: ExportMetrics
    let store: StateStore
    private let pending: Gauge
    private let perJob = Mutex<[String: JobGauges]>([:])

    /// The gauges one job has now.
    private struct JobGauges {
        var lastSuccess: Gauge?
        var status: (phase: String, gauge: Gauge)?
        var interval: Gauge?
        var hooksPending: Gauge?
        var hooksFailed: Gauge?
    }

    /// The metric names of the gauges.
    public enum Name {
        /// When the job's latest successful run finished (Unix seconds), by `job`.
        public static let lastSuccess = "exportsync_job_last_success_timestamp_seconds"
        /// 1 for the phase of the job's latest run, by `job` and `status`.
        public static let lastRunStatus = "exportsync_job_last_run_status"
        /// Runs waiting on a provider operation.
        public static let pendingOperations = "exportsync_pending_operations"
        /// The longest gap between two of the job's schedule slots, by `job`.
        public static let jobInterval = "exportsync_job_interval_seconds"
        /// The job's delivery hooks waiting to run, by `job`.
        public static let hooksPending = "exportsync_delivery_hooks_pending"
        /// The job's delivery hooks that failed their last attempt, by `job`.
        public static let hooksFailed = "exportsync_delivery_hooks_failed"
    }

    /// Metrics over `store`, in a registry of their own unless one is given.
    public init(store: StateStore, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.store = store
        self.registry = registry
        exportMetrics = ExportMetrics(factory: PrometheusMetricsFactory(registry: registry))
        pending = registry.makeGauge(descriptor: Self.descriptor(Name.pendingOperations, "Runs waiting on a provider operation (from the state database)"))
    }

    /// Reads the database gauges, then renders every metric in the Prometheus text format.
    ///
    /// - Parameter jobIntervals: the configured jobs and their longest schedule gap in seconds;
    ///   jobs not in it (removed from the configuration) have no per-job gauges.
    public func scrape(jobIntervals: [String: Int64]) async throws -> String {
        let snapshot = try await store.statusSnapshot(pendingLimit: 0)
        pending.set(to: Double(snapshot.pendingOperationCount))
        let registry = registry
        let known = Set(snapshot.jobs.map(\.name))
        perJob.withLock { gauges in
            for job in snapshot.jobs {
                guard let interval = jobIntervals[job.name] else { continue }
                var current = gauges[job.name] ?? JobGauges()
                // No interval series for upload jobs (0): an alert on twice the interval would
                // fire a minute after every drop.
                if interval > 0, current.interval == nil {
                    current.interval = registry.makeGauge(
                        descriptor: Self.descriptor(Name.jobInterval, "Longest gap between two schedule slots of the job (from the configuration)"),
                        labels: [("job", job.name)])
                }
                current.interval?.set(to: Double(interval))
                if let success = job.lastSuccessAt {
                    if current.lastSuccess == nil {
                        current.lastSuccess = registry.makeGauge(
                        descriptor: Self.descriptor(Name.lastSuccess, "When the job's latest successful run finished (from the state database)"),
                        labels: [("job", job.name)])
                    }
                    current.lastSuccess?.set(to: success.timeIntervalSince1970)
                }
                if let phase = job.lastRun?.phase.rawValue, current.status?.phase != phase {
                    if let old = current.status?.gauge { registry.unregisterGauge(old) }
                    let gauge = registry.makeGauge(
                        descriptor: Self.descriptor(Name.lastRunStatus, "1 for the phase of the job's latest run (from the state database)"),
                        labels: [("job", job.name), ("status", phase)])
                    gauge.set(to: 1)
                    current.status = (phase, gauge)
                }
                if let hooks = job.hooks {
                    if current.hooksPending == nil {
                        current.hooksPending = registry.makeGauge(
                            descriptor: Self.descriptor(Name.hooksPending, "The job's delivery hooks waiting to run (from the state database)"),
                            labels: [("job", job.name)])
                        current.hooksFailed = registry.makeGauge(
                            descriptor: Self.descriptor(Name.hooksFailed, "The job's delivery hooks that failed their last attempt (from the state database)"),
                            labels: [("job", job.name)])
                    }
                    current.hooksPending?.set(to: Double(hooks.pending))
                    current.hooksFailed?.set(to: Double(hooks.failed))
                }
                gauges[job.name] = current
            }
            for (name, old) in gauges where jobIntervals[name] == nil || !known.contains(name) {
                [old.lastSuccess, old.status?.gauge, old.interval, old.hooksPending, old.hooksFailed].compactMap { $0 }
                    .forEach(registry.unregisterGauge)
                gauges[name] = nil
            }
        }
        return registry.emitToString()
    }

    /// A gauge's full name (no namespace or unit parts to join) and its `# HELP` text.
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
