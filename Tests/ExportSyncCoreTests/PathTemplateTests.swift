import ExportSyncCore
import Testing

@Suite("Output path templates")
struct PathTemplateTests {
    @Test("placeholders resolve to sanitised single components")
    func resolution() throws {
        let template = try PathTemplate("workiva/{test_form}/{sample}/{filename}", extraPlaceholders: ["test_form", "sample"])
        let path = template.resolve(["test_form": "../../etc", "sample": "a/b", "filename": "..passwd"])
        #expect(path == "workiva/_.._etc/a_b/passwd")
        #expect(!path.split(separator: "/").contains(".."))
    }

    @Test("hostile values never escape the root", arguments: ["..", ".", "/", "/etc/passwd", "a/../../b", "\u{0}x", "   ", "....//....", "\\..\\..\\x"])
    func hostileValues(value: String) throws {
        let template = try PathTemplate("{filename}")
        let path = template.resolve(["filename": value])
        #expect(!path.isEmpty)
        #expect(!path.hasPrefix("/"))
        #expect(!path.split(separator: "/").contains { $0 == ".." || $0 == "." })
        #expect(!path.contains("\0"))
    }

    @Test("templates that could escape are refused")
    func validation() {
        #expect(throws: PathTemplate.ValidationError.escapesRoot(component: "..")) { try PathTemplate("a/../{job}") }
        #expect(throws: PathTemplate.ValidationError.absolute) { try PathTemplate("/tmp/{job}") }
        #expect(throws: PathTemplate.ValidationError.emptyComponent) { try PathTemplate("a//{job}") }
        #expect(throws: PathTemplate.ValidationError.endsWithSeparator) { try PathTemplate("a/{job}/") }
        #expect(throws: PathTemplate.ValidationError.unbalancedBrace) { try PathTemplate("a/{job") }
        #expect(throws: PathTemplate.ValidationError.forbiddenCharacter("backslash")) { try PathTemplate("a\\{job}") }
        #expect(throws: PathTemplate.ValidationError.self) { try PathTemplate("{nope}") }
    }

    @Test("long names are trimmed on a character boundary")
    func longNames() {
        let name = String(repeating: "é", count: 300)
        let sanitized = PathComponentSanitizer.sanitize(name)
        #expect(sanitized.utf8.count <= PathComponentSanitizer.maximumBytes)
        #expect(sanitized.allSatisfy { $0 == "é" })
    }

    /// Server file names, sanitised on scalars: (input, expected component).
    static let hostileNames: [(String, String)] = [
        (".\u{301}.hidden", "hidden"),            // a combining mark cannot keep a leading dot
        ("\u{301}.bashrc", "bashrc"),
        ("report\u{202E}fdp.exe", "reportfdp.exe"),  // bidi override dropped
        ("a\u{2066}b\u{2069}\u{200F}c", "abc"),
        ("..\u{2215}..\u{2215}etc", "_.._etc"),    // division slash
        ("x\u{FF0F}y\u{FF3C}z\u{2044}w", "x_y_z_w"), // fullwidth solidus and reverse solidus, fraction slash
        ("csi\u{9B}31m", "csi_31m"),               // C1 control
        ("tab\there", "tab_here"),
        ("  . .name. ", "name."),
        ("café.pdf", "café.pdf"),
    ]

    @Test("server file names: look-alike slashes mapped, bidi controls dropped, leading dots stripped on scalars",
          arguments: hostileNames)
    func hostileServerNames(name: String, expected: String) {
        let sanitized = PathComponentSanitizer.sanitize(name)
        #expect(sanitized == expected, "\(name.debugDescription) → \(sanitized.debugDescription)")
        #expect(sanitized.unicodeScalars.first != ".")
    }

    @Test("a template carrying the partial-file marker, or a literal file name too long for its temp file, is refused")
    func reservedAndOverlongTemplates() {
        #expect(throws: PathTemplate.ValidationError.reservedMarker) { try PathTemplate("out/.report.exportsync-partial-1") }
        #expect(throws: PathTemplate.ValidationError.reservedMarker) { try PathTemplate("out/.report.exportsync-part-0badcafe") }
        #expect(throws: PathTemplate.ValidationError.reservedMarker) { try PathTemplate("out/{run}.exportsync-part-{run}") }
        #expect(PathTemplate.maximumFileNameBytes == 255 - ".".utf8.count - ".exportsync-part-".utf8.count - 8)
        let long = String(repeating: "n", count: PathTemplate.maximumFileNameBytes + 1)
        #expect(throws: PathTemplate.ValidationError.componentTooLong(component: long + ".pdf", bytes: long.utf8.count + 4)) {
            try PathTemplate("out/\(long).pdf")
        }
        #expect((try? PathTemplate("out/" + String(repeating: "n", count: PathTemplate.maximumFileNameBytes - 4) + ".pdf")) != nil)
    }

    @Test("a resolved file name always leaves room for the temp file's suffix, keeping its extension")
    func resolvedNamesFit() throws {
        let template = try PathTemplate("{job}-{filename}-{run}.pdf", extraPlaceholders: [])
        let name = template.resolve(["job": String(repeating: "j", count: 150), "filename": String(repeating: "é", count: 150), "run": "7"])
        #expect(name.utf8.count <= PathTemplate.maximumFileNameBytes, "\(name.utf8.count) bytes")
        #expect(name.hasSuffix(".pdf"))
        #expect(name.utf8.count + ".".utf8.count + ".exportsync-part-".utf8.count + 8 <= 255)
        for hostile in ["a.exportsync-partial-9", "a.exportsync-part-0badcafe"] {
            let marked = try PathTemplate(".{filename}").resolve(["filename": hostile])
            #expect(!marked.contains(PathTemplate.temporaryFileMarker), "a server name cannot make a file the sweep deletes: \(marked)")
        }
    }

    @Test("secrets redact themselves")
    func secretRedaction() {
        let secret = Secret("hunter2")
        #expect("\(secret)" == "[REDACTED]")
        #expect(String(describing: SecretReference.inline(secret)) == "inline value")
        #expect(secret.reveal() == "hunter2")
    }

    @Test("fingerprints are stable FNV-1a digests")
    func digest() {
        #expect(StableDigest.fnv1a64("") == "cbf29ce484222325")
        #expect(StableDigest.fnv1a64("a") == "af63dc4c8601ec8c")
    }
}
