import ArgumentParser
import ExportSyncConfig
import ExportSyncCore
import ExportSyncStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `exportsync trigger`: run jobs now, outside their schedule.
struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Mark jobs due now; a running daemon starts them at once, else the next once or start does.",
        discussion: """
            Writes the mark into the state database (one short transaction; it needs neither the
            daemon's lock nor the daemon), then sends SIGUSR1 to the daemon holding the state
            directory, if one runs, so it starts them at once rather than at its next pass (at
            most 10 s later). A job whose run is still in progress is not started twice: that run
            answers the trigger. Exits 0 when every job was marked, 64 (EX_USAGE) for a job that
            is not in the configuration or is an upload job, 78 for a bad configuration, 74 when
            the database cannot be written.
            """
    )

    @OptionGroup var config: ConfigOption

    @Argument(help: "The jobs to run now.")
    var jobs: [String]

    func validate() throws {
        guard !jobs.isEmpty else { throw ValidationError("name at least one job") }
    }

    func run() async throws {
        let configuration = try config.loadOrExit()
        let configured = Dictionary(configuration.jobs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var refused = false
        for name in jobs {
            guard let job = configured[name] else {
                printError("exportsync trigger: no job \"\(TerminalText.escaped(Substring(name)))\" in \(configuration.filePath)")
                refused = true
                continue
            }
            if job.kind == .sampleAttachmentUpload {
                printError("exportsync trigger: \(name) is an upload job; it runs when files arrive in its inbox, not on a schedule")
                refused = true
            }
        }
        if refused { throw ExitCode(SysExit.usage) }
        let names = Array(Set(jobs)).sorted()
        let databasePath = configuration.daemon.databasePath
        guard FileManager.default.fileExists(atPath: databasePath) else {
            print("exportsync trigger: the daemon has not run yet; every job runs at its first start (run or once)")
            return
        }
        let unknown: [String]
        do {
            // Files SQLite creates here (-wal, -shm) are private, as the daemon's are.
            let previous = umask(0o077)
            defer { umask(previous) }
            // Never migrates: the daemon holding the lock migrates its own database.
            let store = try StateStore(path: databasePath, mode: .writeExisting)
            unknown = try await store.trigger(jobs: names, at: Date())
        } catch {
            printError("exportsync trigger: \(error)")
            throw ExitCode(SysExit.ioError)
        }
        for name in unknown {
            print("exportsync trigger: \(name) is new to the database; the daemon runs it as soon as it loads this configuration (reload) or starts")
        }
        let marked = names.count - unknown.count
        guard marked > 0 else { return }
        let what = "marked \(marked) job(s) due now"
        switch StateDirectoryLock.holder(directory: configuration.daemon.stateDirectory) {
        case nil:
            print("exportsync trigger: \(what); no daemon is running: the next `exportsync once` or start runs them")
        case let pid?:
            if kill(pid, SIGUSR1) == 0 {
                print("exportsync trigger: \(what); the daemon (pid \(pid)) starts them now")
            } else {
                let reason = String(cString: strerror(errno))
                print("exportsync trigger: \(what); cannot signal the daemon (pid \(pid)): \(reason); it starts them at its next pass, within 10 s")
            }
        }
    }
}
