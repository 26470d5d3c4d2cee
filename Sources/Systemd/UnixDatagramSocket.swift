#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSystemd

/// An unbound `AF_UNIX`/`SOCK_DGRAM` socket used to send datagrams (sd_notify, journald).
///
/// The descriptor never changes after creation, so one socket may be shared by many threads:
/// datagram sends are atomic. Sends block at most `sendTimeout` (`SO_SNDTIMEO`) when the receiver's
/// queue is full, then fail with `EAGAIN` so callers can fall back instead of stalling.
final class UnixDatagramSocket: Sendable {
    /// journald's client raises the send buffer to this so big entries still fit in one datagram.
    static let preferredSendBufferBytes: Int32 = 8 * 1024 * 1024

    let fileDescriptor: Int32

    init(sendTimeout: Duration, sendBufferBytes: Int32? = nil) throws(SystemCallError) {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .lastError("socket") }
        self.fileDescriptor = descriptor

        let (seconds, attoseconds) = sendTimeout.components
        var timeout = timeval(
            tv_sec: time_t(max(0, seconds)),
            tv_usec: suseconds_t(max(0, attoseconds / 1_000_000_000_000))
        )
        guard setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0
        else { throw .lastError("setsockopt(SO_SNDTIMEO)") }

        if var bufferBytes = sendBufferBytes {
            // Best effort: the kernel caps this at net.core.wmem_max; an over-size entry then takes
            // the memfd path.
            _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &bufferBytes, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    deinit {
        close(self.fileDescriptor)
    }

    /// Sends `bytes` as one datagram to `address`.
    func send(_ bytes: [UInt8], to address: UnixSocketAddress) throws(SystemCallError) {
        let result = address.withSocketAddress { socketAddress, length in
            bytes.withUnsafeBytes { buffer in
                retryingOnInterrupt {
                    sendto(self.fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        guard result >= 0 else { throw .lastError("sendto") }
    }

    /// Sends `passedDescriptor` with `SCM_RIGHTS` and an empty payload to `address`.
    func send(fileDescriptor passedDescriptor: Int32, to address: UnixSocketAddress) throws(SystemCallError) {
        let result = address.withSocketAddress { socketAddress, length in
            retryingOnInterrupt {
                exportsync_send_fd(self.fileDescriptor, socketAddress, length, passedDescriptor, Int32(MSG_NOSIGNAL))
            }
        }
        guard result >= 0 else { throw .lastError("sendmsg(SCM_RIGHTS)") }
    }
}

/// Repeats a system call while it fails with `EINTR`.
func retryingOnInterrupt(_ call: () -> Int) -> Int {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}
