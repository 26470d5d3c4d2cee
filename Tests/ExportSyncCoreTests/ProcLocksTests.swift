import ExportSyncCore
import Testing

@Suite("Reading /proc/locks")
struct ProcLocksTests {
    @Test("exclusive flock holders of one inode; waiters, POSIX and shared locks, other inodes and pid 0 left out")
    func holders() {
        let text = """
            1: POSIX  ADVISORY  WRITE 4242 00:2f:1234 0 EOF
            2: FLOCK  ADVISORY  WRITE 812 103:02:1234 0 EOF
            2: -> FLOCK  ADVISORY  WRITE 990 103:02:1234 0 EOF
            3: FLOCK  ADVISORY  READ 777 103:02:1234 0 EOF
            4: FLOCK  ADVISORY  WRITE 555 103:02:98765 0 EOF
            5: FLOCK  ADVISORY  WRITE 0 103:02:1234 0 EOF
            6: FLOCK  ADVISORY  WRITE 313 fd:101:1234 0 EOF
            """
        #expect(ProcLocks.exclusiveFlockHolders(text, inode: 1234) == [812, 313])
        #expect(ProcLocks.exclusiveFlockHolders(text, inode: 98765) == [555])
        #expect(ProcLocks.exclusiveFlockHolders(text, inode: 1).isEmpty)
        #expect(ProcLocks.exclusiveFlockHolders("", inode: 1234).isEmpty)
    }
}
