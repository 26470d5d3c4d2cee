import AsyncHTTPClient
import ExportSyncCore
import ExportSyncMetrics
import ExportSyncSandbox
import ExportSyncStore
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// `GET /metrics` of the in-process daemon, scraped over real HTTP on 127.0.0.1 and read with a
/// strict text-format parser (``PrometheusText``), against the sandbox on a stepped clock.
@Suite("The /metrics endpoint", .timeLimit(.minutes(2)))
struct MetricsEndpointTests {
    static let listen = "metrics_listen = \"127.0.0.1:0\""

    /// One scrape: the status, the content type, the parsed body.
    static func scrape(port: Int) async throws -> (status: UInt, contentType: String?, text: PrometheusText) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 4 << 20)
            try await client.shutdown()
            let text = String(decoding: body.readableBytesView, as: UTF8.self)
            let parsed: PrometheusText
            do {
                parsed = try PrometheusText(parsing: text)
            } catch {
                Issue.record("/metrics is not valid Prometheus text: \(error)\n\(text)")
                throw error
            }
            return (response.status.code, response.headers.first(name: "Content-Type"), parsed)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("counters and database gauges after a run with one refused kick-off; the database gauges survive a restart")
    func afterARun() async throws {
        var scenario = DaemonScenario.instant()
        scenario.faults = [
            FaultRule(route: .workivaKickoff, resource: "document-1", requests: [1], kind: .status, status: 503, retryAfter: 3),
        ]
        try await DaemonFixture.with(scenario) { fixture in try await Self.afterARun(fixture) }
    }

    // A separate function, as in the clock tests: closures this long have crashed the region checker.
    static func afterARun(_ fixture: DaemonFixture) async throws {
        try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")], daemon: Self.listen)
        let daemon = try await InProcessDaemon.start(fixture)
        for _ in 0..<20 where fixture.output(DaemonJobs.boardMemoPDFPath) == nil { try await daemon.advanceToNextWake() }
        let file = try #require(fixture.output(DaemonJobs.boardMemoPDFPath))
        let scraped = try await Self.scrape(port: try await daemon.metricsPort())
        #expect(scraped.status == 200)
        #expect(scraped.contentType == MetricsServer.contentType)
        let metrics = scraped.text
        let job = "board-memo-pdf"
        #expect(daemon.log.with("metrics_port").count == 1)

        #expect(metrics.value("exportsync_runs_total", ["job": job, "outcome": "success"]) == 1)
        #expect(metrics.samples(named: "exportsync_runs_total").count == 1)
        #expect(metrics.value("exportsync_retries_total", ["source": "workiva", "reason": "kickoff"]) == 1)
        #expect(metrics.samples(named: "exportsync_retries_total").count == 1)
        #expect(metrics.value("exportsync_http_requests_total", ["source": "workiva", "endpoint": "kickoff", "status": "503"]) == 1)
        #expect(metrics.value("exportsync_http_requests_total", ["source": "workiva", "endpoint": "kickoff", "status": "202"]) == 1)
        #expect(metrics.value("exportsync_http_requests_total", ["source": "workiva", "endpoint": "token", "status": "200"]) == 1)
        #expect(metrics.value("exportsync_http_requests_total", ["source": "workiva", "endpoint": "download", "status": "200"]) == 1)
        // Every request the sandbox saw is counted once, under a fixed endpoint name.
        let requests = metrics.samples(named: "exportsync_http_requests_total")
        #expect(requests.reduce(0) { $0 + $1.value } == Double(fixture.server.journal().count))
        #expect(requests.allSatisfy { ExportMetricsEndpoints.names.contains($0.labels["endpoint"] ?? "") }, "\(requests)")
        #expect(metrics.value("exportsync_downloaded_bytes_total", ["job": job]) == Double(file.count))
        #expect(metrics.value("exportsync_state_write_failures_total") == 0)
        #expect(metrics.value("exportsync_pending_operations") == 0)
        #expect(metrics.value("exportsync_job_last_run_status", ["job": job, "status": "done"]) == 1)
        #expect(metrics.samples(named: "exportsync_job_last_run_status").count == 1)
        #expect(metrics.value("exportsync_job_interval_seconds", ["job": job]) == 86_400)
        let stored = try #require(try await daemon.store.statusSnapshot().jobs.first { $0.name == job }?.lastSuccessAt)
        #expect(metrics.value("exportsync_job_last_success_timestamp_seconds", ["job": job]) == stored.timeIntervalSince1970)
        let types = Dictionary(metrics.families.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        #expect(types["exportsync_runs_total"] == "counter")
        #expect(types["exportsync_job_last_success_timestamp_seconds"] == "gauge")
        try await daemon.stop()

        // A new process: counters start again, what the database knows does not.
        let restarted = try await InProcessDaemon.start(fixture, clock: daemon.clock)
        let again = try await Self.scrape(port: try await restarted.metricsPort()).text
        #expect(again.value("exportsync_job_last_success_timestamp_seconds", ["job": job]) == stored.timeIntervalSince1970)
        #expect(again.value("exportsync_job_last_run_status", ["job": job, "status": "done"]) == 1)
        #expect(again.samples(named: "exportsync_runs_total").isEmpty)
        #expect(again.value("exportsync_state_write_failures_total") == 0)
        try await restarted.stop()
    }

    @Test("WebAdMIT requests carry their own endpoint names; a kick-off refused with 400 counts a failed run, not a retry")
    func webAdmitAndFailure() async throws {
        var scenario = DaemonScenario.instant()
        scenario.faults = [FaultRule(route: .workivaKickoff, resource: "document-1", kind: .status, status: 400)]
        try await DaemonFixture.with(scenario) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.nightlyApplicantsCSV, DaemonJobs.boardMemoPDF(every: "1d")], daemon: Self.listen)
            let daemon = try await InProcessDaemon.start(fixture)
            for _ in 0..<20 where fixture.outputFiles().isEmpty { try await daemon.advanceToNextWake() }
            let metrics = try await Self.scrape(port: try await daemon.metricsPort()).text
            let webadmit = metrics.samples(named: "exportsync_http_requests_total").filter { $0.labels["source"] == "admissions" }
            #expect(Set(webadmit.compactMap { $0.labels["endpoint"] }).isSuperset(of: ["kickoff", "export_file", "download"]), "\(webadmit)")
            #expect(metrics.value("exportsync_runs_total", ["job": "nightly-applicants-csv", "outcome": "success"]) == 1)
            #expect(metrics.value("exportsync_http_requests_total", ["source": "workiva", "endpoint": "kickoff", "status": "400"]) == 1)
            let failed = metrics.samples(named: "exportsync_runs_total").filter { $0.labels["job"] == "board-memo-pdf" }
            #expect(failed.count == 1 && failed.first?.labels["outcome"]?.hasPrefix("failed") == true, "\(failed)")
            #expect(metrics.samples(named: "exportsync_retries_total").isEmpty)
            #expect(metrics.value("exportsync_job_last_run_status", ["job": "board-memo-pdf", "status": "failed"]) == 1)
            try await daemon.stop()
        }
    }

    @Test("a poll cut off by a connection reset counts as status \"error\" and a poll retry; a truncated download as a download retry")
    func transportFailures() async throws {
        var scenario = DaemonScenario.instant()
        scenario.faults = [
            FaultRule(route: .workivaPoll, resource: "document-1", requests: [1], kind: .reset),
            FaultRule(route: .workivaDownload, resource: "document-1", requests: [1], kind: .truncate),
        ]
        try await DaemonFixture.with(scenario) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")], daemon: Self.listen)
            let daemon = try await InProcessDaemon.start(fixture)
            for _ in 0..<20 where fixture.output(DaemonJobs.boardMemoPDFPath) == nil { try await daemon.advanceToNextWake() }
            let file = try #require(fixture.output(DaemonJobs.boardMemoPDFPath))
            let metrics = try await Self.scrape(port: try await daemon.metricsPort()).text
            #expect(metrics.value("exportsync_http_requests_total", ["source": "workiva", "endpoint": "operation", "status": "error"]) == 1)
            #expect(metrics.value("exportsync_retries_total", ["source": "workiva", "reason": "poll"]) == 1)
            #expect(metrics.value("exportsync_retries_total", ["source": "workiva", "reason": "download"]) == 1)
            #expect(metrics.value("exportsync_runs_total", ["job": "board-memo-pdf", "outcome": "success"]) == 1)
            // The cut-off attempt's bytes count too: more than the file's size arrived.
            let received = try #require(metrics.value("exportsync_downloaded_bytes_total", ["job": "board-memo-pdf"]))
            #expect(received > Double(file.count))
            try await daemon.stop()
        }
    }

    @Test("exportsync once stops with an error when metrics_listen cannot be bound")
    func bindFailureStopsTheDaemon() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            // The sandbox's own port is taken.
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")],
                                    daemon: "metrics_listen = \"127.0.0.1:\(fixture.endpoints.port)\"")
            let result = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", fixture.configPath],
                                                        environment: DaemonProcess.demoSecrets)
            #expect(result.status != 0, "\(result.standardError)")
            #expect(result.standardError.contains("cannot serve /metrics on 127.0.0.1:\(fixture.endpoints.port): "), "\(result.standardError)")
            #expect(result.standardError.contains("exportsync stopped"), "\(result.standardError)")
        }
    }

    @Test("an operation still running: pending_operations counts it and the job's last run is polling, from the database")
    func pendingOperation() async throws {
        let slow = OperationTimeline(polls: 1_000, seconds: 0, kickoffRetryAfter: 5, retryAfter: [60])
        try await DaemonFixture.with(DaemonScenario.instant(except: "document-1", timeline: slow)) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")], daemon: Self.listen)
            let daemon = try await InProcessDaemon.start(fixture)
            try await daemon.advance(by: 5)
            let metrics = try await Self.scrape(port: try await daemon.metricsPort()).text
            #expect(metrics.value("exportsync_pending_operations") == 1)
            #expect(metrics.value("exportsync_job_last_run_status", ["job": "board-memo-pdf", "status": "polling"]) == 1)
            #expect(metrics.samples(named: "exportsync_job_last_success_timestamp_seconds").isEmpty)
            #expect(metrics.value("exportsync_http_requests_total", ["source": "workiva", "endpoint": "operation", "status": "200"]) == 1)
            try await daemon.stop()
        }
    }

    @Test("delivery hooks: pending and failed per job, from the database")
    func deliveryHooks() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            let hook = fixture.directory.appendingPathComponent("broken-hook").path
            try ExecutableScript.write("exit 3", to: hook)
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d") + "on_file = [\"\(hook)\"]\nhook_attempts = 2\n"],
                                   daemon: Self.listen)
            let daemon = try await InProcessDaemon.start(fixture)
            let port = try await daemon.metricsPort()
            var metrics = try await Self.scrape(port: port).text
            #expect(metrics.value("exportsync_delivery_hooks_pending", ["job": "board-memo-pdf"]) == 1)
            #expect(metrics.value("exportsync_delivery_hooks_failed", ["job": "board-memo-pdf"]) == 0)
            try await daemon.advance(by: 30)
            metrics = try await Self.scrape(port: port).text
            #expect(metrics.value("exportsync_delivery_hooks_pending", ["job": "board-memo-pdf"]) == 0)
            #expect(metrics.value("exportsync_delivery_hooks_failed", ["job": "board-memo-pdf"]) == 1)
            try await daemon.stop()
        }
    }

    @Test("state writes the database refuses are counted")
    func stateWriteFailures() async throws {
        let slow = OperationTimeline(polls: 1_000, seconds: 0, kickoffRetryAfter: 5, retryAfter: [5])
        try await DaemonFixture.with(DaemonScenario.instant(except: "document-1", timeline: slow)) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")], daemon: Self.listen)
            let daemon = try await InProcessDaemon.start(fixture)
            let port = try await daemon.metricsPort()
            #expect(try await Self.scrape(port: port).text.value("exportsync_state_write_failures_total") == 0)
            try StateWriteFailureTests.refuseWrites(fixture.databasePath)
            // The poll's answer cannot be recorded.
            try await daemon.advance(by: 5)
            let failures = try #require(try await Self.scrape(port: port).text.value("exportsync_state_write_failures_total"))
            #expect(failures >= 1)
            try StateWriteFailureTests.acceptWrites(fixture.databasePath)
            try await daemon.stop()
        }
    }

    @Test("once with metrics_listen: the listener stops with the group when the work is done")
    func onceReturns() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")], daemon: Self.listen)
            let result = try await ExecutableRunner.run(["once", "--log-target", "stderr", "--config", fixture.configPath],
                                                        environment: DaemonProcess.demoSecrets)
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardError.contains("metrics served on http://127.0.0.1:"), "\(result.standardError)")
            #expect(fixture.output(DaemonJobs.boardMemoPDFPath) != nil)
        }
    }

    @Test("without metrics_listen nothing listens and nothing is counted")
    func offByDefault() async throws {
        try await DaemonFixture.with(DaemonScenario.instant()) { fixture in
            try fixture.writeConfig(jobs: [DaemonJobs.boardMemoPDF(every: "1d")])
            let daemon = try await InProcessDaemon.start(fixture)
            #expect(daemon.metrics == nil)
            #expect(daemon.log.with("metrics_port").isEmpty)
            try await daemon.stop()
        }
    }
}

/// The endpoint label's values.
enum ExportMetricsEndpoints {
    static let names: Set<String> = ["token", "kickoff", "operation", "download", "upload", "export_file", "export_file_list"]
}

@Suite("The Prometheus text checker")
struct PrometheusTextTests {
    @Test("accepts the format and refuses what breaks it")
    func strictness() throws {
        let good = """
            # HELP a_total Things.
            # TYPE a_total counter
            a_total{job="x",status="200"} 3
            a_total{job="y \\"q\\" \\\\ \\n"} 1.5e+3
            # TYPE g gauge
            g -Inf
            g{l="v"} 1796000000.25 1700000000000

            """
        let parsed = try PrometheusText(parsing: good)
        #expect(parsed.value("a_total", ["job": "y \"q\" \\ \n"]) == 1500)
        #expect(parsed.value("g", ["l": "v"]) == 1_796_000_000.25)
        let broken = [
            "a 1",  // no final newline
            "a{job=\"x\"} 1\n\n",  // blank line
            "a{job=x} 1\n", "a{job=\"x} 1\n", "a{job=\"x\",} 1\n" + "b{=\"x\"} 1\n", "a{job=\"x\"}1\n", "a 1 2 3\n", "a one\n",
            "1a 1\n", "a{job=\"x\",job=\"y\"} 1\n", "a 1\na 2\n", "a 1\nb 1\na 2\n", "# TYPE a counter\na -1\n",
            "# TYPE a counter\nb 1\n# TYPE a counter\n", "# TYPE a thing\na 1\n", "a{job=\"\\x\"} 1\n", "a{job=\"x\"} 1 soon\n",
            "# TYPE a gauge\n# TYPE a gauge\na 1\n", "a 1\n# TYPE a gauge\n",
        ]
        for text in broken {
            #expect(throws: PrometheusText.Malformed.self, "\(text.debugDescription)") { try PrometheusText(parsing: text) }
        }
    }
}
