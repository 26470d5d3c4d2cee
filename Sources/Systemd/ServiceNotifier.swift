#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sends sd_notify messages to the service manager over `$NOTIFY_SOCKET`.
///
/// Speaks the datagram protocol directly (`AF_UNIX`/`SOCK_DGRAM`, path or abstract `@name`
/// socket) instead of calling libsystemd's `sd_notify`, so the environment can be injected and
/// nothing depends on the process environment at send time. Each send opens a fresh socket, as
/// `sd_notify` does, which keeps the type a plain immutable value: `Sendable`, safe from any thread.
///
/// When `NOTIFY_SOCKET` is unset (not running under systemd) every send is a no-op that returns
/// `false`.
///
/// ```swift
/// let notifier = ServiceNotifier(environment: ProcessInfo.processInfo.environment)
/// notifier.ready(status: "3 jobs scheduled")
/// ```
public struct ServiceNotifier: Sendable {
    /// Why a notification could not be sent.
    public enum Failure: Error, Sendable, Hashable {
        /// `NOTIFY_SOCKET` is not set (or empty): not started by a service manager.
        case notConfigured
        /// `NOTIFY_SOCKET` is set but not an absolute path or `@abstract` name that fits `sun_path`.
        case invalidSocketAddress(String)
        /// The socket call failed.
        case systemCall(SystemCallError)
    }

    private let destination: Result<UnixSocketAddress, Failure>
    private let sendTimeout: Duration

    /// Creates a notifier from an environment (usually `ProcessInfo.processInfo.environment`).
    ///
    /// - Parameters:
    ///   - environment: Where `NOTIFY_SOCKET` is read from.
    ///   - sendTimeout: The longest a send may block when the manager's queue is full.
    public init(environment: [String: String], sendTimeout: Duration = .seconds(1)) {
        self.sendTimeout = sendTimeout
        guard let value = environment["NOTIFY_SOCKET"], !value.isEmpty else {
            self.destination = .failure(.notConfigured)
            return
        }
        do {
            self.destination = .success(try UnixSocketAddress(parsing: value))
        } catch {
            self.destination = .failure(.invalidSocketAddress(value))
        }
    }

    /// Whether `NOTIFY_SOCKET` names a usable socket, i.e. sends will be attempted.
    public var isEnabled: Bool {
        if case .success = self.destination { return true }
        return false
    }

    /// The datagram `send` would write for `notifications`: assignments joined by newlines.
    public static func datagram(for notifications: [ServiceNotification]) -> String {
        notifications.map(\.assignment).joined(separator: "\n")
    }

    /// Sends `notifications` in one datagram, throwing why it failed.
    public func post(_ notifications: [ServiceNotification]) throws(Failure) {
        let address = try self.destination.get()
        let bytes = Array(Self.datagram(for: notifications).utf8)
        do {
            let socket = try UnixDatagramSocket(sendTimeout: self.sendTimeout)
            try socket.send(bytes, to: address)
        } catch {
            throw .systemCall(error)
        }
    }

    /// Sends `notifications` in one datagram; `false` if not configured or the send failed.
    @discardableResult
    public func send(_ notifications: [ServiceNotification]) -> Bool {
        do {
            try self.post(notifications)
            return true
        } catch {
            return false
        }
    }

    /// Sends `notifications` in one datagram; `false` if not configured or the send failed.
    @discardableResult
    public func send(_ notifications: ServiceNotification...) -> Bool {
        self.send(notifications)
    }

    /// `READY=1`, with an optional `STATUS=`.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        self.send([.ready] + Self.statusList(status))
    }

    /// `RELOADING=1` and `MONOTONIC_USEC=<now>`, with an optional `STATUS=`. Send ``ready(status:)``
    /// when the reload is over (whether the new configuration was accepted or not).
    @discardableResult
    public func reloading(status: String? = nil) -> Bool {
        self.send([.reloading, .monotonicTime(microseconds: Self.monotonicMicroseconds())] + Self.statusList(status))
    }

    /// `STOPPING=1`, with an optional `STATUS=`.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        self.send([.stopping] + Self.statusList(status))
    }

    /// `STATUS=<text>`: the one line `systemctl status` shows.
    @discardableResult
    public func status(_ text: String) -> Bool {
        self.send([.status(text)])
    }

    /// `WATCHDOG=1`. Prefer ``WatchdogKeeper``, which only pings while the engine makes progress.
    @discardableResult
    public func watchdog() -> Bool {
        self.send([.watchdog])
    }

    /// `STATUS=<text>` and `ERRNO=<code>`: reports why the service is failing.
    @discardableResult
    public func failure(status: String, errno code: Int32) -> Bool {
        self.send([.status(status), .errno(code)])
    }

    /// The current `CLOCK_MONOTONIC` time in microseconds, as systemd expects in `MONOTONIC_USEC`.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    private static func statusList(_ status: String?) -> [ServiceNotification] {
        status.map { [.status($0)] } ?? []
    }
}
