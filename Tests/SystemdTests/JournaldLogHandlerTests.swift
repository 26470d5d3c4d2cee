import CSystemd
import Glibc
import Logging
import Systemd
import Testing

@Suite("JournaldLogHandler")
struct JournaldLogHandlerTests {
    private struct Fixture {
        let listener: DatagramListener
        let fallback: Pipe
        let connection: JournalConnection

        init(sendTimeout: Duration = .milliseconds(100)) throws {
            self.listener = try DatagramListener()
            self.fallback = try Pipe()
            self.connection = JournalConnection(socketPath: self.listener.address, sendTimeout: sendTimeout)
        }

        func logger(
            label: String = "exportsync.test",
            redactor: SecretRedactor? = nil,
            metadataProvider: Logger.MetadataProvider? = nil
        ) -> Logger {
            Logger(label: label) { label in
                JournaldLogHandler(
                    label: label,
                    connection: self.connection,
                    syslogIdentifier: "exportsync",
                    logLevel: .trace,
                    redactor: redactor,
                    fallback: FileDescriptorLineWriter(fileDescriptor: self.fallback.writeDescriptor),
                    metadataProvider: metadataProvider
                )
            }
        }

        func receiveEntry(sourceLocation: SourceLocation = #_sourceLocation) throws -> [JournalNativeParser.Field] {
            let datagram = try #require(try self.listener.receive(), "no journal entry", sourceLocation: sourceLocation)
            return try JournalNativeParser.parse(datagram.payload)
        }
    }

    @Test("An entry carries message, priority, identifier, code location, label and metadata")
    func standardFields() throws {
        let fixture = try Fixture()
        var logger = fixture.logger(label: "exportsync.engine")
        logger[metadataKey: "job"] = "nightly-csv"
        let line: UInt = #line + 1
        logger.warning("poll slowed down", metadata: ["run-id": "42", "httpStatus": "429"])

        let fields = try fixture.receiveEntry()
        #expect(fields.value("MESSAGE") == "poll slowed down")
        #expect(fields.value("PRIORITY") == "4")
        #expect(fields.value("SYSLOG_IDENTIFIER") == "exportsync")
        #expect(fields.value("CODE_FILE") == "SystemdTests/JournaldLogHandlerTests.swift")
        #expect(fields.value("CODE_LINE") == String(line))
        #expect(fields.value("CODE_FUNC") == "standardFields()")
        #expect(fields.value("LOGGER_LABEL") == "exportsync.engine")
        #expect(fields.value("JOB") == "nightly-csv")
        #expect(fields.value("RUN_ID") == "42")
        #expect(fields.value("HTTP_STATUS") == "429")
        #expect(fields.allSatisfy { !$0.binary })
        #expect(fields.count == 10)
        #expect(fixture.fallback.readAvailable().isEmpty)
    }

    @Test("swift-log levels map to syslog priorities", arguments: [
        (Logger.Level.trace, "7"), (.debug, "7"), (.info, "6"), (.notice, "5"),
        (.warning, "4"), (.error, "3"), (.critical, "2"),
    ])
    func priorityMapping(level: Logger.Level, priority: String) throws {
        let fixture = try Fixture()
        fixture.logger().log(level: level, "x")
        #expect(try fixture.receiveEntry().value("PRIORITY") == priority)
    }

    @Test("Multi-line values use the length-prefixed binary form, byte for byte")
    func multiLineValues() throws {
        let fixture = try Fixture()
        fixture.logger().error("first line\nsecond line", metadata: ["body": "a\nb"])

        let payload = try #require(try fixture.listener.receive()).payload
        let message = Array("first line\nsecond line".utf8)
        var expectedMessage = Array("MESSAGE\n".utf8)
        expectedMessage += [UInt8(message.count), 0, 0, 0, 0, 0, 0, 0]
        expectedMessage += message + [UInt8(ascii: "\n")]
        #expect(Array(payload.prefix(expectedMessage.count)) == expectedMessage)

        let fields = try JournalNativeParser.parse(payload)
        let body = try #require(fields.first { $0.name == "BODY" })
        #expect(body.binary && body.value == "a\nb")
        #expect(fields.first { $0.name == "PRIORITY" }?.binary == false)
    }

    @Test("Metadata keys are sanitised to journald's rule", arguments: [
        ("job", "JOB"), ("run-id", "RUN_ID"), ("run.id", "RUN_ID"), ("runID", "RUN_ID"),
        ("operationId", "OPERATION_ID"), ("http status", "HTTP_STATUS"), ("_PID", "PID"),
        ("__SYSTEMD_UNIT", "SYSTEMD_UNIT"), ("3d", "F_3D"), ("message", "META_MESSAGE"),
        ("priority", "META_PRIORITY"), ("größe", "GR_E"), ("---", "FIELD"), ("error.message", "ERROR_MESSAGE"),
    ])
    func keySanitising(key: String, field: String) throws {
        #expect(JournalFieldName.sanitize(key) == field)
        #expect(JournalFieldName.isValid(field))

        let fixture = try Fixture()
        fixture.logger().info("m", metadata: [key: "v"])
        let fields = try fixture.receiveEntry()
        #expect(fields.values(field) == ["v"])
        #expect(fields.values("MESSAGE") == ["m"])
        #expect(fields.values("PRIORITY") == ["6"])
    }

    @Test("Long keys are cut to 64 characters and every produced name is valid")
    func longKeys() throws {
        let name = JournalFieldName.sanitize(String(repeating: "abc-", count: 40))
        #expect(name.utf8.count <= 64)
        #expect(JournalFieldName.isValid(name))
        #expect(name.hasPrefix("ABC_ABC_"))
        for key in ["", "_", "9", "a b c", "ÄÖÜ", "x\ny", String(repeating: "_", count: 70) + "z"] {
            #expect(JournalFieldName.isValid(JournalFieldName.sanitize(key)), "\(key)")
        }
    }

    @Test("Handler, provider and call metadata merge with the call winning")
    func metadataMerging() throws {
        let fixture = try Fixture()
        let provider = Logger.MetadataProvider { ["source": "workiva", "job": "from-provider"] }
        var logger = fixture.logger(metadataProvider: provider)
        logger[metadataKey: "job"] = "from-handler"
        logger[metadataKey: "attempt"] = .stringConvertible(3)
        logger[metadataKey: "ids"] = ["a", "b"]
        logger.info("merged", metadata: ["job": "from-call"])

        let fields = try fixture.receiveEntry()
        #expect(fields.values("JOB") == ["from-call"])
        #expect(fields.value("SOURCE") == "workiva")
        #expect(fields.value("ATTEMPT") == "3")
        #expect(fields.value("IDS") == #"["a", "b"]"#)

        // Without call metadata, the provider overrides the handler.
        logger.info("provider wins")
        #expect(try fixture.receiveEntry().values("JOB") == ["from-provider"])
    }

    @Test("An attached error becomes ERROR_MESSAGE and ERROR_TYPE")
    func errorFields() throws {
        struct DiskFull: Error, CustomStringConvertible {
            var description: String { "disk full" }
        }
        let fixture = try Fixture()
        fixture.logger().error("write failed", error: DiskFull())
        let fields = try fixture.receiveEntry()
        #expect(fields.value("ERROR_MESSAGE") == "disk full")
        #expect(fields.value("ERROR_TYPE")?.hasSuffix("DiskFull") == true)
    }

    @Test("Secrets are redacted in the message, metadata values and keys")
    func redaction() throws {
        let fixture = try Fixture()
        let redactor = SecretRedactor(secrets: ["s3cr3t-token"])
        let logger = fixture.logger(redactor: redactor)
        logger.info("Authorization: Bearer s3cr3t-token", metadata: ["header": "x-api-key=s3cr3t-token; s3cr3t-token", "s3cr3t-token": "k"])

        let datagram = try #require(try fixture.listener.receive())
        #expect(!datagram.text.contains("s3cr3t"))
        let fields = try JournalNativeParser.parse(datagram.payload)
        #expect(fields.value("MESSAGE") == "Authorization: Bearer [REDACTED]")
        #expect(fields.value("HEADER") == "x-api-key=[REDACTED]; [REDACTED]")
        #expect(fields.value("REDACTED") == "k")

        // Secrets added after bootstrap apply to existing loggers.
        redactor.add(["late-key"])
        logger.info("using late-key")
        #expect(try fixture.receiveEntry().value("MESSAGE") == "using [REDACTED]")
    }

    @Test("An entry too large for a datagram goes through a sealed memfd")
    func largeEntryUsesMemfd() throws {
        let fixture = try Fixture()
        // Larger than any send buffer the kernel grants (SO_SNDBUF asks for 8 MiB).
        let message = String(repeating: "0123456789abcdef", count: 12 * 1024 * 1024 / 16)
        fixture.logger().notice("\(message)", metadata: ["job": "big"])

        let datagram = try #require(try fixture.listener.receive(capacity: 4096))
        #expect(datagram.payload.isEmpty)
        let memfd = try #require(datagram.passedDescriptor)
        defer { close(memfd) }
        let seals = exportsync_memfd_seals(memfd)
        let required = EXPORTSYNC_F_SEAL_SHRINK | EXPORTSYNC_F_SEAL_GROW | EXPORTSYNC_F_SEAL_WRITE
        #expect(seals >= 0 && seals & required == required)

        let fields = try JournalNativeParser.parse(readAll(descriptor: memfd))
        #expect(fields.value("MESSAGE")?.utf8.count == message.utf8.count)
        #expect(fields.value("MESSAGE") == message)
        #expect(fields.value("JOB") == "big")
        #expect(fields.value("PRIORITY") == "5")
        #expect(fixture.fallback.readAvailable().isEmpty)
    }

    @Test("A medium entry still travels as one datagram")
    func mediumEntryIsOneDatagram() throws {
        let fixture = try Fixture()
        let message = String(repeating: "m", count: 60_000)
        fixture.logger().info("\(message)")
        let datagram = try #require(try fixture.listener.receive())
        #expect(datagram.passedDescriptor == nil)
        #expect(try JournalNativeParser.parse(datagram.payload).value("MESSAGE") == message)
    }

    @Test("Without a journal socket the entry falls back to a <N> line on stderr")
    func fallbackWhenSocketMissing() throws {
        let directory = try TemporaryDirectory.make()
        defer { rmdir(directory) }
        let fallback = try Pipe()
        let handler = JournaldLogHandler(
            label: "t",
            connection: JournalConnection(socketPath: directory + "/absent"),
            syslogIdentifier: "exportsync",
            redactor: SecretRedactor(secrets: ["pw"]),
            fallback: FileDescriptorLineWriter(fileDescriptor: fallback.writeDescriptor)
        )
        let logger = Logger(label: "t") { _ in handler }
        logger.error("cannot open pw store\nretrying", metadata: ["job": "a b"])
        #expect(fallback.readAvailable() == "<3>cannot open [REDACTED] store\\nretrying job=\"a b\"\n")
    }

    /// The send timeout itself is the kernel's (`SO_SNDTIMEO`); what is ours is that a full
    /// queue ends in the fallback, with every entry written somewhere, instead of a logger
    /// that blocks forever. (No wall-clock bound: a loaded machine stretches any.)
    @Test("A journal that stops reading: entries fall back to the line writer once its queue is full", .timeLimit(.minutes(1)))
    func fullQueueFallsBack() throws {
        let fixture = try Fixture(sendTimeout: .milliseconds(20))
        let logger = fixture.logger()
        var sent = 0
        // The listener never reads: the kernel queue fills after a few hundred entries at most.
        while fixture.fallback.readAvailable().isEmpty, sent < 20_000 {
            logger.info("entry \(sent)")
            sent += 1
        }
        #expect(sent < 20_000, "the queue never filled")
        logger.info("after the queue filled")
        #expect(fixture.fallback.readAvailable().contains("after the queue filled"))
    }
}
