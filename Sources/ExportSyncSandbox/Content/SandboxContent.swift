import Crypto

/// A file the sandbox serves, generated deterministically from a seed and streamed in chunks,
/// so a test can compute the exact bytes (and SHA-256) a download must have.
public struct SandboxContent: Sendable, Hashable {
    /// The kind of file.
    public enum Format: String, Sendable {
        /// A minimal, openable one-page PDF with a valid xref table, padded by an unreferenced stream.
        case pdf
        /// CSV in ISO-8859-1.
        case csv
        /// A ZIP archive (stored entries, correct CRC-32) of `parts` ISO-8859-1 CSV files.
        case zip
        /// An HTML page.
        case html
        /// Plain fixed-width text.
        case text
    }

    /// The kind of file.
    public let format: Format
    /// The file name a server announces in `Content-Disposition`.
    public let fileName: String
    /// The `Content-Type` a server announces.
    public let contentType: String
    /// Requested size; the actual size is ``byteCount``.
    public let targetSize: Int
    /// Number of CSV files inside a ZIP.
    public let parts: Int
    let seed: UInt64
    let title: String

    init(format: Format, fileName: String, contentType: String, targetSize: Int, parts: Int = 1, seedText: String, title: String) {
        self.format = format
        self.fileName = fileName
        self.contentType = contentType
        // ZIP without ZIP64 cannot exceed 4 GiB.
        self.targetSize = format == .zip ? min(targetSize, Int(UInt32.max) - (1 << 20)) : targetSize
        self.parts = max(1, parts)
        self.seed = StableRandom.seed(seedText)
        self.title = String(title.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || $0 == " " || ("0"..."9").contains($0)) })
    }

    /// The exact size of the file in bytes.
    public var byteCount: Int { segments().reduce(0) { $0 + $1.length } }

    /// The segments the file is made of (for a ZIP this reads every entry once to compute CRCs).
    func segments() -> [ContentSegment] {
        switch format {
        case .pdf: PDFLayout.segments(title: title, seed: seed, targetSize: targetSize)
        case .csv: Self.csvSegments(seed: seed, targetSize: targetSize)
        case .zip: ZIPLayout.segments(entries: zipEntries())
        case .html: Self.htmlSegments(title: title, seed: seed, targetSize: targetSize)
        case .text: [.filler(seed: seed, length: max(64, targetSize))]
        }
    }

    private static func csvSegments(seed: UInt64, targetSize: Int) -> [ContentSegment] {
        [.literal(LatinCSVTable.header), .csvRows(LatinCSVTable(seed: seed), count: LatinCSVTable.rowCount(forTargetSize: targetSize))]
    }

    private static func htmlSegments(title: String, seed: UInt64, targetSize: Int) -> [ContentSegment] {
        let head = Array("<!DOCTYPE html>\n<html><head><meta charset=\"iso-8859-1\"><title>\(title)</title></head><body><pre>\n".utf8)
        let tail = Array("</pre></body></html>\n".utf8)
        return [.literal(head), .filler(seed: seed, length: max(64, targetSize - head.count - tail.count)), .literal(tail)]
    }

    private func zipEntries() -> [ZIPLayout.Entry] {
        let base = fileName.split(separator: ".").first.map(String.init) ?? "export"
        let perPart = max(1, targetSize / parts)
        return (0..<parts).map { index in
            ZIPLayout.Entry(
                name: parts == 1 ? "\(base).csv" : "\(base)-sheet\(index + 1).csv",
                segments: Self.csvSegments(seed: StableRandom.mix(seed &+ UInt64(index)), targetSize: perPart)
            )
        }
    }

    /// A fresh stream over the bytes of the file.
    func makeStream() -> ContentStream { ContentStream(segments: segments()) }

    /// Feeds every byte of the file, in chunks of at most `chunkSize`, to `body`.
    public func forEachChunk(chunkSize: Int = 1 << 16, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var stream = makeStream()
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { stream.read(into: $0) }
            if count == 0 { return }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// The whole file in memory (for small files in tests).
    public func bytes() -> [UInt8] {
        var result: [UInt8] = []
        forEachChunk { result.append(contentsOf: $0) }
        return result
    }

    /// The lower-case hex SHA-256 of the file, computed by streaming it.
    public func sha256Hex() -> String {
        var hasher = SHA256()
        forEachChunk { hasher.update(bufferPointer: $0) }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
