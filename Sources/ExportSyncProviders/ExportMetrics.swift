public import CoreMetrics

/// Where the engine and the provider clients count what they do, through a swift-metrics
/// factory that is handed in (never the process-wide `MetricsSystem`), so two daemons or two
/// tests in one process keep separate counts.
///
/// ```swift
/// let metrics = ExportMetrics(factory: PrometheusMetricsFactory(registry: registry))
/// metrics.countHTTPRequest(source: "workiva", endpoint: .kickoff, status: "202")
/// ```
///
/// Every label takes values from a bounded set: job and source names from the configuration,
/// ``Endpoint`` cases, HTTP status codes, ``RunOutcome`` cases and the core's retry reasons.
public struct ExportMetrics: Sendable {
    /// What kind of provider request a request is (the `endpoint` label): never a URL.
    public enum Endpoint: String, Sendable, CaseIterable {
        /// Workiva `POST /iam/v1/oauth2/token`.
        case token
        /// A kickoff: Workiva's export POST, WebAdMIT's `POST …/export_files`.
        case kickoff
        /// A Workiva operation poll.
        case operation
        /// Opening a result (Workiva `resourceUrl`, WebAdMIT `download_url`).
        case download
        /// A Workiva upload PUT.
        case upload
        /// WebAdMIT `GET /api/v1/exports/:id/export_files/:id`.
        case exportFile = "export_file"
        /// WebAdMIT `GET /api/v1/user_identities/:uid/export_files`.
        case exportFileList = "export_file_list"
        /// A page of a Workiva graph list (`GET /testForms`, `…/attachments`, …).
        case list
    }

    /// How a run ended (the `outcome` label of `exportsync_runs_total`).
    public enum RunOutcome: String, Sendable, CaseIterable {
        /// Its file is written (exports) or its upload is done.
        case success
        /// It failed; the job's next scheduled time tries again.
        case failedRetryable = "failed_retryable"
        /// It failed for good (a refusal, a terminal operation status).
        case failed
    }

    /// The metric names.
    public enum Name {
        /// Runs ended, by `job` and `outcome`.
        public static let runs = "exportsync_runs_total"
        /// Provider requests, by `source`, `endpoint` and `status`.
        public static let httpRequests = "exportsync_http_requests_total"
        /// Steps tried again after a transient failure, by `source` and `reason`.
        public static let retries = "exportsync_retries_total"
        /// Bytes of results received, by `job`.
        public static let downloadedBytes = "exportsync_downloaded_bytes_total"
        /// State database writes refused.
        public static let stateWriteFailures = "exportsync_state_write_failures_total"
    }

    let factory: any MetricsFactory

    /// Counts into `factory`'s metrics.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        // Unlabelled, so present (at 0) from the first scrape on.
        _ = Counter(label: Name.stateWriteFailures, factory: factory)
    }

    /// Counts nothing: the default where no endpoint is configured, and in most tests.
    public static let disabled = ExportMetrics(factory: NOOPMetricsHandler.instance)

    /// One provider request answered with HTTP `status`, or `"error"` when no answer came
    /// (transport failure, unusable redirect). Redirect hops count as one request.
    public func countHTTPRequest(source: String, endpoint: Endpoint, status: String) {
        Counter(label: Name.httpRequests, dimensions: [("source", source), ("endpoint", endpoint.rawValue), ("status", status)],
                factory: factory).increment()
    }

    /// A step failed transiently and its next attempt is scheduled; `reason` is one of the
    /// core's ``ExportSyncCore/RunEvent/retryReason`` values.
    public func countRetry(source: String, reason: String) {
        Counter(label: Name.retries, dimensions: [("source", source), ("reason", reason)], factory: factory).increment()
    }

    /// A run of `job` ended.
    public func countRun(job: String, outcome: RunOutcome) {
        Counter(label: Name.runs, dimensions: [("job", job), ("outcome", outcome.rawValue)], factory: factory).increment()
    }

    /// The counter of bytes received for `job`'s downloads (cut-off attempts included); take
    /// it once per download and increment it per chunk.
    public func downloadedBytes(job: String) -> Counter {
        Counter(label: Name.downloadedBytes, dimensions: [("job", job)], factory: factory)
    }

    /// The state database refused a write.
    public func countStateWriteFailure() {
        Counter(label: Name.stateWriteFailures, factory: factory).increment()
    }
}
