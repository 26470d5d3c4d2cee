import ArgumentParser
import ExportSyncConfig
import ExportSyncCore
import ExportSyncEngine
import ExportSyncStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `exportsync verify`: is the output tree what the database says was delivered?
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every delivered file; report missing, altered and unrecorded files.",
        discussion: """
            Compares the latest record of every path in the state database with the file on disk
            (size and SHA-256) and with its NAME.sha256 checksum file, when there is one, then
            walks the output directory (never following symbolic links) for regular files no
            record names. Prints one line per problem (MISSING, ALTERED, UNRECORDED, UNREADABLE,
            each with the path relative to the output directory), then a summary line.

            Exits as diff does: 0 nothing differs, 1 differences, 2 trouble (a file or directory
            could not be read). 78 (EX_CONFIG) for an invalid configuration, 74 (EX_IOERR) when
            the state database cannot be read, 64 (EX_USAGE) for an unknown --job.

            Not counted as unrecorded: the daemon's temp files (.NAME.exportsync-part-XXXXXXXX,
            removed at its next start), checksum files beside a file, and upload jobs' inbox,
            done and failed directories. With --job, only that job's records are checked, and
            only the directory its output template fixes is walked (not at all when the template
            varies from its first component). Reads the database read-only and takes no lock,
            like status; a file delivered while verify runs may show up as a difference.
            """
    )

    @OptionGroup var config: ConfigOption

    @Option(help: ArgumentHelp("Check only this job's files.", valueName: "name"))
    var job: String?

    func run() async throws {
        let configuration = try config.loadOrExit()
        let databasePath = configuration.daemon.databasePath
        var delivered: [DeliveredFile] = []
        // Only a database that is not there means "nothing delivered yet": one that cannot be
        // reached (a 0700 state directory under DynamicUser) is an error, not an empty record.
        var status = stat()
        if stat(databasePath, &status) != 0 {
            let code = errno
            guard code == ENOENT else {
                printError("exportsync verify: cannot read the database \(databasePath): \(String(cString: strerror(code)))")
                throw ExitCode(SysExit.ioError)
            }
            printError("exportsync verify: no database at \(databasePath) yet: nothing was delivered")
        } else {
            do {
                let store = try StateStore(path: databasePath, mode: .readOnly)
                delivered = try await store.deliveredFiles()
            } catch {
                printError("exportsync verify: \(error)")
                throw ExitCode(SysExit.ioError)
            }
        }
        let root = configuration.daemon.outputDirectory
        let selected: [DeliveredFile]
        let scanDirectory: String?
        if let job {
            let spec = configuration.jobs.first { $0.name == job }
            guard spec != nil || delivered.contains(where: { $0.job == job }) else {
                printError("exportsync verify: no job \"\(TerminalText.escaped(Substring(job)))\" in \(config.path) or in the state database")
                throw ExitCode(SysExit.usage)
            }
            if let spec, spec.output == nil {
                printError("exportsync verify: job \"\(job)\" is an upload job; it delivers nothing into the output directory")
                throw ExitCode(SysExit.usage)
            }
            selected = delivered.filter { $0.job == job }
            if let spec, let output = spec.output {
                let fixed = output.fixedDirectory(OutputNaming.fixedTemplateValues(job: spec), variable: OutputNaming.variablePlaceholders(of: spec))
                scanDirectory = fixed.isEmpty ? nil : fixed
                if fixed.isEmpty {
                    printError("exportsync verify: not looking for unrecorded files: job \"\(job)\"'s output \"\(output.text)\" "
                        + "has no fixed directory of its own (run verify without --job for the whole tree)")
                }
            } else {
                scanDirectory = nil
                printError("exportsync verify: not looking for unrecorded files: job \"\(job)\" is no longer in the configuration")
            }
        } else {
            selected = delivered
            scanDirectory = ""
        }
        if !FileManager.default.fileExists(atPath: root) {
            printError("exportsync verify: the output directory \(root) does not exist")
        }
        let checks = selected.map { delivered in
            let record = OutputVerification.Record(path: delivered.file.path, size: delivered.file.size, sha256: delivered.file.sha256)
            // The daemon records only paths below the root; a row that says otherwise is not followed.
            guard !record.path.isEmpty, !record.path.hasPrefix("/"), !record.path.split(separator: "/").contains("..") else {
                return OutputVerification.Check(
                    record: record, observation: .unreadable(reason: "the record names a path outside the output directory"))
            }
            let path = root + "/" + record.path
            // Never read through a symbolic link below the root: it could lead anywhere.
            if let link = DeliveredTree.linkedDirectory(root: root, relative: record.path) {
                return OutputVerification.Check(
                    record: record, observation: .unreadable(reason: "its directory \(link) is a symbolic link; not followed"))
            }
            return OutputVerification.Check(
                record: record, observation: DeliveredTree.observe(path),
                checksum: DeliveredTree.readChecksumFile(ChecksumFile.path(for: path)))
        }
        let scan = scanDirectory.map { directory in
            DeliveredTree.scan(root: root, below: directory, skipping: Self.inboxDirectories(configuration, root: root))
        }
        let report = OutputVerification.verify(checks, scan: scan, recordedPaths: Set(delivered.map(\.file.path)))
        print(report.lines.map { TerminalText.escaped(Substring($0)) }.joined(separator: "\n"))
        if report.outcome != .clean { throw ExitCode(report.outcome.rawValue) }
    }

    /// Upload jobs' inbox, done and failed directories below the output root, relative to it:
    /// files there were never delivered by the daemon.
    static func inboxDirectories(_ configuration: Configuration, root: String) -> Set<String> {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        var directories = Set<String>()
        for job in configuration.jobs {
            guard case .sampleAttachmentUpload(_, _, let inbox) = job.payload else { continue }
            for directory in [inbox.directory, inbox.doneDirectory, inbox.failedDirectory] where directory.hasPrefix(prefix) {
                directories.insert(String(directory.dropFirst(prefix.count)))
            }
            if inbox.directory == root { directories.insert("") }
        }
        return directories
    }
}

/// The file-system side of `verify`: hashing files and walking the tree, without following
/// symbolic links below the output root.
enum DeliveredTree {
    /// What is at `path`: absent, a regular file (size and SHA-256, read in 1 MiB chunks),
    /// something else, or unreadable.
    /// The first directory on `relative`'s way below `root` that is a symbolic link, if any.
    static func linkedDirectory(root: String, relative: String) -> String? {
        var current = root
        var shown: [Substring] = []
        for component in relative.split(separator: "/").dropLast() {
            current += "/" + component
            shown.append(component)
            var info = stat()
            if lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK { return shown.joined(separator: "/") }
        }
        return nil
    }

    static func observe(_ path: String) -> OutputVerification.Observation {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            return code == ENOENT || code == ENOTDIR ? .absent : .unreadable(reason: reason(code))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .notRegularFile(kind: kind(info.st_mode)) }
        // O_NONBLOCK: a FIFO swapped in after the lstat does not block the open; fstat then
        // vouches for what was opened.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return .unreadable(reason: reason(errno)) }
        defer { close(descriptor) }
        var opened = stat()
        guard fstat(descriptor, &opened) == 0 else { return .unreadable(reason: reason(errno)) }
        guard opened.st_mode & S_IFMT == S_IFREG else { return .notRegularFile(kind: kind(opened.st_mode)) }
        switch FileDigest.sha256(of: descriptor) {
        case .success(let measured): return .file(size: measured.size, sha256: measured.sha256)
        case .failure(let error): return .unreadable(reason: reason(error.code))
        }
    }

    /// The checksum file at `path`, if it is a regular file: its first 4 KiB (a valid one is
    /// far shorter).
    static func readChecksumFile(_ path: String) -> OutputVerification.ChecksumObservation {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            return code == ENOENT || code == ENOTDIR ? .absent : .unreadable(reason: reason(code))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .content([]) }
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return .unreadable(reason: reason(errno)) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable(reason: reason(errno))
            }
            if count == 0 { break }
            filled += count
        }
        return .content(Array(buffer.prefix(filled)))
    }

    /// The regular files below `root/below` (`below` relative, `""` for the whole tree), as
    /// paths relative to `root`. Directories are entered only when they are directories
    /// themselves (a symbolic link to one is not followed); `skipping` directories (relative)
    /// are not entered.
    static func scan(root: String, below: String, skipping: Set<String>) -> OutputVerification.Scan {
        var scan = OutputVerification.Scan(files: [])
        var start = stat()
        // A job's directory that is a symbolic link is not followed either (as in a full walk).
        if !below.isEmpty, lstat(root + "/" + below, &start) == 0, start.st_mode & S_IFMT != S_IFDIR { return scan }
        var pending = [below]
        while let relative = pending.popLast() {
            if skipping.contains(relative) {
                scan.skippedDirectories.append(relative)
                continue
            }
            let directory = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                // Foundation's error hides errno; ask again for it.
                let handle = opendir(directory)
                let code = handle == nil ? errno : 0
                if let handle { closedir(handle) }
                if code == ENOENT { continue }  // Nothing delivered there yet.
                scan.unreadable.append(.init(path: relative.isEmpty ? "." : relative,
                                             reason: code != 0 ? reason(code) : "cannot list the directory"))
                continue
            }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(root + "/" + child, &info) == 0 else { continue }  // Gone since the listing.
                switch info.st_mode & S_IFMT {
                case S_IFDIR: pending.append(child)
                case S_IFREG: scan.files.append(child)
                default: continue  // Symbolic links, sockets, FIFOs: nothing the daemon delivers.
                }
            }
        }
        return scan
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        default: "something that is not a regular file"
        }
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
