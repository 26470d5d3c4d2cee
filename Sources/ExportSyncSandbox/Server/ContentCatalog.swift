import Synchronization

/// Caches the segment layout of each served file: a ZIP's layout needs one pass over its
/// entries (CRC-32), which must not be repeated on every download.
final class ContentCatalog: Sendable {
    private let layouts = Mutex<[SandboxContent: [ContentSegment]]>([:])

    func segments(of content: SandboxContent) -> [ContentSegment] {
        if let cached = layouts.withLock({ $0[content] }) { return cached }
        let computed = content.segments()
        layouts.withLock { $0[content] = computed }
        return computed
    }

    func byteCount(of content: SandboxContent) -> Int {
        segments(of: content).reduce(0) { $0 + $1.length }
    }
}
