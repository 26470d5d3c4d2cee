public import ExportSyncCore

/// Daemon-wide settings from the `[daemon]` table.
public struct DaemonSettings: Sendable, Hashable {
    /// Where the state database lives (`exportsync.sqlite3`).
    public var stateDirectory: String
    /// The root of the output tree; every produced file lands below it.
    public var outputDirectory: String
    /// Lowest log level emitted (`trace` … `critical`).
    public var logLevel: String
    /// How many downloads may run at once across all jobs.
    public var maxConcurrentDownloads: Int
    /// `[daemon]`'s `on_file`, `hook_timeout` and `hook_attempts`: every job's defaults.
    public var hookDefaults: HookSettings
    /// `checksum_files`: whether export jobs write `NAME.sha256` beside each file they deliver,
    /// unless a job says otherwise (default false).
    public var checksumFiles: Bool
    /// Where `GET /metrics` is served (`metrics_listen`); `nil`: no metrics endpoint.
    public var metricsListen: MetricsListenAddress?

    public init(stateDirectory: String, outputDirectory: String, logLevel: String, maxConcurrentDownloads: Int,
                hookDefaults: HookSettings = HookSettings(), checksumFiles: Bool = false, metricsListen: MetricsListenAddress? = nil) {
        self.hookDefaults = hookDefaults
        self.metricsListen = metricsListen
        self.stateDirectory = stateDirectory
        self.outputDirectory = outputDirectory
        self.logLevel = logLevel
        self.maxConcurrentDownloads = maxConcurrentDownloads
        self.checksumFiles = checksumFiles
    }

    /// The state database's path.
    public var databasePath: String { stateDirectory + "/exportsync.sqlite3" }
}

/// The address of the metrics endpoint (`[daemon] metrics_listen = "127.0.0.1:9464"`): an IP
/// address or `localhost`, and a port (0: any free port). Only a loopback address is accepted
/// unless `allow_remote_metrics = true`.
public struct MetricsListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IP address (IPv6 without brackets) or `localhost`.
    public var host: String
    /// The TCP port, 0...65535.
    public var port: Int

    /// An address as given (the loader validates it).
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, IPv6 in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A validated configuration: every source and job checked, nothing run yet.
public struct Configuration: Sendable, Hashable {
    /// The file it was loaded from.
    public var filePath: String
    public var daemon: DaemonSettings
    /// Sources by name.
    public var sources: [String: SourceSpec]
    /// Jobs in file order.
    public var jobs: [JobSpec]

    public init(filePath: String, daemon: DaemonSettings, sources: [String: SourceSpec], jobs: [JobSpec]) {
        self.filePath = filePath
        self.daemon = daemon
        self.sources = sources
        self.jobs = jobs
    }

    /// Every secret reference the configuration uses, by the key that names it.
    public var secretReferences: [(source: String, reference: SecretReference)] {
        sources.values.sorted { $0.name < $1.name }.map { source in
            switch source {
            case .workiva(let spec): (spec.name, spec.clientSecret)
            case .webadmit(let spec): (spec.name, spec.apiKey)
            }
        }
    }
}
