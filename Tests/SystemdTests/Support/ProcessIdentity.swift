import Glibc

enum ProcessIdentity {
    static var current: Int32 { getpid() }
}
