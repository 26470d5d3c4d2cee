/// Reading Linux's `/proc/locks`, to learn which process holds a lock without taking it.
public enum ProcLocks {
    /// The pids `text` (the file's contents) shows holding an exclusive `flock` on inode `inode`:
    /// lines like `1: FLOCK  ADVISORY  WRITE 12345 fd:01:1234567 0 EOF`. Waiters
    /// (`1: -> FLOCK …`), POSIX locks, shared locks and holders outside the reader's pid
    /// namespace (shown as pid 0) are left out.
    public static func exclusiveFlockHolders(_ text: String, inode: UInt64) -> [Int32] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[3] == "WRITE",
                  let fileInode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }), fileInode == inode,
                  let pid = Int32(fields[4]), pid > 0 else { return nil }
            return pid
        }
    }
}
