import Glibc
import Systemd
import Testing

@Suite("ServiceNotifier")
struct ServiceNotifierTests {
    @Test("READY with STATUS reaches a path socket as one datagram")
    func readyToPathSocket() throws {
        let listener = try DatagramListener()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        #expect(notifier.isEnabled)
        #expect(notifier.ready(status: "3 polling, 1 downloading"))
        #expect(try listener.receiveText() == "READY=1\nSTATUS=3 polling, 1 downloading")
        #expect(!listener.hasPendingDatagram())
    }

    @Test("An abstract @name socket works")
    func abstractSocket() throws {
        let listener = try DatagramListener.abstract()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        #expect(notifier.stopping())
        #expect(try listener.receiveText() == "STOPPING=1")
    }

    @Test("Each helper sends exactly its assignments")
    func helpers() throws {
        let listener = try DatagramListener()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        #expect(notifier.status("next due 18:00"))
        #expect(try listener.receiveText() == "STATUS=next due 18:00")
        #expect(notifier.watchdog())
        #expect(try listener.receiveText() == "WATCHDOG=1")
        #expect(notifier.stopping(status: "draining"))
        #expect(try listener.receiveText() == "STOPPING=1\nSTATUS=draining")
        #expect(notifier.failure(status: "database unreadable", errno: EIO))
        #expect(try listener.receiveText() == "STATUS=database unreadable\nERRNO=\(EIO)")
        #expect(notifier.send(.extendTimeout(microseconds: 5_000_000), .mainPID(42), .watchdogTrigger))
        #expect(try listener.receiveText() == "EXTEND_TIMEOUT_USEC=5000000\nMAINPID=42\nWATCHDOG=trigger")
        #expect(notifier.send(.custom(name: "X_STATE", value: "ok")))
        #expect(try listener.receiveText() == "X_STATE=ok")
    }

    @Test("RELOADING carries the CLOCK_MONOTONIC time of the call")
    func reloadingCarriesMonotonicTime() throws {
        let listener = try DatagramListener()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        let before = ServiceNotifier.monotonicMicroseconds()
        #expect(notifier.reloading())
        let after = ServiceNotifier.monotonicMicroseconds()

        let lines = try listener.receiveText().split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(stamp >= before && stamp <= after)

        // The same clock as CLOCK_MONOTONIC read directly (not realtime, not boottime).
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let direct = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        #expect(direct >= stamp && direct - stamp < 5_000_000)
    }

    @Test("A newline in a status cannot inject another assignment")
    func statusNewlinesAreFlattened() throws {
        let listener = try DatagramListener()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        #expect(notifier.status("fine\nREADY=1\r\n"))
        #expect(try listener.receiveText() == "STATUS=fine READY=1  ")
    }

    @Test("Without NOTIFY_SOCKET nothing is sent and sends report false")
    func unsetIsNoOp() throws {
        for environment in [[:], ["NOTIFY_SOCKET": ""]] {
            let notifier = ServiceNotifier(environment: environment)
            #expect(!notifier.isEnabled)
            #expect(!notifier.ready())
            #expect(throws: ServiceNotifier.Failure.notConfigured) { try notifier.post([.ready]) }
        }
    }

    @Test("Relative, over-long and missing sockets fail without crashing")
    func invalidDestinations() throws {
        let relative = ServiceNotifier(environment: ["NOTIFY_SOCKET": "run/notify"])
        #expect(!relative.isEnabled)
        #expect(throws: ServiceNotifier.Failure.invalidSocketAddress("run/notify")) { try relative.post([.ready]) }

        let longPath = "/tmp/" + String(repeating: "a", count: 103)  // 108 bytes: no room for NUL
        #expect(!ServiceNotifier(environment: ["NOTIFY_SOCKET": longPath]).ready())
        let longestPath = "/tmp/" + String(repeating: "a", count: 102)  // 107 bytes: fits
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": longestPath]).isEnabled)

        let directory = try TemporaryDirectory.make()
        defer { rmdir(directory) }
        let missing = ServiceNotifier(environment: ["NOTIFY_SOCKET": directory + "/absent"])
        #expect(missing.isEnabled)
        #expect(throws: ServiceNotifier.Failure.systemCall(SystemCallError(call: "sendto", code: ENOENT))) {
            try missing.post([.ready])
        }
    }

    @Test("The longest abstract name is addressed exactly")
    func longestAbstractName() throws {
        // 107 name bytes + the leading NUL fill sun_path; the address length must cover exactly
        // that, or the kernel would look up a different name.
        let name = "@" + String(repeating: "z", count: 100) + String(UInt32.random(in: 1_000_000...9_999_999))
        let listener = try DatagramListener.abstract(named: name)
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": name])
        #expect(notifier.ready())
        #expect(try listener.receiveText() == "READY=1")
    }

    @Test("Concurrent senders each deliver a whole datagram")
    func concurrentSends() async throws {
        let listener = try DatagramListener()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask { notifier.status("worker \(index)") }
            }
            for await sent in group { #expect(sent) }
        }
        var received: Set<String> = []
        for _ in 0..<8 { received.insert(try listener.receiveText()) }
        #expect(received == Set((0..<8).map { "STATUS=worker \($0)" }))
    }
}
