import Foundation
import Glibc
import Synchronization
import Testing

/// A real `AF_UNIX`/`SOCK_DGRAM` socket standing in for systemd's notify socket: what the daemon
/// finds in `$NOTIFY_SOCKET`.
///
/// A background thread receives every datagram and stamps it with `CLOCK_MONOTONIC`, so the
/// test's async code never blocks a cooperative thread in `poll(2)` and arrival times stay exact
/// while the test awaits something else.
final class NotifySocketListener: Sendable {
    /// The socket's path, for `NOTIFY_SOCKET`.
    let path: String
    private let directory: String
    private let descriptor: Int32
    private let receiver: DatagramReceiver

    /// Binds a socket file in a new directory under /tmp (short, so the path fits `sun_path`).
    init() throws {
        directory = try Self.makeTemporaryDirectory()
        path = directory + "/notify.socket"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemCallFailure(call: "socket", code: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let descriptor = self.descriptor
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(2 + bytes.count + 1)) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw SystemCallFailure(call: "bind", code: code)
        }
        receiver = DatagramReceiver(descriptor: descriptor)
        let receiver = self.receiver
        let thread = Thread { receiver.receiveUntilStopped() }
        thread.name = "notify-socket-listener"
        thread.start()
    }

    /// Every datagram received so far, oldest first.
    var received: [NotifyMessage] { receiver.messages.withLock { $0 } }

    /// Makes the receiving thread send `signal` to `pid` the moment the next `READY=1` arrives,
    /// as `systemctl reload` issued right after `systemctl start` returns would.
    func signalOnNextReady(pid: Int32, signal: Int32) {
        receiver.pendingReadySignal.withLock { $0 = (pid, signal) }
    }

    /// Waits until a datagram at index `start` or later satisfies `predicate`; returns its index
    /// and the datagram. Records an issue listing everything received and throws after `timeout`.
    @discardableResult
    func waitFor(
        _ what: String, from start: Int = 0, timeout: Duration,
        sourceLocation: SourceLocation = #_sourceLocation,
        where predicate: (NotifyMessage) -> Bool
    ) async throws -> (index: Int, message: NotifyMessage) {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let snapshot = received
            if start < snapshot.count, let index = snapshot[start...].firstIndex(where: predicate) {
                return (index, snapshot[index])
            }
            if ContinuousClock.now >= deadline {
                let listing = snapshot.enumerated().map { "  [\($0.offset)] \($0.element)" }.joined(separator: "\n")
                Issue.record("no \(what) within \(timeout) (from datagram \(start)); received:\n\(listing)", sourceLocation: sourceLocation)
                throw WaitTimedOut(what: what)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the receiving thread, closes the socket and removes its directory.
    deinit {
        receiver.stop()
        Glibc.close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    private static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/exportsync-daemon-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
        }
        guard created else { throw SystemCallFailure(call: "mkdtemp", code: errno) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The listener's background thread: receives datagrams until stopped.
private final class DatagramReceiver: Sendable {
    let messages = Mutex<[NotifyMessage]>([])
    /// A signal to send as soon as `READY=1` arrives (then cleared).
    let pendingReadySignal = Mutex<(pid: Int32, signal: Int32)?>(nil)
    private let descriptor: Int32
    private let stopRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    init(descriptor: Int32) { self.descriptor = descriptor }

    func receiveUntilStopped() {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&request, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let message = NotifyMessage(text: String(decoding: buffer.prefix(count), as: UTF8.self),
                                        receivedAt: MonotonicClock.microseconds())
            if message.isReady, let target = pendingReadySignal.withLock({ pending in defer { pending = nil }; return pending }) {
                kill(target.pid, target.signal)
            }
            messages.withLock { $0.append(message) }
        }
        finished.store(true, ordering: .sequentiallyConsistent)
    }

    /// Asks the thread to stop and waits until it did (at most one `poll` timeout).
    func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        while !finished.load(ordering: .sequentiallyConsistent) { usleep(5_000) }
    }
}
