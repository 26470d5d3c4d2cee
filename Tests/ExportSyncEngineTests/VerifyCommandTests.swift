import Foundation
import TestSupport
import Testing

/// `exportsync verify` and `checksum_files` after real runs against the sandbox: real binary,
/// real SQLite, real files, and the real `sha256sum`.
@Suite("exportsync verify (real processes, sandbox)")
struct VerifyCommandTests {
    /// An attachment job writing below `nightly/`, so `--job` has a directory to walk.
    static func nightlyJob(_ name: String, attachment: String) -> String {
        """
        [[jobs]]
        name = "\(name)"
        source = "workiva"
        kind = "sample-attachment-export"
        every = "1d"
        deadline = "2m"
        output = "nightly/{job}-{date}.{ext}"
        \(sampleLocator)attachment = "\(attachment)"

        """
    }

    /// An upload job whose inbox (and so its done and failed directories) lies in the output tree.
    static let uploadJob = """
        [[jobs]]
        name = "t-up"
        source = "workiva"
        kind = "sample-attachment-upload"
        \(sampleLocator)inbox = "out/inbox"

        """

    func verify(_ harness: SandboxHarness, _ extra: [String] = []) async throws -> ExecutableRunner.Result {
        try await ExecutableRunner.run(["verify", "--config", harness.configPath] + extra)
    }

    @Test("clean tree exits 0; an altered, a deleted and an unrecorded file exit 1, one line each; --job narrows; read-only",
          .timeLimit(.minutes(3)))
    func differences() async throws {
        let harness = try await TransientFaultTests.harness(faults: "", workiva: ["v1", "v2", "v3"], webAdmit: [:])
        defer { Task { await harness.shutdown() } }
        let jobs = attachmentJob("t-v1", attachment: "att-v1") + attachmentJob("t-v2", attachment: "att-v2")
            + Self.nightlyJob("t-v3", attachment: "att-v3")
        try harness.writeConfig(jobs: jobs)
        let once = try await harness.runOnce()
        #expect(once.status == 0, "\(once.log.suffix(3_000))")

        let clean = try await verify(harness)
        #expect(clean.status == 0, "\(clean.standardOutput)\(clean.standardError)")
        #expect(clean.standardOutput == "verify: 3 recorded file(s) checked: all intact, no unrecorded files\n")

        // Not differences: a temp file the daemon would sweep, an upload job's inbox and done
        // directory below the output root.
        let out = harness.outputRoot
        let fileManager = FileManager.default
        try Data("partial".utf8).write(to: out.appendingPathComponent(".t-v1.pdf.exportsync-part-0123abcd"))
        try fileManager.createDirectory(at: out.appendingPathComponent("inbox/done"), withIntermediateDirectories: true)
        try Data("waiting".utf8).write(to: out.appendingPathComponent("inbox/waiting.pdf"))
        try Data("sent".utf8).write(to: out.appendingPathComponent("inbox/done/sent.pdf"))
        try harness.writeConfig(jobs: jobs + Self.uploadJob)
        let stillClean = try await verify(harness)
        #expect(stillClean.status == 0, "\(stillClean.standardOutput)\(stillClean.standardError)")

        // Alter one, delete one, drop two strangers in.
        let altered = out.appendingPathComponent("t-v1.pdf")
        var content = try Data(contentsOf: altered)
        let recordedSHA = SHA256Hex.of(content)
        let recordedSize = content.count
        content.append(0x0A)
        try content.write(to: altered)
        try fileManager.removeItem(at: out.appendingPathComponent("t-v2.pdf"))
        try Data("stray".utf8).write(to: out.appendingPathComponent("extra.txt"))
        try Data("stray".utf8).write(to: out.appendingPathComponent("nightly/stray.txt"))

        let database = harness.directory.appendingPathComponent("state/exportsync.sqlite3")
        let databaseBefore = try Data(contentsOf: database)
        let dirty = try await verify(harness)
        #expect(dirty.status == 1, "\(dirty.standardOutput)\(dirty.standardError)")
        #expect(dirty.standardOutput.split(separator: "\n") == [
            "UNRECORDED extra.txt",
            "UNRECORDED nightly/stray.txt",
            "ALTERED t-v1.pdf (expected sha256 \(recordedSHA) size \(recordedSize), found sha256 \(SHA256Hex.of(content)) size \(content.count))",
            "MISSING t-v2.pdf",
            "verify: 3 recorded file(s) checked: 1 missing, 1 altered, 2 unrecorded",
        ])
        #expect(try Data(contentsOf: database) == databaseBefore, "verify wrote to the database")

        // --job: that job's records, and only the directory its template fixes.
        let nightly = try await verify(harness, ["--job", "t-v3"])
        #expect(nightly.status == 1, "\(nightly.standardOutput)\(nightly.standardError)")
        #expect(nightly.standardOutput == "UNRECORDED nightly/stray.txt\nverify: 1 recorded file(s) checked: 1 unrecorded\n")
        // `{job}.{ext}` fixes no directory: records only, and a note why.
        let single = try await verify(harness, ["--job", "t-v1"])
        #expect(single.status == 1)
        #expect(single.standardOutput.split(separator: "\n").count == 2)
        #expect(single.standardOutput.hasPrefix("ALTERED t-v1.pdf "))
        #expect(single.standardError.contains("not looking for unrecorded files"))
        let unknown = try await verify(harness, ["--job", "nope"])
        #expect(unknown.status == 64, "\(unknown.standardError)")
        let upload = try await verify(harness, ["--job", "t-up"])
        #expect(upload.status == 64, "\(upload.standardError)")
    }

    @Test("checksum_files = true writes NAME.sha256 that sha256sum -c accepts; verify checks it", .timeLimit(.minutes(3)))
    func checksumFiles() async throws {
        let harness = try await TransientFaultTests.harness(faults: "", workiva: ["c1", "c2"], webAdmit: [:])
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: job("t-c1", "sample-attachment-export", sampleLocator + "attachment = \"att-c1\"\nchecksum_files = true")
            + attachmentJob("t-c2", attachment: "att-c2"))
        let once = try await harness.runOnce()
        #expect(once.status == 0, "\(once.log.suffix(3_000))")

        let out = harness.outputRoot
        let sidecar = out.appendingPathComponent("t-c1.pdf.sha256")
        let sha = try #require(harness.sha256(of: "t-c1.pdf"))
        #expect(try String(contentsOf: sidecar, encoding: .utf8) == "\(sha)  t-c1.pdf\n")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("t-c2.pdf.sha256").path), "t-c2 did not ask for one")
        #expect(harness.temporaryFiles().isEmpty, "\(harness.temporaryFiles())")

        let check = try await Self.run("/usr/bin/sha256sum", ["-c", "t-c1.pdf.sha256"], in: out)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output == "t-c1.pdf: OK\n")

        let clean = try await ExecutableRunner.run(["verify", "--config", harness.configPath])
        #expect(clean.status == 0, "\(clean.standardOutput)\(clean.standardError)")
        #expect(clean.standardOutput == "verify: 2 recorded file(s) checked: all intact, no unrecorded files\n")

        try Data("\(String(repeating: "0", count: 64))  t-c1.pdf\n".utf8).write(to: sidecar)
        let stale = try await ExecutableRunner.run(["verify", "--config", harness.configPath])
        #expect(stale.status == 1)
        #expect(stale.standardOutput.split(separator: "\n") == [
            "ALTERED t-c1.pdf.sha256 (the checksum file does not state the recorded sha256 \(sha) of t-c1.pdf)",
            "verify: 2 recorded file(s) checked: 1 altered",
        ])
    }

    @Test("78 for an invalid configuration, 74 for a database that is not one; without a database every file is unrecorded; symlinks not followed")
    func failures() async throws {
        let scratch = try ScratchDirectory()
        let bad = try scratch.write("bad.toml", "[daemon\n")
        let invalid = try await ExecutableRunner.run(["verify", "--config", bad])
        #expect(invalid.status == 78)
        #expect(invalid.standardOutput.isEmpty)

        let config = try scratch.write("ok.toml", """
            [daemon]
            state_directory = "state"
            output_directory = "out"

            [sources.admissions]
            type = "webadmit"
            base_url = "https://api.webadmit.org"
            user_identity = 1
            api_key_env = "WEBADMIT_API_KEY"

            [[jobs]]
            name = "nightly"
            source = "admissions"
            kind = "webadmit-export"
            export = 1
            every = "1d"
            output = "{filename}"
            """)
        let empty = try await ExecutableRunner.run(["verify", "--config", config])
        #expect(empty.status == 0, "no database, no output directory: nothing delivered, nothing differs")
        #expect(empty.standardOutput == "verify: 0 recorded file(s) checked: all intact, no unrecorded files\n")

        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("out/sub"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: scratch.url.appendingPathComponent("out/sub/left\u{1B}[2Jover.csv"))
        // A symbolic link out of the tree is neither followed nor reported.
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        try Data("y".utf8).write(to: scratch.url.appendingPathComponent("elsewhere/outside.csv"))
        try FileManager.default.createSymbolicLink(
            at: scratch.url.appendingPathComponent("out/link"), withDestinationURL: scratch.url.appendingPathComponent("elsewhere"))
        let stray = try await ExecutableRunner.run(["verify", "--config", config])
        #expect(stray.status == 1)
        #expect(stray.standardOutput == "UNRECORDED sub/left\\x1B[2Jover.csv\nverify: 0 recorded file(s) checked: 1 unrecorded\n")

        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("state"), withIntermediateDirectories: true)
        try Data("not a database at all, just text".utf8).write(to: scratch.url.appendingPathComponent("state/exportsync.sqlite3"))
        let corrupt = try await ExecutableRunner.run(["verify", "--config", config])
        #expect(corrupt.status == 74, "\(corrupt.standardOutput)\(corrupt.standardError)")
        #expect(corrupt.standardError.hasPrefix("exportsync verify: "))

        // A database that cannot be reached (here the state "directory" is a file: ENOTDIR; under
        // DynamicUser a non-root user gets EACCES) is an error, not "nothing delivered".
        try FileManager.default.removeItem(at: scratch.url.appendingPathComponent("state"))
        try Data("a file".utf8).write(to: scratch.url.appendingPathComponent("state"))
        let unreachable = try await ExecutableRunner.run(["verify", "--config", config])
        #expect(unreachable.status == 74, "\(unreachable.standardOutput)\(unreachable.standardError)")
        #expect(unreachable.standardError.contains("cannot read the database"))
        #expect(unreachable.standardOutput.isEmpty)
    }

    /// Runs a program in `directory` to completion on a thread of its own (not the test's
    /// cooperative pool), returning its exit status and standard output plus error.
    static func run(_ program: String, _ arguments: [String], in directory: URL) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: program)
                    process.arguments = arguments
                    process.currentDirectoryURL = directory
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    try process.run()
                    let output = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}
