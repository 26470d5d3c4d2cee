#if canImport(Glibc)
import Glibc
#endif

/// glibc functions that Swift's Glibc module leaves out (`<malloc.h>`, or declarations that need
/// `_GNU_SOURCE`), looked up once at run time; `nil` (no-ops) where the C library has none.
public enum GNULibC {
    #if canImport(Glibc)
    typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    typealias MallocTrim = @convention(c) (Int) -> Int32
    typealias Fallocate = @convention(c) (Int32, Int32, Int64, Int64) -> Int32

    /// `sync_file_range(2)`.
    static let syncFileRange: SyncFileRange? = dlsym(nil, "sync_file_range").map { unsafeBitCast($0, to: SyncFileRange.self) }

    /// `SYNC_FILE_RANGE_WRITE` from `<fcntl.h>`: start writing back dirty pages, do not wait.
    static let syncFileRangeWrite: UInt32 = 2

    /// `fallocate(2)`.
    static let fallocate: Fallocate? = dlsym(nil, "fallocate").map { unsafeBitCast($0, to: Fallocate.self) }

    /// `FALLOC_FL_KEEP_SIZE`: allocate blocks without changing the file's size.
    static let fallocateKeepSize: Int32 = 1

    /// `O_DIRECT` from `<fcntl.h>` (its value differs between architectures); `nil` where it is
    /// not known, and writes then always go through the page cache.
    static let directIO: Int32? = {
        #if arch(x86_64) || arch(i386)
        return 0o40000
        #elseif arch(arm64) || arch(arm)
        return 0o200000
        #else
        return nil
        #endif
    }()

    static let mallocTrim: MallocTrim? = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: MallocTrim.self) }
    #endif

    /// Returns the memory malloc holds free to the kernel (`malloc_trim(0)`).
    public static func releaseFreedMemory() {
        #if canImport(Glibc)
        _ = mallocTrim?(0)
        #endif
    }
}
