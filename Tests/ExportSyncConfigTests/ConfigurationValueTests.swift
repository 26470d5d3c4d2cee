import ExportSyncConfig
import ExportSyncCore
import Foundation
import Testing

@Suite("Configuration values")
struct ConfigurationValueTests {
    let loader = ConfigurationLoader(environment: [:], workingDirectory: "/work")

    func load(_ name: String) throws -> Configuration {
        try loader.load(path: FixturePaths.root.appendingPathComponent("valid").appendingPathComponent(name).path)
    }

    @Test("paths resolve against the configuration file's directory; defaults apply")
    func pathsAndDefaults() throws {
        let configuration = try load("all-kinds.toml")
        let directory = FixturePaths.root.appendingPathComponent("valid").path
        let parent = (directory as NSString).deletingLastPathComponent
        #expect(configuration.daemon.stateDirectory == parent + "/state")
        #expect(configuration.daemon.outputDirectory == parent + "/out")
        #expect(configuration.daemon.maxConcurrentDownloads == 4)
        guard case .workiva(let workiva)? = configuration.sources["workiva"] else {
            Issue.record("no workiva source"); return
        }
        #expect(workiva.tokenURL == "https://api.app.wdesk.com/iam/v1/oauth2/token")
        #expect(workiva.clientSecret == .credential(name: "workiva-secret"))
        #expect(workiva.apiVersion == .v2026)
        #expect(workiva.pollsPerSecond == 1)
    }

    @Test("on_file: [daemon]'s hook is every job's default, key by key; a job's own wins; an empty list turns it off")
    func deliveryHooks() throws {
        let jobs = Dictionary(uniqueKeysWithValues: try load("delivery-hooks.toml").jobs.map { ($0.name, $0) })
        #expect(jobs["inherits"]?.deliveryHook == DeliveryHook(program: "/bin/sh", arguments: ["-c", "exec /usr/bin/true"],
                                                               timeoutSeconds: 120, attempts: 3))
        #expect(jobs["own-hook"]?.deliveryHook == DeliveryHook(program: "/bin/sh", arguments: ["--strict"], timeoutSeconds: 120, attempts: 5))
        #expect(jobs["no-hook"].map { $0.deliveryHook == nil } == true)
        // Without any on_file, no job has a hook.
        #expect(try load("all-kinds.toml").jobs.allSatisfy { $0.deliveryHook == nil })
    }

    @Test("checksum_files: off by default, [daemon] sets the default, a job overrides it")
    func checksumFiles() throws {
        func jobs(daemon: String, first: String) throws -> [Bool] {
            let text = """
                [daemon]
                output_directory = "/srv/exports"
                \(daemon)
                [sources.wk]
                type = "workiva"
                base_url = "https://api.app.wdesk.com"
                client_id = "id"
                client_secret_env = "WK_SECRET"
                [[jobs]]
                name = "j1"
                source = "wk"
                kind = "document-export"
                document = "d1"
                format = "pdf"
                every = "6h"
                output = "one/{date}.pdf"
                \(first)
                [[jobs]]
                name = "j2"
                source = "wk"
                kind = "document-export"
                document = "d2"
                format = "pdf"
                every = "6h"
                output = "two/{date}.pdf"
                """
            return try loader.load(text: text, filePath: "/work/x.toml", fileMode: nil).jobs.map(\.checksumFiles)
        }
        #expect(try jobs(daemon: "", first: "") == [false, false])
        #expect(try jobs(daemon: "", first: "checksum_files = true") == [true, false])
        #expect(try jobs(daemon: "checksum_files = true", first: "") == [true, true])
        #expect(try jobs(daemon: "checksum_files = true", first: "checksum_files = false") == [false, true])
    }

    @Test("jobs carry their identifiers, schedule, options and template")
    func jobDetails() throws {
        let jobs = Dictionary(uniqueKeysWithValues: try load("all-kinds.toml").jobs.map { ($0.name, $0) })
        let evidence = try #require(jobs["sample-42-evidence"])
        #expect(evidence.payload == .sampleAttachmentExport(
            flavour: .v2026, locator: SampleLocator(testForm: "tf-1", testPhase: "tp-1", matrix: "mx-1", sample: "sm-42"), attachment: "att-7"))
        #expect(evidence.schedule.everySeconds == Int64(6 * 3_600))
        #expect(evidence.deadlineSeconds == 30 * 60)
        #expect(evidence.output?.resolve(evidence.templateValues) == "workiva/tf-1/sm-42/att-7.pdf")

        let legacy = try #require(jobs["legacy-audit-evidence"])
        guard case .sampleAttachmentExport(.prototype, let locator, "att-8") = legacy.payload else {
            Issue.record("wrong payload \(legacy.payload)"); return
        }
        #expect(locator.testForm == "audit-9" && locator.testPhase == "proc-3")

        let sheet = try #require(jobs["controls-sheet-csv"])
        #expect(sheet.payload == .contentExport(flavour: .v2026, id: "ss-100",
                                                export: ContentExportSpec(kind: .spreadsheet, format: "csv", parts: ["sheet-1"], options: ["exportAsFormulas": .bool(false)])))
        #expect(sheet.schedule.timesOfDay.map(\.description) == ["06:00", "18:00"])
        #expect(sheet.schedule.weekdays.count == 5)
        #expect(sheet.schedule.utcOffsetSeconds == -5 * 3_600)

        let nightly = try #require(jobs["nightly-applicants-csv"])
        #expect(nightly.payload == .webadmitExport(userIdentity: "12345", exportID: "86466"))

        let inbox = try #require(jobs["evidence-inbox"])
        guard case .sampleAttachmentUpload(_, _, let box) = inbox.payload else { Issue.record("not an upload"); return }
        #expect(box.doneDirectory == box.directory + "/done")
        #expect(box.maximumBytes == UploadInbox.apiPayloadLimit)
        #expect(box.settleSeconds == 5)
        #expect(inbox.output == nil)
    }

    @Test("a 2022 source defaults jobs to /platform/v1 and keeps nested file-export options")
    func legacySource() throws {
        let configuration = try load("workiva-2022-file-exports.toml")
        guard case .workiva(let source)? = configuration.sources["legacy"] else { Issue.record("no source"); return }
        #expect(source.baseURL == "https://api.eu.wdesk.com")
        #expect(source.sendAuthorizationOnUpload == false)
        #expect(source.clientSecret == .file(path: FixturePaths.root.appendingPathComponent("valid/secrets/legacy.secret").path))
        let jobs = Dictionary(uniqueKeysWithValues: configuration.jobs.map { ($0.name, $0) })
        #expect(jobs["folder-archive"]?.payload == .fileExport(
            flavour: .platformV1, file: "folder-1", fileKind: .folder(["includeAttachments": .bool(true), "includeComments": .bool(true)])))
        #expect(jobs["workiva-package"]?.payload == .fileExport(flavour: .prototype, file: "wk-2", fileKind: .workiva(["includeXBRL": .bool(true)])))
        #expect(jobs["doc-as-docx"]?.payload == .fileExport(
            flavour: .platformV1, file: "doc-4", fileKind: .document(ContentExportSpec(kind: .document, format: "docx", parts: ["s1", "s2"]))))
        #expect(jobs["deck-pdf"]?.payload == .contentExport(
            flavour: .v2026, id: "p-5", export: ContentExportSpec(kind: .presentation, format: "pdf", parts: ["sl-1"], options: ["includeComments": .bool(true)])))
        #expect(jobs["sheet-pdf"]?.output?.text == "sheets/{spreadsheet}.pdf")
    }

    @Test("a WebAdMIT source polls an export file every 5 s unless poll_interval says otherwise")
    func webAdmitPollInterval() throws {
        guard case .webadmit(let explicit)? = try load("webadmit-only.toml").sources["liaison"] else {
            Issue.record("no webadmit source"); return
        }
        #expect(explicit.pollIntervalSeconds == 90)
        guard case .webadmit(let example)? = try load("all-kinds.toml").sources["admissions"] else {
            Issue.record("no webadmit source"); return
        }
        #expect(example.pollIntervalSeconds == 5)

        func source(_ line: String) throws(ConfigurationError) -> WebAdmitSourceSpec? {
            let text = """
                [daemon]
                output_directory = "/srv/exports"
                [sources.wa]
                type = "webadmit"
                user_identity = "7"
                api_key_env = "WA_KEY"
                \(line)
                """
            guard case .webadmit(let spec)? = try loader.load(text: text, filePath: "/etc/exportsync/x.toml", fileMode: nil).sources["wa"]
            else { return nil }
            return spec
        }
        #expect(try source("")?.pollIntervalSeconds == 5)
        #expect(try source(#"poll_interval = "1s""#)?.pollIntervalSeconds == 1)
        #expect(try source(#"poll_interval = "2m""#)?.pollIntervalSeconds == 120)
        #expect(WebAdmitSourceSpec(name: "n", baseURL: "https://x", userIdentity: nil, apiKey: .environment(variable: "K"),
                                   requestsPerHour: 1).pollIntervalSeconds == 5)
        do {
            _ = try source(#"poll_interval = "0s""#)
            Issue.record("a zero poll interval was accepted")
        } catch {
            #expect(error.description == #"/etc/exportsync/x.toml:7:1: sources.wa.poll_interval: must be at least 1s, got "0s""#)
        }
    }

    @Test("STATE_DIRECTORY from systemd is the default state directory")
    func stateDirectoryFromSystemd() throws {
        let loader = ConfigurationLoader(environment: ["STATE_DIRECTORY": "/var/lib/exportsync:/var/lib/other"], workingDirectory: "/work")
        let configuration = try loader.load(path: FixturePaths.root.appendingPathComponent("valid/minimal.toml").path)
        #expect(configuration.daemon.stateDirectory == "/var/lib/exportsync")
        #expect(configuration.daemon.databasePath == "/var/lib/exportsync/exportsync.sqlite3")
        let fallback = try ConfigurationLoader(environment: [:], workingDirectory: "/work")
            .load(path: FixturePaths.root.appendingPathComponent("valid/minimal.toml").path)
        #expect(fallback.daemon.stateDirectory == "/work/state")
    }

    @Test("an inline secret is accepted only in a file nobody else can read")
    func inlineSecret() throws {
        let text = """
            [daemon]
            output_directory = "/srv/exports"
            [sources.wa]
            type = "webadmit"
            user_identity = "7"
            api_key = "k-123-secret"
            """
        let accepted = try loader.load(text: text, filePath: "/etc/exportsync/x.toml", fileMode: nil)
        guard case .webadmit(let source)? = accepted.sources["wa"], case .inline(let secret) = source.apiKey else {
            Issue.record("inline key not kept"); return
        }
        #expect(secret.reveal() == "k-123-secret")
        #expect("\(secret)" == "[REDACTED]")
        #expect("\(source)".contains("k-123-secret") == false)
        #expect(throws: ConfigurationError.self) { try loader.load(text: text, filePath: "/etc/exportsync/x.toml", fileMode: "640") }
        do {
            _ = try loader.load(text: text, filePath: "/etc/exportsync/x.toml", fileMode: "640")
        } catch {
            #expect(!error.description.contains("k-123-secret"), "a secret must never appear in an error")
        }
    }

    @Test("fingerprints are stable across loads and change with the job's settings")
    func fingerprints() throws {
        let base = """
            [daemon]
            output_directory = "/o"
            [sources.wk]
            type = "workiva"
            base_url = "https://x.example"
            client_id = "c"
            client_secret_env = "S"
            [[jobs]]
            name = "j"
            source = "wk"
            kind = "document-export"
            document = "d"
            format = "pdf"
            every = "1h"
            output = "{document}.pdf"
            """
        let first = try loader.load(text: base, filePath: "/c.toml", fileMode: nil).jobs[0].fingerprint
        let again = try loader.load(text: base, filePath: "/c.toml", fileMode: nil).jobs[0].fingerprint
        let changed = try loader.load(text: base.replacingOccurrences(of: "\"1h\"", with: "\"2h\""), filePath: "/c.toml", fileMode: nil).jobs[0].fingerprint
        #expect(first == again)
        #expect(first != changed)
        #expect(first.count == 16)
    }

    @Test("a missing file is reported with its path, not a crash")
    func missingFile() {
        do {
            _ = try loader.load(path: "/nonexistent/exportsync.toml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/exportsync.toml: cannot read the configuration file"))
        }
    }
}

@Suite("Credential resolution")
struct CredentialResolverTests {
    @Test("systemd credentials, files, environment; trailing newline dropped; errors never show the value")
    func routes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exportsync-creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "cred-value\n".write(to: directory.appendingPathComponent("workiva-secret"), atomically: true, encoding: .utf8)
        try "".write(to: directory.appendingPathComponent("empty"), atomically: true, encoding: .utf8)
        let resolver = CredentialResolver(environment: ["CREDENTIALS_DIRECTORY": directory.path, "WA_KEY": "env-value"])
        #expect(try resolver.resolve(.credential(name: "workiva-secret"), source: "w").reveal() == "cred-value")
        #expect(try resolver.resolve(.file(path: directory.appendingPathComponent("workiva-secret").path), source: "w").reveal() == "cred-value")
        #expect(try resolver.resolve(.environment(variable: "WA_KEY"), source: "a").reveal() == "env-value")
        #expect(throws: CredentialResolver.Failure.self) { try resolver.resolve(.credential(name: "missing"), source: "w") }
        #expect(throws: CredentialResolver.Failure.self) { try resolver.resolve(.credential(name: "empty"), source: "w") }
        #expect(throws: CredentialResolver.Failure.self) { try resolver.resolve(.environment(variable: "NOPE"), source: "w") }
        do {
            _ = try CredentialResolver(environment: [:]).resolve(.credential(name: "workiva-secret"), source: "w")
        } catch {
            #expect(error.description.contains("$CREDENTIALS_DIRECTORY is not set"))
        }
    }

    @Test("resolveAll reports every unreadable secret at once")
    func all() throws {
        let configuration = try ConfigurationLoader(environment: [:], workingDirectory: "/w")
            .load(path: FixturePaths.root.appendingPathComponent("valid/all-kinds.toml").path)
        do {
            _ = try CredentialResolver(environment: [:]).resolveAll(configuration)
            Issue.record("resolved without credentials")
        } catch {
            #expect(error.failures.map(\.source).sorted() == ["admissions", "workiva"])
        }
    }
}

@Suite("Plain http only to loopback")
struct LoopbackRuleTests {
    let loader = ConfigurationLoader(environment: [:], workingDirectory: "/work")

    static let cases: [(url: String, loopback: Bool)] = [
        ("http://127.0.0.1:8080", true), ("http://127.1.2.3", true), ("http://localhost:9000", true),
        ("http://LOCALHOST", true), ("http://[::1]:8080", true), ("http://[::ffff:127.0.0.1]", true),
        ("http://127.attacker.example", false), ("http://127.0.0.1.attacker.example", false),
        ("http://localhost.attacker.example", false), ("http://128.0.0.1", false), ("http://[::2]", false),
        ("http://10.0.0.1", false), ("http://0x7f.0.0.1", false),
    ]

    @Test("base_url and token_url: plain http is accepted exactly for loopback hosts", arguments: cases)
    func plainHTTP(url: String, loopback: Bool) throws {
        let text = """
            [daemon]
            output_directory = "/srv/exports"
            [sources.wk]
            type = "workiva"
            base_url = "https://api.app.wdesk.com"
            token_url = "\(url)/token"
            client_id = "id"
            client_secret_env = "WK_SECRET"
            [sources.adm]
            type = "webadmit"
            base_url = "\(url)"
            api_key_env = "ADM_KEY"
            """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loopback-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("exportsync.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try loader.load(path: path)
            #expect(loopback, "\(url) was accepted over plain http")
        } catch {
            let refused = error.issues.filter { $0.description.contains("plain http to a non-loopback host") }
            #expect(refused.count == (loopback ? 0 : 2), "\(url): \(error.description)")
        }
    }
}

@Suite("Configuration prechecks: size, key depth, NUL")
struct ConfigurationPrecheckTests {
    let loader = ConfigurationLoader(environment: [:], workingDirectory: "/work")

    func issues(_ text: String) -> [String] {
        do {
            _ = try loader.load(text: text, filePath: "/work/c.toml", fileMode: nil)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test("a table header 20,000 levels deep is refused with a line, not a crash")
    func deepHeader() {
        let text = "[daemon]\noutput_directory = \"/srv\"\n[" + Array(repeating: "a", count: 20_000).joined(separator: ".") + "]\nk = 1\n"
        #expect(issues(text) == ["3: nesting on this line goes deeper than 64 levels (keys, tables and arrays together)"])
    }

    @Test("a dotted key 20,000 parts long, also with spaces and digits, is refused")
    func deepDottedKeys() {
        for key in [Array(repeating: "a", count: 20_000).joined(separator: "."),
                    Array(repeating: "1", count: 20_000).joined(separator: " . "),
                    "x = { " + Array(repeating: "b", count: 500).joined(separator: ".")] {
            let found = issues("[daemon]\n" + key + " = 1 }\n")
            #expect(found.first?.contains("deeper than 64 levels") == true, "\(key.prefix(20)): \(found)")
        }
    }

    @Test("a 33 MB configuration is refused before parsing")
    func tooLarge() {
        let text = "[daemon]\noutput_directory = \"/srv\"\n# " + String(repeating: "x", count: 33 * 1024 * 1024) + "\n"
        #expect(issues(text).first?.hasPrefix("the configuration is \(text.utf8.count) bytes; at most") == true)
    }

    @Test("numbers, dates, dotted text in strings and comments, and literal backslashes do not count as nesting or NUL")
    func ordinaryTextPasses() {
        let floats = (0..<300).map { "\($0).5" }.joined(separator: ", ")
        let text = """
            # a comment with many dots . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . .
            x = [\(floats)]
            when = 1979-05-27T07:32:00.999999-07:00
            url = "https://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p"
            literal = '\\u0000 stays text in a literal string'
            escaped = "\\\\u0000 is a backslash and text"
            multi = \"\"\"
            a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p \\
            continued\"\"\"
            """
        let found = issues(text)
        #expect(!found.contains { $0.contains("deeper than") || $0.contains("NUL") }, "\(found)")
    }

    @Test("hostile shapes found in review: quote runs closing multi-line strings, depth spread over lines, digits in dotted keys")
    func reviewedBypasses() {
        let deepKey = Array(repeating: "k", count: 200).joined(separator: ".")
        #expect(issues("[daemon]\nx = { s = \"\"\"a\"\"\"\", \(deepKey) = 1 }\n").first?.contains("deeper than 64 levels") == true)
        #expect(issues("[daemon]\nx = { s = '''a'''', \(deepKey) = 1 }\n").first?.contains("deeper than 64 levels") == true)
        #expect(issues("[daemon]\nx = { s = \"\"\"a\"\"\"\", t = \"\\u0000\" }\n").first?.contains("escaped NUL") == true)
        let spread = (0..<3).map { _ in "{ " + Array(repeating: "k", count: 31).joined(separator: ".") + " = [" }.joined(separator: "\n")
        #expect(issues("[daemon]\nx = [\n" + spread + "\n").first?.contains("deeper than 64 levels") == true)
        let digits = Array(repeating: "1.1", count: 40).joined(separator: " . ")
        #expect(issues("[daemon]\n" + digits + " = 1\n").first?.contains("deeper than 64 levels") == true)
    }

    @Test("many shallow keys on one line are not mistaken for depth")
    func manyShallowKeysPass() {
        let rows = (0..<70).map { _ in "{ a.b = 1 }" }.joined(separator: ", ")
        let found = issues("[daemon]\nrows = [" + rows + "]\n")
        #expect(!found.contains { $0.contains("deeper than") }, "\(found)")
    }

    @Test("an escaped NUL in a basic string is refused at its position")
    func escapedNUL() {
        #expect(issues("[daemon]\nx = \"ab\\U00000000\"\n") == ["2:8: the configuration contains an escaped NUL (\\U00000000); NUL is not allowed in strings"])
    }
}
