#if canImport(Glibc)
import Glibc

/// glibc functions that Swift's Glibc module leaves out (they need `_GNU_SOURCE`), looked up
/// once at run time; `nil` where the C library has none.
enum GNULibC {
    typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32

    /// `sync_file_range(2)`.
    static let syncFileRange: SyncFileRange? = dlsym(nil, "sync_file_range").map { unsafeBitCast($0, to: SyncFileRange.self) }

    /// `SYNC_FILE_RANGE_WRITE` from `<fcntl.h>`: start writing back dirty pages, do not wait.
    static let syncFileRangeWrite: UInt32 = 2
}
#endif
