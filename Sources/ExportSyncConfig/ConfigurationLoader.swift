import ExportSyncCore
public import Foundation

/// Turns a TOML file into a validated ``Configuration``, or a ``ConfigurationError`` listing
/// every problem found (not just the first), each with line, column and key path.
public struct ConfigurationLoader: Sendable {
    /// The process environment (for `$STATE_DIRECTORY`); injectable for tests.
    public var environment: [String: String]
    /// The directory relative paths in `state_directory` defaults resolve against.
    public var workingDirectory: String

    public init(environment: [String: String], workingDirectory: String) {
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// A loader for this process: its environment and current directory.
    public init() {
        self.init(environment: ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
    }

    /// Reads, parses and validates the file at `path`.
    public func load(path: String) throws(ConfigurationError) -> Configuration {
        try load(try read(path: path))
    }

    /// Reads the file at `path` once: its bytes and permission bits.
    public func read(path: String) throws(ConfigurationError) -> ConfigurationFile {
        let absolute = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: absolute))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw ConfigurationError(file: path, issues: [.init(line: nil, column: nil, keyPath: "", message: "cannot read the configuration file: \(reason)")])
        }
        var status = stat()
        let mode = stat(absolute, &status) == 0 ? UInt32(status.st_mode & 0o7777) : nil
        return ConfigurationFile(path: path, data: data, mode: mode)
    }

    /// Parses and validates a file ``read(path:)`` read.
    public func load(_ file: ConfigurationFile) throws(ConfigurationError) -> Configuration {
        guard let text = String(data: file.data, encoding: .utf8) else {
            throw ConfigurationError(file: file.path, issues: [.init(line: nil, column: nil, keyPath: "", message: "the file is not valid UTF-8")])
        }
        let isPrivate = file.mode.map { $0 & 0o077 == 0 } ?? false
        let mode = String((file.mode ?? 0) & 0o777, radix: 8)
        return try load(text: text, filePath: file.path, fileMode: isPrivate ? nil : mode)
    }

    /// Parses and validates `text` as if it were the file `filePath`.
    ///
    /// - Parameter fileMode: the file's permission bits in octal when group or others can read it
    ///   (inline secrets are then refused), `nil` when only its owner can.
    public func load(text: String, filePath: String, fileMode: String?) throws(ConfigurationError) -> Configuration {
        if let problem = ConfigurationPrecheck.problem(in: text) {
            throw ConfigurationError(file: filePath, issues: [problem])
        }
        let root: [String: TOMLNode]
        do {
            root = try TOMLNode.parse(text)
        } catch {
            throw ConfigurationError(file: filePath, issues: [error])
        }
        let collector = IssueCollector(text: text)
        let absolutePath = filePath.hasPrefix("/") ? filePath : workingDirectory + "/" + filePath
        let context = LoadContext(
            collector: collector,
            configDirectory: (absolutePath as NSString).deletingLastPathComponent,
            filePath: filePath,
            insecureFileMode: fileMode,
            workingDirectory: workingDirectory,
            environment: environment
        )
        let top = TableReader(path: "", table: root, collector: collector)
        let daemon = context.readDaemon(top.table("daemon", required: true))
        let sources = context.readSources(top)
        let declared: Set<String> = if case .table(let table)? = root["sources"] { Set(table.keys) } else { [] }
        let jobs = context.readJobs(top, sources: sources, declaredSources: declared, checksumFiles: daemon?.checksumFiles ?? false,
                                    hookDefaults: daemon?.hookDefaults ?? HookSettings())
        top.reportUnknownKeys()
        let issues = collector.sortedIssues
        guard issues.isEmpty, let daemon else {
            throw ConfigurationError(file: filePath, issues: issues)
        }
        return Configuration(filePath: absolutePath, daemon: daemon, sources: sources, jobs: jobs)
    }
}

/// What the readers share while one file is validated.
struct LoadContext {
    let collector: IssueCollector
    let configDirectory: String
    let filePath: String
    /// Octal mode of the file when group/others may read it.
    let insecureFileMode: String?
    let workingDirectory: String
    let environment: [String: String]

    /// Resolves a configured path: absolute as is, relative against the configuration's directory.
    func resolvePath(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : configDirectory + "/" + path
        return Self.lexicallyNormalised(joined)
    }

    /// Collapses `.`, `..` and repeated slashes without touching the file system, so symbolic
    /// links an operator set up (say `/srv/exports` → a mounted volume) stay as written.
    static func lexicallyNormalised(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    func readDaemon(_ reader: TableReader?) -> DaemonSettings? {
        guard let reader else { return nil }
        defer { reader.reportUnknownKeys() }
        let stateDirectory: String
        if let configured = reader.string("state_directory") {
            stateDirectory = resolvePath(configured)
        } else if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first {
            stateDirectory = String(fromSystemd)
        } else {
            stateDirectory = Self.lexicallyNormalised(workingDirectory + "/state")
        }
        let output = reader.string("output_directory", required: true).map(resolvePath)
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        var logLevel = "info"
        if let level = reader.string("log_level") {
            if levels.contains(level) { logLevel = level } else {
                reader.report("log_level", "unknown log level \"\(level)\"; use one of \(levels.joined(separator: ", "))")
            }
        }
        var downloads = 4
        if let configured = reader.integer("max_concurrent_downloads") {
            if (1...64).contains(configured) { downloads = configured } else {
                reader.report("max_concurrent_downloads", "must be between 1 and 64, got \(configured)")
            }
        }
        let hookDefaults = readHookSettings(reader)
        let checksumFiles = reader.bool("checksum_files") ?? false
        let metricsListen = readMetricsListen(reader)
        guard let output else { return nil }
        if stateDirectory == output || stateDirectory.hasPrefix(output.hasSuffix("/") ? output : output + "/") {
            // Tools that pick up exports would see the database, and the start-up sweep of
            // partial files would walk it.
            reader.report(reader.contains("state_directory") ? "state_directory" : "output_directory",
                          "the state directory \(stateDirectory) must not be the output directory or inside it (\(output))")
            return nil
        }
        return DaemonSettings(stateDirectory: stateDirectory, outputDirectory: output, logLevel: logLevel, maxConcurrentDownloads: downloads,
                              hookDefaults: hookDefaults, checksumFiles: checksumFiles, metricsListen: metricsListen)
    }

    /// `metrics_listen` (`"host:port"`, `"[v6]:port"`), a loopback address unless
    /// `allow_remote_metrics = true`: the endpoint has no authentication.
    private func readMetricsListen(_ reader: TableReader) -> MetricsListenAddress? {
        let allowRemote = reader.bool("allow_remote_metrics") ?? false
        guard let text = reader.string("metrics_listen") else { return nil }
        guard let address = Self.parseListenAddress(text) else {
            reader.report("metrics_listen", "invalid address \"\(text)\"; expected IP:port, [IPv6]:port or localhost:port, e.g. \"127.0.0.1:9464\"")
            return nil
        }
        guard allowRemote || Self.isLoopback("http://\(address.host.contains(":") ? "[\(address.host)]" : address.host)/") else {
            reader.report("metrics_listen", "\(address.host) is not a loopback address and the endpoint has no authentication; use 127.0.0.1 or ::1, or set allow_remote_metrics = true")
            return nil
        }
        return address
    }

    /// `host:port` with an IPv4 address or `localhost`, or `[IPv6]:port`; nil for anything else
    /// (a host name other than `localhost`, a missing or out-of-range port).
    static func parseListenAddress(_ text: String) -> MetricsListenAddress? {
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, host, &v6) == 1 else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            var v4 = in_addr()
            guard host.lowercased() == "localhost" || inet_pton(AF_INET, host, &v4) == 1 else { return nil }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(portText), port <= 65_535 else {
            return nil
        }
        return MetricsListenAddress(host: host.lowercased() == "localhost" ? "localhost" : host, port: port)
    }
}

/// A configuration file as read from disk, before parsing.
public struct ConfigurationFile: Sendable {
    /// The path as given.
    public var path: String
    /// The file's bytes.
    public var data: Data
    /// Its permission bits (`st_mode & 0o7777`), `nil` when `stat` failed.
    public var mode: UInt32?
}
