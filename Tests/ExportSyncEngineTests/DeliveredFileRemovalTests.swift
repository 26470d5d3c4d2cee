import Crypto
import Foundation
import Testing
@testable import ExportSyncEngine
#if canImport(Glibc)
import Glibc
#endif

@Suite("Removing a delivered file (removed = \"delete\"): only that file, never through a link")
struct DeliveredFileRemovalTests {
    let root: String
    let outside: String
    let content = Array("the delivered bytes\n".utf8)

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("exportsync-removal-\(UUID().uuidString)").path
        root = base + "/out"
        outside = base + "/elsewhere"
        for directory in [root + "/a/b", outside + "/b"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    var digest: String { SHA256.hash(data: content).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    func cleanUp() { try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent) }

    func write(_ bytes: [UInt8], to path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

    @Test("the delivered file is removed; a missing one is already gone")
    func removesTheDeliveredFile() throws {
        defer { cleanUp() }
        try write(content, to: root + "/a/b/f.pdf")
        #expect(DeliveredFileRemoval.remove(relative: "a/b/f.pdf", under: root, size: Int64(content.count), sha256: digest) == .removed)
        #expect(!FileManager.default.fileExists(atPath: root + "/a/b/f.pdf"))
        #expect(DeliveredFileRemoval.remove(relative: "a/b/f.pdf", under: root, size: Int64(content.count), sha256: digest) == .alreadyGone)
        #expect(DeliveredFileRemoval.remove(relative: "x/y/f.pdf", under: root, size: Int64(content.count), sha256: digest) == .alreadyGone)
        // A missing output root (an unmounted disk) is a failure to retry, not a file gone.
        #expect(DeliveredFileRemoval.remove(relative: "a/b/f.pdf", under: root + "/not-mounted", size: Int64(content.count), sha256: digest) == .failed(ENOENT))
    }

    @Test("a file changed since (same size, other bytes), a link in its place, or a directory is left alone")
    func leavesOtherFilesAlone() throws {
        defer { cleanUp() }
        var changed = content
        changed[0] = UInt8(ascii: "T")
        try write(changed, to: root + "/a/b/f.pdf")
        #expect(DeliveredFileRemoval.remove(relative: "a/b/f.pdf", under: root, size: Int64(content.count), sha256: digest) == .replaced)
        #expect(FileManager.default.fileExists(atPath: root + "/a/b/f.pdf"))

        try write(content, to: outside + "/b/g.pdf")
        #expect(symlink(outside + "/b/g.pdf", root + "/a/b/g.pdf") == 0)
        #expect(DeliveredFileRemoval.remove(relative: "a/b/g.pdf", under: root, size: Int64(content.count), sha256: digest) == .replaced)
        #expect(FileManager.default.fileExists(atPath: outside + "/b/g.pdf"), "the link's target is untouched")

        try FileManager.default.createDirectory(atPath: root + "/a/b/h.pdf", withIntermediateDirectories: true)
        #expect(DeliveredFileRemoval.remove(relative: "a/b/h.pdf", under: root, size: Int64(content.count), sha256: digest) == .replaced)
    }

    @Test("a directory on the way swapped for a link out of the tree is not followed: the file it leads to stays")
    func symlinkedDirectoryIsNotFollowed() throws {
        defer { cleanUp() }
        // outside/b/f.pdf holds exactly the delivered bytes: a remover that followed a/b would delete it.
        try write(content, to: outside + "/b/f.pdf")
        try FileManager.default.removeItem(atPath: root + "/a/b")
        #expect(symlink(outside + "/b", root + "/a/b") == 0)
        #expect(DeliveredFileRemoval.remove(relative: "a/b/f.pdf", under: root, size: Int64(content.count), sha256: digest) == .replaced)
        #expect(FileManager.default.fileExists(atPath: outside + "/b/f.pdf"))
        #expect(DeliveredFileRemoval.remove(relative: "a/../../elsewhere/b/f.pdf", under: root, size: Int64(content.count), sha256: digest) == .replaced)
        #expect(FileManager.default.fileExists(atPath: outside + "/b/f.pdf"))
    }
}
