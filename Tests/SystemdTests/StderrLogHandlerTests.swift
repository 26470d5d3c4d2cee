import Logging
import Systemd
import Testing

@Suite("StderrLogHandler")
struct StderrLogHandlerTests {
    private func logger(_ pipe: Pipe, redactor: SecretRedactor? = nil, provider: Logger.MetadataProvider? = nil) -> Logger {
        Logger(label: "exportsync.test") { label in
            StderrLogHandler(
                label: label,
                logLevel: .trace,
                redactor: redactor,
                output: FileDescriptorLineWriter(fileDescriptor: pipe.writeDescriptor),
                metadataProvider: provider
            )
        }
    }

    @Test("One line: <N> prefix, message, sorted key=value metadata")
    func format() throws {
        let pipe = try Pipe()
        var logger = self.logger(pipe, provider: Logger.MetadataProvider { ["source": "workiva"] })
        logger[metadataKey: "job"] = "nightly-csv"
        logger.notice("file written", metadata: ["bytes": "1024", "path": "out/a b.csv", "empty": ""])
        #expect(pipe.readAvailable() == "<5>file written bytes=1024 empty=\"\" job=nightly-csv path=\"out/a b.csv\" source=workiva\n")
    }

    @Test("Levels map to <N> prefixes", arguments: [
        (Logger.Level.trace, "<7>"), (.debug, "<7>"), (.info, "<6>"), (.notice, "<5>"),
        (.warning, "<4>"), (.error, "<3>"), (.critical, "<2>"),
    ])
    func prefixes(level: Logger.Level, prefix: String) throws {
        let pipe = try Pipe()
        self.logger(pipe).log(level: level, "x")
        #expect(pipe.readAvailable() == prefix + "x\n")
    }

    @Test("Newlines and control characters are escaped so an entry stays one line")
    func escaping() throws {
        let pipe = try Pipe()
        self.logger(pipe).error("line 1\nline 2\r\\end\u{1B}[0m", metadata: ["body": "say \"hi\"\nbye", "k=v": "1"])
        let output = pipe.readAvailable()
        #expect(output == "<3>line 1\\nline 2\\r\\\\end\\x1B[0m body=\"say \\\"hi\\\"\\nbye\" k_v=1\n")
        #expect(output.filter { $0 == "\n" }.count == 1)
    }

    @Test("Secrets are redacted")
    func redaction() throws {
        let pipe = try Pipe()
        self.logger(pipe, redactor: SecretRedactor(secrets: ["hunter2"])).warning("login with hunter2", metadata: ["password": "hunter2"])
        #expect(pipe.readAvailable() == "<4>login with [REDACTED] password=[REDACTED]\n")
    }
}
