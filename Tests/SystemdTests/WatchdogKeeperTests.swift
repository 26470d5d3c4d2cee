import Systemd
import Testing

@Suite("WatchdogKeeper")
struct WatchdogKeeperTests {
    private func makeKeeper(_ listener: DatagramListener, interval: Duration = .seconds(10)) -> WatchdogKeeper {
        WatchdogKeeper(
            configuration: WatchdogConfiguration(timeout: interval * 2),
            notifier: ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        )
    }

    @Test("A tick pings only if the engine progressed since the last ping")
    func noProgressNoPing() throws {
        let listener = try DatagramListener()
        let keeper = self.makeKeeper(listener)
        #expect(keeper.pingInterval == .seconds(10))

        // Armed after start-up work: the first tick pings.
        #expect(keeper.tick() == .pinged)
        #expect(try listener.receiveText() == "WATCHDOG=1")

        // The engine is stuck: no more pings, however many ticks.
        for _ in 0..<3 {
            #expect(keeper.tick() == .withheld)
            #expect(!listener.hasPendingDatagram())
        }

        // It recovers: the withheld ping goes out with its first progress report...
        keeper.engineDidProgress()
        #expect(try listener.receiveText() == "WATCHDOG=1")
        // ...then one ping per window, not one per progress report.
        keeper.engineDidProgress()
        keeper.engineDidProgress()
        #expect(!listener.hasPendingDatagram())
        #expect(keeper.tick() == .pinged)
        #expect(try listener.receiveText() == "WATCHDOG=1")
        #expect(keeper.tick() == .withheld)
        #expect(!listener.hasPendingDatagram())
        #expect(keeper.pingCount == 3)
    }

    @Test("Progress within a window never pings on its own")
    func progressWithoutOverdueWaitsForTick() throws {
        let listener = try DatagramListener()
        let keeper = self.makeKeeper(listener)
        for _ in 0..<5 {
            keeper.engineDidProgress()
            #expect(!listener.hasPendingDatagram())
        }
        #expect(keeper.pingCount == 0)
        #expect(keeper.tick() == .pinged)
        #expect(try listener.receiveText() == "WATCHDOG=1")
    }

    @Test("A failed send is reported and the next window needs fresh progress")
    func sendFailure() {
        let keeper = WatchdogKeeper(
            configuration: WatchdogConfiguration(timeout: .seconds(2)),
            notifier: ServiceNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/exportsync-notify"])
        )
        #expect(keeper.tick() == .sendFailed)
        #expect(keeper.tick() == .withheld)
        #expect(keeper.pingCount == 0)
    }

    @Test("run(clock:) offers a ping every interval and stops pinging when the engine stalls")
    func runLoopFollowsEngine() async throws {
        let listener = try DatagramListener()
        let keeper = self.makeKeeper(listener, interval: .seconds(10))
        let clock = ManualClock()
        let loop = Task { await keeper.run(clock: clock) }

        // Nothing before the first interval elapses.
        await clock.waitForSleepers()
        #expect(!listener.hasPendingDatagram())
        clock.advance(by: .seconds(9))
        #expect(!listener.hasPendingDatagram())

        // First interval: ping (start-up counts as progress).
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers()
        #expect(try listener.receiveText() == "WATCHDOG=1")

        // Engine loop keeps going: ping.
        keeper.engineDidProgress()
        clock.advance(by: .seconds(10))
        await clock.waitForSleepers()
        #expect(try listener.receiveText() == "WATCHDOG=1")

        // Engine wedged: two intervals, no pings.
        clock.advance(by: .seconds(10))
        await clock.waitForSleepers()
        clock.advance(by: .seconds(10))
        await clock.waitForSleepers()
        #expect(!listener.hasPendingDatagram())
        #expect(keeper.pingCount == 2)

        // The engine comes back: its own report sends the overdue ping.
        keeper.engineDidProgress()
        #expect(try listener.receiveText() == "WATCHDOG=1")

        loop.cancel()
        await loop.value
        #expect(clock.sleeperCount == 0)
    }
}
