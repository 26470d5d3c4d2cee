import ArgumentParser
import ExportSyncConfig
import ExportSyncCore
import Foundation

/// `exportsync validate`: check a configuration file and report every problem in it.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a configuration file; report every problem with its line and key.",
        discussion: """
            Exits 0 when the file is valid and prints a summary of its sources and jobs.
            Exits 78 (EX_CONFIG) otherwise, with one line per problem on standard error:
              FILE:LINE:COLUMN: KEY.PATH: what is wrong
            Secrets are not read or checked here; `run` resolves them at start.
            """
    )

    @OptionGroup var config: ConfigOption

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        let configuration: Configuration
        do {
            configuration = try ConfigurationLoader().load(path: config.path)
        } catch {
            printError(error.description)
            printError("\(config.path): \(error.issues.count) problem\(error.issues.count == 1 ? "" : "s") found; nothing was run")
            throw ExitCode(SysExit.config)
        }
        // Warnings, not errors: the file is valid and the exit status stays 0, quiet or not.
        let now = Date()
        for notice in configuration.jobs.compactMap(\.sunsetNotice) {
            printError("\(config.path): warning: \(notice.message(at: now))")
        }
        guard !quiet else { return }
        print("\(config.path): valid — \(configuration.sources.count) source(s), \(configuration.jobs.count) job(s)")
        print("  state directory:  \(configuration.daemon.stateDirectory)")
        print("  output directory: \(configuration.daemon.outputDirectory)")
        for source in configuration.sources.values.sorted(by: { $0.name < $1.name }) {
            print("  source \(source.name) (\(source.type.rawValue))")
        }
        for job in configuration.jobs {
            let target = job.output.map { "→ \($0.text)" } ?? ""
            print("  job \(job.name): \(job.kind.rawValue) via \(job.source), \(job.schedule.summary) \(target)")
        }
    }
}

func printError(_ text: String) {
    var standardError = StandardError()
    print(text, to: &standardError)
}

/// `TextOutputStream` over standard error.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileDescriptorWriter.write(string, to: 2)
    }
}
