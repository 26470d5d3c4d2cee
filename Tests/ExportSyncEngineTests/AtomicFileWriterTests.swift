import Crypto
import Foundation
import NIOCore
import ExportSyncCore
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ExportSyncEngine

@Suite("AtomicFileWriter and the fsync pool")
struct AtomicFileWriterTests {
    /// A fresh directory, removed by the caller.
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("exportsync-writer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test("a file delivered without checksum files loses a checksum file left for its name, and nothing else by that name")
    func staleChecksumFileRemoved() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let delivered = AtomicFileWriter.Result(path: directory + "/latest.csv", size: 3, sha256: Self.hex(Array("new".utf8)))
        try Data("new".utf8).write(to: URL(fileURLWithPath: delivered.path))
        let stale = ChecksumFile.content(sha256: Self.hex(Array("old".utf8)), fileName: "latest.csv")
        try Data(stale.utf8).write(to: URL(fileURLWithPath: delivered.path + ".sha256"))
        AtomicFileWriter.removeStaleChecksumFile(for: delivered)
        #expect(Self.entries(directory) == ["latest.csv"])
        // Someone else's file of that name (not a checksum line for it) stays.
        try Data("notes\n".utf8).write(to: URL(fileURLWithPath: delivered.path + ".sha256"))
        AtomicFileWriter.removeStaleChecksumFile(for: delivered)
        #expect(Self.entries(directory) == ["latest.csv", "latest.csv.sha256"])
        #expect(ChecksumFile.describes(Array(stale.utf8), fileName: "latest.csv"))
        #expect(!ChecksumFile.describes(Array(stale.utf8), fileName: "other.csv"))
    }

    @Test("prepareCommit leaves the old target in place; complete() moves the new bytes in and removes the temp file")
    func preparedThenCompleted() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/report.pdf"
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writer = try AtomicFileWriter(targetPath: target, expectedLength: Int64(bytes.count), batchSize: 64 << 10)
        for start in stride(from: 0, to: bytes.count, by: 10_000) {
            try writer.write(Array(bytes[start..<min(start + 10_000, bytes.count)]))
        }
        let pending = try writer.prepareCommit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("old".utf8), "a reader still sees the old file")
        #expect(Self.entries(directory).count == 2, "the temp file waits beside the target")
        let result = try pending.complete()
        #expect(result.size == Int64(bytes.count))
        #expect(result.sha256 == Self.hex(bytes))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: target))) == bytes)
        #expect(Self.entries(directory) == ["report.pdf"])
    }

    /// Whether the file system under `directory` takes `O_DIRECT` (tmpfs before Linux 6.6 does not).
    static func acceptsDirectIO(_ directory: String) -> Bool {
        guard let flag = GNULibC.directIO else { return false }
        let probe = directory + "/.direct-probe"
        let fd = open(probe, O_WRONLY | O_CREAT | O_CLOEXEC | flag, 0o600)
        defer { unlink(probe) }
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    @Test("full aligned batches go to the disk directly where the file system allows; the unaligned tail and odd chunk sizes stay byte-exact")
    func directBatchesThenBufferedTail() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/large.bin"
        // Three full 8 KiB batches, then a 1,234-byte tail; chunks of 3,001 bytes straddle every batch edge.
        let bytes = (0..<(3 * 8_192 + 1_234)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        let writer = try AtomicFileWriter(targetPath: target, expectedLength: Int64(bytes.count), batchSize: 8_192)
        #expect(writer.directIOState == .undecided)
        for start in stride(from: 0, to: 2 * 8_192, by: 3_001) {
            try writer.write(Array(bytes[start..<min(start + 3_001, 2 * 8_192)]))
        }
        #expect(writer.directIOState == (Self.acceptsDirectIO(directory) ? .on : .off), "after two full batches")
        try writer.write(Array(bytes[(2 * 8_192)...]))
        let result = try writer.commit()
        #expect(writer.directIOState == .off, "the tail went through the page cache")
        #expect(result.sha256 == Self.hex(bytes))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: target))) == bytes)
        #expect(Self.entries(directory) == ["large.bin"])
    }

    @Test("pipelined writes: batches are hashed and written in order on the pool, two queued at most; the file and digest are byte-exact, a discard leaves nothing")
    func pipelinedWritesOnThePool() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = FileWorkPool(threads: 2)
        let bytes = (0..<(10 * 8_192 + 777)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let writer = try AtomicFileWriter(targetPath: directory + "/piped.bin", expectedLength: Int64(bytes.count), batchSize: 8_192)
        for start in stride(from: 0, to: bytes.count, by: 5_003) {
            try await writer.write(ByteBuffer(bytes: bytes[start..<min(start + 5_003, bytes.count)]), pipelinedOn: pool)
        }
        try await writer.finishWrites()
        let result = try await pool.complete(try writer.prepareCommit())
        #expect(result.sha256 == Self.hex(bytes) && result.size == Int64(bytes.count))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/piped.bin"))) == bytes)

        // Direct and pipelined writes mixed: a batch begun (and hashed) directly, finished by a
        // pipelined write, more batches, then direct writes again; and a body shorter than a
        // batch, which only the commit hashes. Each digest covers every byte once, in order.
        let mixed = try AtomicFileWriter(targetPath: directory + "/mixed.bin", expectedLength: Int64(bytes.count), batchSize: 8_192)
        try mixed.write(ByteBuffer(bytes: bytes[0..<3_000]))
        try await mixed.write(ByteBuffer(bytes: bytes[3_000..<40_000]), pipelinedOn: pool)
        try await mixed.finishWrites()
        try mixed.write(ByteBuffer(bytes: bytes[40_000..<50_000]))
        try await mixed.write(ByteBuffer(bytes: bytes[50_000...]), pipelinedOn: pool)
        try await mixed.finishWrites()
        let mixedResult = try await pool.complete(try mixed.prepareCommit())
        #expect(mixedResult.sha256 == Self.hex(bytes))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/mixed.bin"))) == bytes)
        let short = try AtomicFileWriter(targetPath: directory + "/short.bin", expectedLength: 5_000, batchSize: 8_192)
        try await short.write(ByteBuffer(bytes: bytes[0..<5_000]), pipelinedOn: pool)
        try await short.finishWrites()
        #expect(try await pool.complete(try short.prepareCommit()).sha256 == Self.hex(Array(bytes[0..<5_000])))
        for name in ["mixed.bin", "short.bin"] { try FileManager.default.removeItem(atPath: directory + "/" + name) }

        let dropped = try AtomicFileWriter(targetPath: directory + "/dropped.bin", expectedLength: nil, batchSize: 8_192)
        try await dropped.write(ByteBuffer(bytes: bytes), pipelinedOn: pool)
        try await dropped.finishWrites()
        dropped.discard()
        #expect(Self.entries(directory) == ["piped.bin"])

        // Discarded and dropped with a batch still in flight: the write ends first, then the
        // temp file goes, and the buffers are freed only after it (`swift test --sanitize=address` checks that).
        let discarding = try await {
            let abandoned = try AtomicFileWriter(targetPath: directory + "/abandoned.bin", expectedLength: nil, batchSize: 8_192)
            try await abandoned.write(ByteBuffer(bytes: bytes), pipelinedOn: pool)
            abandoned.discard()
            return abandoned.discarding
        }()
        #expect(discarding != nil, "a batch was in flight when the writer was discarded")
        await discarding?.value
        #expect(Self.entries(directory) == ["piped.bin"], "the abandoned temp file is removed once its last write ended")
        await pool.shutdown()
    }

    @Test("missing directories are created on the first file; a file in the way of one fails naming that directory and ENOTDIR")
    func directoriesCreatedWhenMissing() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let nested = directory + "/a/b/c/report.pdf"
        let writer = try AtomicFileWriter(targetPath: nested, expectedLength: 3)
        try writer.write([1, 2, 3])
        _ = try writer.commit()
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: nested))) == [1, 2, 3])
        // A second file in the same directory, and one beside it in a new sibling.
        _ = try AtomicFileWriter(targetPath: directory + "/a/b/c/second.pdf", expectedLength: nil).commit()
        _ = try AtomicFileWriter(targetPath: directory + "/a/x/third.pdf", expectedLength: nil).commit()
        #expect(Self.entries(directory + "/a/b/c") == ["report.pdf", "second.pdf"])

        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory + "/blocker"))
        #expect {
            _ = try AtomicFileWriter(targetPath: directory + "/blocker/sub/file.pdf", expectedLength: nil)
        } throws: { error in
            guard case let .cannotCreate(path, code) = error as? AtomicFileWriter.Failure else { return false }
            return path == directory + "/blocker/sub" && code == ENOTDIR
                && "\(error)".contains("Not a directory")
        }
        #expect(Self.entries(directory).sorted() == ["a", "blocker"], "nothing left behind")
    }

    @Test("a batch size that is not a multiple of the alignment never turns direct I/O on")
    func unalignedBatchesStayBuffered() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let writer = try AtomicFileWriter(targetPath: directory + "/odd.bin", expectedLength: nil, batchSize: 5_000)
        try writer.write(bytes)
        #expect(writer.directIOState == .off)
        let result = try writer.commit()
        #expect(result.sha256 == Self.hex(bytes) && result.size == 50_000)
    }

    @Test("a short body is refused at prepareCommit and a discarded commit leaves the target untouched")
    func failuresLeaveTheTargetAlone() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/data.csv"
        try Data("previous".utf8).write(to: URL(fileURLWithPath: target))

        let short = try AtomicFileWriter(targetPath: target, expectedLength: 100)
        try short.write([UInt8](repeating: 65, count: 60))
        #expect(throws: AtomicFileWriter.Failure.self) { try short.prepareCommit() }
        #expect(Self.entries(directory) == ["data.csv"])

        let abandoned = try AtomicFileWriter(targetPath: target, expectedLength: nil)
        try abandoned.write([UInt8](repeating: 66, count: 10))
        abandoned.prepareCommitForTest()?.discard()
        #expect(Self.entries(directory) == ["data.csv"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("previous".utf8))
    }

    @Test("the temp file is named .<name>.exportsync-part-<8 hex>, and fits beside a target of the longest name a template allows")
    func temporaryNameFitsTheBudget() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = String(repeating: "n", count: PathTemplate.maximumFileNameBytes - 4) + ".pdf"
        let writer = try AtomicFileWriter(targetPath: "\(directory)/\(name)", expectedLength: nil)
        let temporary = (writer.temporaryPath as NSString).lastPathComponent
        #expect(temporary.utf8.count == 255, "the longest target leaves no byte unused: \(temporary.utf8.count)")
        #expect(temporary.hasPrefix(".\(name).exportsync-part-"))
        let token = temporary.dropFirst(".\(name).exportsync-part-".count)
        #expect(token.count == 8 && token.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(token)")
        #expect(AtomicFileWriter.isTemporaryFileName(temporary))
        try writer.write([1, 2, 3])
        let result = try writer.commit()
        #expect(result.size == 3)
        #expect(Self.entries(directory) == [name])
    }

    @Test("the sweep removes this version's and older versions' temp files, nothing that only looks like one")
    func sweepRecognisesOnlyTempFiles() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/sub/deeper", withIntermediateDirectories: true)
        let swept = [".report.pdf.exportsync-part-0badcafe", "sub/.a.csv.exportsync-part-00000000",
                     "sub/deeper/.x.exportsync-partial-281474976710655", ".y.exportsync-partial-7"]
        let kept = ["report.pdf", "report.pdf.exportsync-part-0badcafe", ".report.pdf.exportsync-part-0BADCAFE",
                    ".report.pdf.exportsync-part-badcafe", ".report.pdf.exportsync-part-0badcafe1", ".report.pdf.exportsync-part-0badcafg",
                    ".exportsync-part-0badcafe", ".x.exportsync-partial-", ".x.exportsync-partial-1234567890123456",
                    ".x.exportsync-partial-12a", "sub/.a.csv.exportsync-part-0badcafe.pdf", "sub/.hidden"]
        for relative in swept + kept {
            try Data("x".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(relative)"))
        }
        let writer = try AtomicFileWriter(targetPath: directory + "/sub/new.pdf", expectedLength: nil)
        let live = writer.temporaryPath.dropFirst(directory.count + 1)
        #expect(AtomicFileWriter.sweepTemporaryFiles(under: directory) == swept.count + 1)
        var left: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(directory)/\(relative)", isDirectory: &isDirectory), !isDirectory.boolValue {
                left.append(relative)
            }
        }
        #expect(left.sorted() == kept.sorted(), "the sweep also took the open writer's temp file \(live)")
        writer.discard()
    }

    @Test("the fsync pool completes many files at once; after shutdown a commit is discarded as cancelled")
    func poolCompletesConcurrently() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = FileWorkPool(threads: 8)
        let results = try await withThrowingTaskGroup(of: AtomicFileWriter.Result.self) { group in
            for index in 0..<40 {
                let writer = try AtomicFileWriter(targetPath: "\(directory)/f-\(index).bin", expectedLength: 1_000)
                try writer.write([UInt8](repeating: UInt8(index), count: 1_000))
                let pending = try writer.prepareCommit()
                group.addTask { try await pool.complete(pending) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 40)
        #expect(Self.entries(directory).count == 40)
        #expect(Self.entries(directory).allSatisfy { $0.hasPrefix("f-") }, "no temp file is left")
        await pool.shutdown()

        let late = try AtomicFileWriter(targetPath: "\(directory)/late.bin", expectedLength: nil)
        try late.write([1, 2, 3])
        let pending = try late.prepareCommit()
        await #expect(throws: CancellationError.self) { try await pool.complete(pending) }
        #expect(!Self.entries(directory).contains("late.bin"))
        #expect(Self.entries(directory).count == 40, "the late temp file was removed")
    }
}

extension AtomicFileWriter {
    /// `prepareCommit()` as an optional, for the discard path of the tests.
    func prepareCommitForTest() -> PendingCommit? { try? prepareCommit() }
}
