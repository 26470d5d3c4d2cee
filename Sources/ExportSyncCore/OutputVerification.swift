/// `exportsync verify`'s decisions: given what the state database says was delivered and what
/// the adapter found on disk, which files are missing, altered or unrecorded. No I/O: the
/// command reads the records, hashes the files and walks the tree, then hands the facts here.
public enum OutputVerification {
    /// What the database says a delivered file is: the latest record of its path.
    public struct Record: Sendable, Hashable {
        /// Relative to the output root.
        public var path: String
        /// Size in bytes.
        public var size: Int64
        /// Lower-case hex SHA-256.
        public var sha256: String

        /// Creates a record.
        public init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// What is at a recorded path now.
    public enum Observation: Sendable, Hashable {
        /// Nothing.
        case absent
        /// A regular file, hashed.
        case file(size: Int64, sha256: String)
        /// Something else: `kind` says what, for the message ("a directory", "a symbolic link").
        case notRegularFile(kind: String)
        /// It could not be read (permissions, an I/O error): verify cannot tell.
        case unreadable(reason: String)
    }

    /// What is at a recorded file's ``ChecksumFile`` path now.
    public enum ChecksumObservation: Sendable, Hashable {
        /// No checksum file (`checksum_files` was off when the file was written, or it was removed).
        case absent
        /// A checksum file with these bytes (the first few hundred are enough).
        case content([UInt8])
        /// It could not be read.
        case unreadable(reason: String)
    }

    /// One recorded file and what was found for it.
    public struct Check: Sendable, Hashable {
        public var record: Record
        public var observation: Observation
        public var checksum: ChecksumObservation

        /// Creates a check.
        public init(record: Record, observation: Observation, checksum: ChecksumObservation = .absent) {
            self.record = record
            self.observation = observation
            self.checksum = checksum
        }
    }

    /// The regular files found below the scanned part of the output tree.
    public struct Scan: Sendable, Hashable {
        /// Paths relative to the output root, of regular files only (symbolic links are not
        /// followed, nor counted).
        public var files: [String]
        /// Directories that could not be listed, with the reason.
        public var unreadable: [Unreadable]
        /// Directories not walked (upload inboxes and their `done`/`failed` directories),
        /// relative to the output root.
        public var skippedDirectories: [String]

        /// A path that could not be read.
        public struct Unreadable: Sendable, Hashable {
            public var path: String
            public var reason: String

            /// Creates one.
            public init(path: String, reason: String) {
                self.path = path
                self.reason = reason
            }
        }

        /// Creates a scan result.
        public init(files: [String], unreadable: [Unreadable] = [], skippedDirectories: [String] = []) {
            self.files = files
            self.unreadable = unreadable
            self.skippedDirectories = skippedDirectories
        }
    }

    /// One problem, printed as one line.
    public enum Finding: Sendable, Hashable {
        /// A recorded file is gone.
        case missing(path: String)
        /// A recorded file's content differs from the record.
        case altered(path: String, expected: Record, found: Observation)
        /// A checksum file beside a recorded file does not state the recorded digest.
        case alteredChecksumFile(path: String, of: Record)
        /// A regular file below the output root that no record names.
        case unrecorded(path: String)
        /// A file or directory verify could not read.
        case unreadable(path: String, reason: String)

        /// The path the line names, relative to the output root.
        public var path: String {
            switch self {
            case .missing(let path), .altered(let path, _, _), .alteredChecksumFile(let path, _),
                 .unrecorded(let path), .unreadable(let path, _): path
            }
        }

        /// Whether the finding means verify could not do its job (exit 2), not a difference.
        public var isTrouble: Bool {
            if case .unreadable = self { return true }
            return false
        }

        /// `MISSING nightly/report-2026-12-01.pdf`, `ALTERED … (expected sha256 X size N, found
        /// sha256 Y size M)`, `UNRECORDED …`, `UNREADABLE … (reason)`. Not yet escaped for a
        /// terminal.
        public var line: String {
            switch self {
            case .missing(let path):
                return "MISSING \(path)"
            case .altered(let path, let expected, let found):
                let what: String = switch found {
                case .file(let size, let sha256): "sha256 \(sha256) size \(size)"
                case .notRegularFile(let kind): kind
                case .absent: "nothing"
                case .unreadable(let reason): "an unreadable file (\(reason))"
                }
                return "ALTERED \(path) (expected sha256 \(expected.sha256) size \(expected.size), found \(what))"
            case .alteredChecksumFile(let path, let record):
                let name = record.path.split(separator: "/").last.map(String.init) ?? record.path
                return "ALTERED \(path) (the checksum file does not state the recorded sha256 \(record.sha256) of \(name))"
            case .unrecorded(let path):
                return "UNRECORDED \(path)"
            case .unreadable(let path, let reason):
                return "UNREADABLE \(path) (\(reason))"
            }
        }
    }

    /// How verify ends, as `diff` does: 0 nothing differs, 1 differences, 2 trouble.
    public enum Outcome: Int32, Sendable, Hashable {
        case clean = 0
        case differences = 1
        case trouble = 2
    }

    /// What verify found, sorted by path.
    public struct Report: Sendable, Hashable {
        /// Every problem, by path (then by kind).
        public var findings: [Finding]
        /// How many recorded files were checked.
        public var checkedCount: Int
        /// Whether unrecorded files were looked for.
        public var scanned: Bool

        /// The exit status: trouble wins over differences.
        public var outcome: Outcome {
            if findings.contains(where: \.isTrouble) { return .trouble }
            return findings.isEmpty ? .clean : .differences
        }

        /// How many findings of each kind, for the summary.
        func count(_ predicate: (Finding) -> Bool) -> Int { findings.filter(predicate).count }

        /// `verify: 12 recorded file(s) checked: 1 missing, 2 altered, 1 unrecorded` or
        /// `verify: 12 recorded file(s) checked: all intact, no unrecorded files`.
        public var summary: String {
            let missing = count { if case .missing = $0 { true } else { false } }
            let altered = count {
                switch $0 {
                case .altered, .alteredChecksumFile: true
                default: false
                }
            }
            let unrecorded = count { if case .unrecorded = $0 { true } else { false } }
            let unreadable = count(\.isTrouble)
            let head = "verify: \(checkedCount) recorded file(s) checked: "
            let parts = [(missing, "missing"), (altered, "altered"), (unrecorded, "unrecorded"), (unreadable, "unreadable")]
                .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
            if parts.isEmpty { return head + (scanned ? "all intact, no unrecorded files" : "all intact") }
            return head + parts.joined(separator: ", ")
        }

        /// One line per finding, then the summary.
        public var lines: [String] { findings.map(\.line) + [summary] }
    }

    /// Compares every check's record with what was found, and (when `scan` is given) reports
    /// the scanned files no record names.
    ///
    /// - Parameters:
    ///   - checks: the records verified (all of them, or one job's) and what is on disk.
    ///   - scan: the regular files below the scanned part of the tree; `nil` when not scanned.
    ///   - recordedPaths: every path any record names (whatever job wrote it), so a file of a
    ///     job not being verified is never called unrecorded.
    public static func verify(_ checks: [Check], scan: Scan?, recordedPaths: Set<String>) -> Report {
        var findings: [Finding] = []
        for check in checks {
            let record = check.record
            switch check.observation {
            case .absent:
                findings.append(.missing(path: record.path))
                continue  // Its checksum file, if any, only repeats the record.
            case .file(let size, let sha256) where size == record.size && sha256.lowercased() == record.sha256.lowercased():
                break
            case .unreadable(let reason):
                findings.append(.unreadable(path: record.path, reason: reason))
            case .file, .notRegularFile:
                findings.append(.altered(path: record.path, expected: record, found: check.observation))
            }
            let checksumPath = ChecksumFile.path(for: record.path)
            let name = record.path.split(separator: "/").last.map(String.init) ?? record.path
            switch check.checksum {
            case .absent:
                break
            case .content(let bytes):
                if !ChecksumFile.matches(bytes, sha256: record.sha256, fileName: name) {
                    findings.append(.alteredChecksumFile(path: checksumPath, of: record))
                }
            case .unreadable(let reason):
                findings.append(.unreadable(path: checksumPath, reason: reason))
            }
        }
        if let scan {
            findings += unrecorded(scan.files, recordedPaths: recordedPaths).map { Finding.unrecorded(path: $0) }
            findings += scan.unreadable.map { Finding.unreadable(path: $0.path, reason: $0.reason) }
        }
        findings.sort { ($0.path, $0.line) < ($1.path, $1.line) }
        return Report(findings: findings, checkedCount: checks.count, scanned: scan != nil)
    }

    /// The scanned files no record names, by path. Not counted: the daemon's temp files
    /// (``PathTemplate/isTemporaryFileName(_:)``, removed at the next start) and checksum files
    /// (`X.sha256`) beside a recorded or present file `X`.
    public static func unrecorded(_ files: [String], recordedPaths: Set<String>) -> [String] {
        let present = Set(files)
        return files.filter { path in
            if recordedPaths.contains(path) { return false }
            let name = path.split(separator: "/").last.map(String.init) ?? path
            if PathTemplate.isTemporaryFileName(name) { return false }
            if path.hasSuffix(ChecksumFile.suffix) {
                let described = String(path.dropLast(ChecksumFile.suffix.count))
                if !described.isEmpty, !described.hasSuffix("/"), recordedPaths.contains(described) || present.contains(described) {
                    return false
                }
            }
            return true
        }
        .sorted()
    }
}
