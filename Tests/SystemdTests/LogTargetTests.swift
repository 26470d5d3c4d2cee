import Glibc
import Logging
import Systemd
import Testing

@Suite("Log target selection")
struct LogTargetTests {
    /// A file standing in for stderr, and the `JOURNAL_STREAM` value that names it.
    private final class FakeStandardError {
        let directory: String
        let descriptor: Int32
        let journalStream: String

        init() throws {
            self.directory = try TemporaryDirectory.make()
            self.descriptor = open(self.directory + "/stderr", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            guard self.descriptor >= 0 else { throw ListenerError.systemCall("open", errno) }
            var status = stat()
            fstat(self.descriptor, &status)
            self.journalStream = "\(status.st_dev):\(status.st_ino)"
        }

        deinit {
            close(self.descriptor)
            unlink(self.directory + "/stderr")
            rmdir(self.directory)
        }
    }

    @Test("auto picks the journal when JOURNAL_STREAM matches stderr and the socket exists")
    func autoJournal() throws {
        let stderr = try FakeStandardError()
        let journal = try DatagramListener()
        let destination = LogTarget.auto.resolve(
            environment: ["JOURNAL_STREAM": stderr.journalStream],
            journalSocketPath: journal.address,
            standardErrorDescriptor: stderr.descriptor
        )
        #expect(destination == .journal)
    }

    @Test("auto falls back to stderr when anything does not match")
    func autoStderr() throws {
        let stderr = try FakeStandardError()
        let other = try FakeStandardError()
        let journal = try DatagramListener()
        let resolve = { (environment: [String: String], socketPath: String) in
            LogTarget.auto.resolve(environment: environment, journalSocketPath: socketPath, standardErrorDescriptor: stderr.descriptor)
        }
        // No variable, another file's identity, garbage.
        #expect(resolve([:], journal.address) == .stderr)
        #expect(resolve(["JOURNAL_STREAM": other.journalStream], journal.address) == .stderr)
        for garbage in ["", "1", "a:b", "1:2:3", stderr.journalStream + "0"] {
            #expect(resolve(["JOURNAL_STREAM": garbage], journal.address) == .stderr, "\(garbage)")
        }
        // Right stream, but the socket is missing, or not a socket.
        #expect(resolve(["JOURNAL_STREAM": stderr.journalStream], stderr.directory + "/absent") == .stderr)
        #expect(resolve(["JOURNAL_STREAM": stderr.journalStream], stderr.directory + "/stderr") == .stderr)
    }

    @Test("Explicit targets are obeyed")
    func explicit() {
        #expect(LogTarget.journal.resolve(environment: [:], journalSocketPath: "/nonexistent") == .journal)
        #expect(LogTarget.stderr.resolve(environment: ["JOURNAL_STREAM": "1:1"]) == .stderr)
        #expect(LogTarget(rawValue: "auto") == .auto)
        #expect(LogTarget.allCases.map(\.rawValue) == ["auto", "journal", "stderr"])
    }

    @Test("SystemdLogging builds journald handlers that reach the socket")
    func factoryJournal() throws {
        let stderr = try FakeStandardError()
        let journal = try DatagramListener()
        let redactor = SecretRedactor()
        let logging = SystemdLogging(
            syslogIdentifier: "exportsync",
            environment: ["JOURNAL_STREAM": stderr.journalStream],
            journalSocketPath: journal.address,
            logLevel: .debug,
            redactor: redactor,
            standardErrorDescriptor: stderr.descriptor
        )
        #expect(logging.destination == .journal)
        let handler = logging.makeHandler(label: "exportsync.engine")
        #expect(handler is JournaldLogHandler)
        #expect(handler.logLevel == .debug)

        redactor.add(["tok"])
        let logger = Logger(label: "exportsync.engine") { logging.makeHandler(label: $0) }
        logger.debug("tok used", metadata: ["job": "nightly-csv"])
        let fields = try JournalNativeParser.parse(try #require(try journal.receive()).payload)
        #expect(fields.value("MESSAGE") == "[REDACTED] used")
        #expect(fields.value("JOB") == "nightly-csv")
        #expect(fields.value("SYSLOG_IDENTIFIER") == "exportsync")
    }

    @Test("SystemdLogging builds stderr handlers otherwise")
    func factoryStderr() throws {
        let pipe = try Pipe()
        let logging = SystemdLogging(
            target: .auto,
            syslogIdentifier: "exportsync",
            environment: [:],
            standardError: FileDescriptorLineWriter(fileDescriptor: pipe.writeDescriptor)
        )
        #expect(logging.destination == .stderr)
        #expect(logging.makeHandler(label: "x") is StderrLogHandler)
        let logger = Logger(label: "x") { logging.makeHandler(label: $0, metadataProvider: nil) }
        logger.info("hello")
        logger.debug("below the level")
        #expect(pipe.readAvailable() == "<6>hello\n")
    }
}
