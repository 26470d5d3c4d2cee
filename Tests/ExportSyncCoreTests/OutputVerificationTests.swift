import ExportSyncCore
import Testing

@Suite("verify: classifying the output tree")
struct OutputVerificationTests {
    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "b", count: 64)

    static func record(_ path: String, size: Int64 = 10, sha256: String = hashA) -> OutputVerification.Record {
        OutputVerification.Record(path: path, size: size, sha256: sha256)
    }

    @Test("intact files and nothing else: clean, exit 0")
    func clean() {
        let checks = [
            OutputVerification.Check(record: Self.record("nightly/a.pdf"), observation: .file(size: 10, sha256: Self.hashA)),
            OutputVerification.Check(record: Self.record("b.csv"), observation: .file(size: 10, sha256: Self.hashA.uppercased())),
        ]
        let report = OutputVerification.verify(
            checks, scan: .init(files: ["b.csv", "nightly/a.pdf"]), recordedPaths: ["nightly/a.pdf", "b.csv"])
        #expect(report.findings.isEmpty)
        #expect(report.outcome == .clean)
        #expect(report.lines == ["verify: 2 recorded file(s) checked: all intact, no unrecorded files"])
    }

    @Test("missing, altered (content and size), not a regular file, unrecorded: one line each, by path, exit 1")
    func differences() {
        let checks = [
            OutputVerification.Check(record: Self.record("nightly/gone.pdf"), observation: .absent),
            OutputVerification.Check(record: Self.record("nightly/changed.pdf"), observation: .file(size: 11, sha256: Self.hashB)),
            OutputVerification.Check(record: Self.record("dir.pdf"), observation: .notRegularFile(kind: "a directory")),
        ]
        let report = OutputVerification.verify(
            checks, scan: .init(files: ["nightly/changed.pdf", "extra.txt"]),
            recordedPaths: ["nightly/gone.pdf", "nightly/changed.pdf", "dir.pdf"])
        #expect(report.outcome == .differences)
        #expect(report.lines == [
            "ALTERED dir.pdf (expected sha256 \(Self.hashA) size 10, found a directory)",
            "UNRECORDED extra.txt",
            "ALTERED nightly/changed.pdf (expected sha256 \(Self.hashA) size 10, found sha256 \(Self.hashB) size 11)",
            "MISSING nightly/gone.pdf",
            "verify: 3 recorded file(s) checked: 1 missing, 2 altered, 1 unrecorded",
        ])
    }

    @Test("same size, other digest is altered; same digest, other size too")
    func sizeOrDigest() {
        let sameSize = OutputVerification.verify(
            [.init(record: Self.record("a"), observation: .file(size: 10, sha256: Self.hashB))], scan: nil, recordedPaths: ["a"])
        #expect(sameSize.outcome == .differences)
        let sameDigest = OutputVerification.verify(
            [.init(record: Self.record("a"), observation: .file(size: 9, sha256: Self.hashA))], scan: nil, recordedPaths: ["a"])
        #expect(sameDigest.outcome == .differences)
    }

    @Test("unreadable files and directories are trouble (exit 2), even beside differences")
    func trouble() {
        let report = OutputVerification.verify(
            [.init(record: Self.record("a"), observation: .unreadable(reason: "Permission denied")),
             .init(record: Self.record("b"), observation: .absent)],
            scan: .init(files: [], unreadable: [.init(path: "locked", reason: "Permission denied")]), recordedPaths: ["a", "b"])
        #expect(report.outcome == .trouble)
        #expect(report.lines == [
            "UNREADABLE a (Permission denied)", "MISSING b", "UNREADABLE locked (Permission denied)",
            "verify: 2 recorded file(s) checked: 1 missing, 2 unreadable",
        ])
    }

    @Test("temp files, checksum files beside a recorded or present file, and other jobs' files are not unrecorded")
    func notUnrecorded() {
        let files = [
            "nightly/.a.pdf.exportsync-part-0123abcd", "nightly/.a.pdf.exportsync-partial-42", "nightly/a.pdf", "nightly/a.pdf.sha256",
            "stray.bin", "stray.bin.sha256", "orphan.pdf.sha256", ".sha256", "other-job.csv",
            "nightly/.a.pdf.exportsync-part-0123ABCD",
        ]
        let unrecorded = OutputVerification.unrecorded(files, recordedPaths: ["nightly/a.pdf", "other-job.csv"])
        #expect(unrecorded == [".sha256", "nightly/.a.pdf.exportsync-part-0123ABCD", "orphan.pdf.sha256", "stray.bin"])
    }

    @Test("without a scan nothing is unrecorded and the summary says only what was checked")
    func noScan() {
        let report = OutputVerification.verify(
            [.init(record: Self.record("a"), observation: .file(size: 10, sha256: Self.hashA))], scan: nil, recordedPaths: ["a"])
        #expect(report.outcome == .clean)
        #expect(report.summary == "verify: 1 recorded file(s) checked: all intact")
    }

    @Test("a checksum file must state the recorded digest; a missing file's checksum file is not checked")
    func checksumFiles() {
        let good = Array(ChecksumFile.content(sha256: Self.hashA, fileName: "a.pdf").utf8)
        let stale = Array(ChecksumFile.content(sha256: Self.hashB, fileName: "a.pdf").utf8)
        let intact = OutputVerification.verify(
            [.init(record: Self.record("d/a.pdf"), observation: .file(size: 10, sha256: Self.hashA), checksum: .content(good))],
            scan: nil, recordedPaths: ["d/a.pdf"])
        #expect(intact.outcome == .clean)
        let altered = OutputVerification.verify(
            [.init(record: Self.record("d/a.pdf"), observation: .file(size: 10, sha256: Self.hashA), checksum: .content(stale))],
            scan: nil, recordedPaths: ["d/a.pdf"])
        #expect(altered.lines.first == "ALTERED d/a.pdf.sha256 (the checksum file does not state the recorded sha256 \(Self.hashA) of a.pdf)")
        let missing = OutputVerification.verify(
            [.init(record: Self.record("d/a.pdf"), observation: .absent, checksum: .content(stale))], scan: nil, recordedPaths: ["d/a.pdf"])
        #expect(missing.lines == ["MISSING d/a.pdf", "verify: 1 recorded file(s) checked: 1 missing"])
    }

    @Test("checksum file content is sha256sum's format; hand-made variants match, others do not")
    func checksumContent() {
        #expect(ChecksumFile.content(sha256: Self.hashA.uppercased(), fileName: "r 1.pdf") == "\(Self.hashA)  r 1.pdf\n")
        #expect(ChecksumFile.path(for: "nightly/r.pdf") == "nightly/r.pdf.sha256")
        #expect(ChecksumFile.content(sha256: Self.hashA, fileName: "a\\b") == "\\\(Self.hashA)  a\\\\b\n")
        func matches(_ text: String) -> Bool { ChecksumFile.matches(Array(text.utf8), sha256: Self.hashA, fileName: "r.pdf") }
        #expect(matches("\(Self.hashA)  r.pdf\n"))
        #expect(matches("\(Self.hashA.uppercased())  r.pdf\n"))
        #expect(matches("\(Self.hashA) *r.pdf\n"))
        #expect(!matches("\(Self.hashA)  r.pdf"))
        #expect(!matches("\(Self.hashA)  other.pdf\n"))
        #expect(!matches("\(Self.hashB)  r.pdf\n"))
        #expect(!matches("\(Self.hashA)  r.pdf\n\(Self.hashA)  r.pdf\n"))
        #expect(!ChecksumFile.matches([0xFF, 0xFE], sha256: Self.hashA, fileName: "r.pdf"))
    }

    @Test("a template's fixed directory: up to the first run-dependent placeholder, resolved like the file")
    func fixedDirectory() throws {
        let variable = OutputNaming.runDependentPlaceholders
        func fixed(_ text: String, _ values: [String: String] = ["job": "nightly"]) throws -> String {
            try PathTemplate(text, extraPlaceholders: ["sample"]).fixedDirectory(values, variable: variable)
        }
        #expect(try fixed("reports/{job}/{date}/{filename}") == "reports/nightly")
        #expect(try fixed("reports/{job}-{date}.pdf") == "reports")
        #expect(try fixed("{job}.{ext}") == "")
        #expect(try fixed("{date}/{job}.pdf") == "")
        #expect(try fixed("a/{sample}/b/{job}.pdf", ["job": "j", "sample": "../x"]) == "a/_x/b")
        let template = try PathTemplate("out/{sample}/{job}/{run}.pdf", extraPlaceholders: ["sample"])
        let values = ["job": "j1", "sample": "s/1", "run": "7"]
        let directory = template.fixedDirectory(values, variable: variable)
        #expect(template.resolve(values).hasPrefix(directory + "/"))
    }

    @Test("the temp-file matcher is the sweep's: exact marker and token length")
    func temporaryNames() {
        #expect(PathTemplate.isTemporaryFileName(".r.pdf.exportsync-part-0011aaff"))
        #expect(!PathTemplate.isTemporaryFileName(".r.pdf.exportsync-part-0011aaf"))
        #expect(!PathTemplate.isTemporaryFileName("r.pdf.exportsync-part-0011aaff"))
        #expect(PathTemplate.isTemporaryFileName(".r.pdf.exportsync-partial-12"))
        #expect(!PathTemplate.isTemporaryFileName(".exportsync-part-0011aaff"))
    }
}
