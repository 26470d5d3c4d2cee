public import ArgumentParser
import AsyncHTTPClient
import Crypto
import ExportSyncConfig
import ExportSyncCore
import ExportSyncDaemon
import ExportSyncEngine
import ExportSyncMetrics
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Synchronization
import Logging
import ServiceLifecycle
import Systemd
import UnixSignals

extension LogTarget: ExpressibleByArgument {}

/// Options `run` and `once` share.
struct DaemonOptions: ParsableArguments {
    @OptionGroup var config: ConfigOption

    @Option(help: "Where logs go: auto (journald when started by systemd, else stderr), journal or stderr.")
    var logTarget: LogTarget = .auto
}

/// Wires configuration, secrets, logging, the store, the HTTP client and the engine together,
/// and runs them as ServiceLifecycle services (SIGTERM/SIGINT shut down gracefully, SIGHUP reloads).
struct DaemonRunner {
    let options: DaemonOptions
    let mode: ExportEngine.Mode
    let environment = ProcessInfo.processInfo.environment

    func run() async throws -> ExportEngine.Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        let loader = ConfigurationLoader()
        let configuration: Configuration
        let file: ConfigurationFile
        do {
            file = try loader.read(path: options.config.path)
            configuration = try loader.load(file)
        } catch {
            printError(error.description)
            throw ExitCode(SysExit.config)
        }
        let loaded = LoadedConfiguration(version: ConfigurationFileVersion(file), configuration: configuration)
        let configLoaded = clock.now
        // Parsing a large configuration leaves its freed syntax tree in malloc's arenas; hand
        // those pages back so the daemon's resident size is what it keeps, not what it parsed.
        GNULibC.releaseFreedMemory()
        let redactor = SecretRedactor()
        let logging = SystemdLogging(target: options.logTarget, syslogIdentifier: "exportsync", environment: environment,
                                     logLevel: Logger.Level(configLevel: configuration.daemon.logLevel), redactor: redactor)
        LoggingSystem.bootstrap({ label, provider in logging.makeHandler(label: label, metadataProvider: provider) }, metadataProvider: nil)
        let logger = {
            var logger = Logger(label: "exportsync")
            logger.logLevel = Logger.Level(configLevel: configuration.daemon.logLevel)
            return logger
        }()
        let notifier = ServiceNotifier(environment: environment)

        let secrets: [String: Secret]
        do {
            secrets = try CredentialResolver(environment: environment).resolveAll(configuration)
        } catch {
            logger.critical("cannot start: \(error.description)")
            notifier.failure(status: "cannot read credentials", errno: EACCES)
            throw ExitCode(SysExit.config)
        }
        redactor.add(secrets.values.map { $0.reveal() })

        // The output directory first: when it cannot be created, nothing else is (no state
        // directory, no database).
        do {
            try DirectoryCreation.makeDirectories(atPath: configuration.daemon.outputDirectory)
        } catch {
            logger.critical("cannot start: cannot create the output directory \(configuration.daemon.outputDirectory): \(error)")
            throw ExitCode(SysExit.cannotCreate)
        }

        // Trap SIGHUP before READY=1: systemd may send a reload as soon as it sees READY, and an
        // untrapped SIGHUP would end the process. SIGUSR1 (from `exportsync trigger`, which finds
        // this process by the lock taken next) asks for a pass now; its default action would end
        // the process too, so both are trapped before the lock exists.
        let reloadSignals = await UnixSignalsSequence(trapping: .sighup)
        let wakeSignals = await UnixSignalsSequence(trapping: .sigusr1)

        // One run/once per state directory: a second one would drive the same runs.
        let lock: StateDirectoryLock
        do {
            lock = try StateDirectoryLock(directory: configuration.daemon.stateDirectory)
        } catch {
            logger.critical("cannot start: \(error.description)")
            switch error {
            case .held: throw ExitCode(SysExit.temporaryFailure)
            case .system: throw ExitCode(SysExit.cannotCreate)
            }
        }
        defer { withExtendedLifetime(lock) {} }

        let store: StateStore
        do {
            let databasePath = configuration.daemon.databasePath
            store = try lock.privateFiles([databasePath, databasePath + "-wal", databasePath + "-shm"]) {
                try StateStore(path: databasePath, secrets: RedactingScrubber(redactor: redactor))
            }
        } catch let error as StateStoreError {
            logger.critical("cannot open the state database: \(error)")
            switch error {
            case .newerSchema, .notADatabase, .notAnExportSyncDatabase: throw ExitCode(SysExit.config)
            default: throw ExitCode(SysExit.cannotCreate)
            }
        } catch {
            logger.critical("cannot create the state directory \(configuration.daemon.stateDirectory): \(error)")
            throw ExitCode(SysExit.cannotCreate)
        }

        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: ProviderSettings.httpClientConfiguration())
        var providerSettings = ProviderSettings()
        // A server may echo a token it issued in an error body: hide tokens like configured secrets.
        providerSettings.tokenIssued = { token in redactor.addIssued(token) }
        // Counted only where someone can read the counts.
        let metrics = configuration.daemon.metricsListen.map { _ in DaemonMetrics(store: store) }
        if let metrics { providerSettings.metrics = metrics.exportMetrics }
        let settings = providerSettings
        let watchdog = (try? WatchdogConfiguration.fromEnvironment(environment)).flatMap { $0 }
        let clientClock = SystemProviderClock()
        let failureNotice = StateWriteFailureNoticeFile(
            directory: StateWriteFailureNotice.directory(environment: environment, stateDirectory: configuration.daemon.stateDirectory),
            stateDirectory: configuration.daemon.stateDirectory)
        let application = DaemonApplication(
            configuration: configuration,
            clients: SourceClient.makeAll(configuration: configuration, secrets: secrets, httpClient: httpClient, settings: settings,
                                          clock: clientClock, logger: logger),
            store: store, mode: mode, clock: clientClock, notifier: notifier, watchdog: watchdog, logger: logger, metrics: metrics,
            onPass: { progress in failureNotice.update(progress.stateWriteFailure) },
            onStop: { failureNotice.remove() })
        let engine = application.engine
        let outcome: ExportEngine.Outcome
        do {
            let preparation = try await engine.prepare()
            GNULibC.releaseFreedMemory()
            let prepared = clock.now
            logger.notice("exportsync started: \(configuration.jobs.count) job(s), \(preparation.unfinishedRuns) unfinished run(s) to resume, \(preparation.pollingRuns) waiting on their operations; configuration loaded in \(Self.seconds(configLoaded - started)) s, state recovered in \(Self.seconds(prepared - configLoaded)) s",
                          metadata: ["config": "\(configuration.filePath)"])
            outcome = try await application.run(
                reloads: reloadSignals.map { _ in () },
                wakes: wakeSignals.map { _ in () },
                reload: { try await reloadConfiguration(loader: loader, loaded: loaded, engine: engine, httpClient: httpClient,
                                                        settings: settings, clock: clientClock, redactor: redactor, logger: logger) },
                gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            try? await httpClient.shutdown()
            logger.critical("exportsync stopped: \(error)")
            throw ExitCode(SysExit.software)
        }
        try? await httpClient.shutdown()
        return outcome
    }

    private func reloadConfiguration(loader: ConfigurationLoader, loaded: LoadedConfiguration, engine: ExportEngine, httpClient: HTTPClient,
                                     settings: ProviderSettings, clock: any ProviderClock, redactor: SecretRedactor, logger: Logger) async throws {
        let configuration: Configuration
        let file: ConfigurationFile
        do {
            file = try loader.read(path: options.config.path)
        } catch {
            throw ReloadRejected(reason: "the new configuration is invalid:\n\(error.description)")
        }
        let fileVersion = ConfigurationFileVersion(file)
        if let unchanged = loaded.configuration(ifStill: fileVersion) {
            // TOMLKit never frees a parsed document, so an unchanged file (config management
            // reloads on every run) is not parsed again; credentials are still read afresh.
            configuration = unchanged
            logger.notice("the configuration file is unchanged; reusing it and reading the credentials again")
        } else {
            do {
                configuration = try loader.load(file)
            } catch {
                throw ReloadRejected(reason: "the new configuration is invalid:\n\(error.description)")
            }
            loaded.replace(version: fileVersion, configuration: configuration)
        }
        let secrets: [String: Secret]
        do {
            secrets = try CredentialResolver(environment: environment).resolveAll(configuration)
        } catch {
            throw ReloadRejected(reason: error.description)
        }
        redactor.add(secrets.values.map { $0.reveal() })
        try await engine.reload(
            configuration: configuration,
            clients: SourceClient.makeAll(configuration: configuration, secrets: secrets, httpClient: httpClient, settings: settings,
                                          clock: clock, logger: logger))
        logger.notice("configuration reloaded: \(configuration.jobs.count) job(s)")
    }
}

extension DaemonRunner {
    /// `duration` in seconds with millisecond precision, for log lines.
    static func seconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

/// What identifies the configuration file's content: its SHA-256 and permission bits (the loader
/// refuses inline secrets in a file others can read, so a mode change must be seen too).
struct ConfigurationFileVersion: Sendable, Hashable {
    var sha256: [UInt8]
    var mode: UInt32

    /// The version of the bytes and mode the loader read (hashed, not read again).
    init(_ file: ConfigurationFile) {
        sha256 = Array(SHA256.hash(data: file.data))
        mode = file.mode ?? 0
    }
}

/// The configuration in force and the file version it was parsed from.
final class LoadedConfiguration: Sendable {
    private let state: Mutex<(version: ConfigurationFileVersion, configuration: Configuration)>

    init(version: ConfigurationFileVersion, configuration: Configuration) {
        state = Mutex((version, configuration))
    }

    /// The loaded configuration if the file is still at `version`.
    func configuration(ifStill version: ConfigurationFileVersion) -> Configuration? {
        state.withLock { current in current.version == version ? current.configuration : nil }
    }

    func replace(version: ConfigurationFileVersion, configuration: Configuration) {
        state.withLock { $0 = (version, configuration) }
    }
}

struct ReloadRejected: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

extension Logger.Level {
    /// The configuration's `log_level` (`notice` maps to swift-log's `.notice`).
    init(configLevel: String) {
        self = Logger.Level(rawValue: configLevel) ?? .info
    }
}

/// The log redactor, also scrubbing server text before the store keeps it.
struct RedactingScrubber: SecretScrubber {
    let redactor: SecretRedactor
    func scrub(_ text: String) -> String { redactor.redact(text) }
}
