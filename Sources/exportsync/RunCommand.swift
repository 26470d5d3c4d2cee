import ArgumentParser
import ExportSyncEngine

/// `exportsync run`: the long-running daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: start exports on schedule, poll them, write the files (systemd Type=notify).",
        discussion: """
            Resumes every unfinished run from the state database, then runs jobs as they come due.
            Under systemd it reports READY=1 once the configuration is valid, the database is open
            and unfinished runs are loaded; keeps STATUS= current; pings the watchdog from its own
            loop; reloads the configuration on SIGHUP (an invalid one is rejected and the old one
            kept); and stops within seconds on SIGTERM.
            """
    )

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        _ = try await DaemonRunner(options: options, mode: .daemon).run()
    }
}

/// `exportsync once`: do all due work, wait for it to finish, exit.
struct OnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once",
        abstract: "Do all due work, wait until it is finished, and exit (for timers, CI and scripts).",
        discussion: """
            Starts a run for every job that is due now, resumes unfinished runs, and waits until
            all of them have finished. Exits 0 when every run produced its file, 75 (EX_TEMPFAIL)
            when some failed or a delivery hook (`on_file`) failed its last attempt (the file stays
            delivered; see the log and `exportsync status`), 74 (EX_IOERR) when the state
            database refused a read or write it needed (due work may not have been started).
            """
    )

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        let outcome = try await DaemonRunner(options: options, mode: .once).run()
        printError("exportsync once: \(outcome.filesWritten) file(s) written, \(outcome.runsFailed) run(s) failed; "
                   + "\(outcome.stateWrites) state write(s) in \(outcome.stateTransactions) transaction(s)")
        if outcome.stateFailures > 0 {
            printError("exportsync once: the state database failed \(outcome.stateFailures) time(s); due work may not have been done (see the log)")
            throw ExitCode(SysExit.ioError)
        }
        if outcome.hooksFailed > 0 {
            printError("exportsync once: \(outcome.hooksFailed) delivery hook(s) failed their last attempt; the files stay delivered (see the log and `exportsync status`)")
        }
        if outcome.runsFailed > 0 || outcome.hooksFailed > 0 { throw ExitCode(SysExit.temporaryFailure) }
    }
}
