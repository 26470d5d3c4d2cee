import Foundation
import NIOCore

/// A file read in fixed-size chunks, as an upload body: memory stays bounded whatever the size.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let path: String
    let chunkSize: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let chunkSize: Int
        var file: FileHandle?

        mutating func next() async throws -> ByteBuffer? {
            if file == nil {
                file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            }
            guard let file else { return nil }
            guard let data = try file.read(upToCount: chunkSize), !data.isEmpty else {
                try? file.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, chunkSize: chunkSize, file: nil)
    }

    /// The size of the file at `path`, in bytes.
    static func size(of path: String) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes[.size] as? NSNumber else { throw CocoaError(.fileReadUnknown) }
        return size.int64Value
    }
}
