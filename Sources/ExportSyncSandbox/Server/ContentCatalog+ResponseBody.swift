import Hummingbird
import NIOCore

extension ContentCatalog {
    /// Streams `content` in 256 KiB chunks generated on demand (never the whole file in memory).
    func responseBody(for content: SandboxContent) -> ResponseBody {
        let segments = segments(of: content)
        let length = segments.reduce(0) { $0 + $1.length }
        return ResponseBody(contentLength: length) { writer in
            var stream = ContentStream(segments: segments)
            let chunkSize = 1 << 18
            while true {
                var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
                let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { stream.read(into: $0) }
                if count == 0 { break }
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
    }
}
