import ArgumentParser
import ExportSyncConfig

/// `exportsync run`: the long-running daemon.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: start exports on schedule, poll them, write the files (systemd Type=notify).",
        discussion: "Not available yet: this build validates the configuration and stops. The engine lands with the next release."
    )

    @OptionGroup var config: ConfigOption

    func run() throws {
        try EngineAvailability.refuse(command: "run", configPath: config.path)
    }
}

/// `exportsync once`: do all due work, wait for it to finish, exit.
struct OnceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once",
        abstract: "Do all due work, wait until it is finished, and exit (for timers, CI and scripts).",
        discussion: "Not available yet: this build validates the configuration and stops. The engine lands with the next release."
    )

    @OptionGroup var config: ConfigOption

    func run() throws {
        try EngineAvailability.refuse(command: "once", configPath: config.path)
    }
}

/// Says plainly that the export engine is not part of this build, after checking the config.
enum EngineAvailability {
    static func refuse(command: String, configPath: String) throws {
        do {
            _ = try ConfigurationLoader().load(path: configPath)
        } catch {
            printError(error.description)
            throw ExitCode(SysExit.config)
        }
        printError("exportsync \(command): the export engine is not built yet in this version; the configuration \(configPath) is valid, but no export was started. Use `exportsync validate` and `exportsync status` meanwhile.")
        throw ExitCode(SysExit.unavailable)
    }
}
