import ArgumentParser
import ExportSyncConfig

/// The `exportsync` command line: the daemon and its operator tools.
@main
struct ExportSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exportsync",
        abstract: "Keep a directory tree in sync with asynchronous exports from the Workiva and WebAdMIT APIs.",
        discussion: """
            exportsync starts exports on a schedule, polls them to completion, and drops the finished
            files atomically into an output tree. Its state lives in SQLite, so it survives restarts
            (even kill -9) without losing or repeating work.

            Start with `exportsync validate --config FILE`, then `exportsync status --config FILE`;
            `exportsync verify --config FILE` re-hashes what was delivered.
            Try it against the built-in API simulator with `exportsync sandbox`.
            """,
        subcommands: [RunCommand.self, OnceCommand.self, ValidateCommand.self, StatusCommand.self, CheckCommand.self, VerifyCommand.self,
                      TriggerCommand.self, SandboxCommand.self]
    )
}

/// The `--config` option every command shares.
struct ConfigOption: ParsableArguments {
    @Option(name: [.short, .customLong("config")], help: ArgumentHelp("The configuration file.", valueName: "file"))
    var path: String = "/etc/exportsync/exportsync.toml"

    /// The configuration, or every problem on stderr and exit 78 (what `status`, `trigger` and
    /// `verify` do with a bad file).
    func loadOrExit() throws -> Configuration {
        do {
            return try ConfigurationLoader().load(path: path)
        } catch {
            printError(error.description)
            throw ExitCode(SysExit.config)
        }
    }
}

/// Process exit codes from sysexits.h, as systemd and scripts expect them.
enum SysExit {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let temporaryFailure: Int32 = 75
    static let config: Int32 = 78
}
