import Systemd
import Testing

@Suite("WatchdogConfiguration")
struct WatchdogConfigurationTests {
    @Test("WATCHDOG_USEC gives the timeout; pings go at half of it")
    func parsesTimeout() throws {
        let configuration = try #require(try WatchdogConfiguration.fromEnvironment(["WATCHDOG_USEC": "60000000"]))
        #expect(configuration.timeout == .seconds(60))
        #expect(configuration.pingInterval == .seconds(30))

        let odd = try #require(try WatchdogConfiguration.fromEnvironment(["WATCHDOG_USEC": "3"]))
        #expect(odd.pingInterval == .nanoseconds(1_500))
    }

    @Test("No WATCHDOG_USEC: no watchdog")
    func unset() throws {
        #expect(try WatchdogConfiguration.fromEnvironment([:]) == nil)
        #expect(try WatchdogConfiguration.fromEnvironment(["WATCHDOG_PID": "1"]) == nil)
    }

    @Test("WATCHDOG_PID must name this process")
    func processIDMustMatch() throws {
        let environment = ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4242"]
        #expect(try WatchdogConfiguration.fromEnvironment(environment, processID: 4242)?.timeout == .seconds(2))
        #expect(try WatchdogConfiguration.fromEnvironment(environment, processID: 4243) == nil)
        // Default: compared with getpid() — 4242 is not the test runner (PID 4242 is possible, so
        // compare with the real PID instead).
        let mine = ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(ProcessIdentity.current)]
        #expect(try WatchdogConfiguration.fromEnvironment(mine) != nil)
        let other = ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(ProcessIdentity.current + 1)]
        #expect(try WatchdogConfiguration.fromEnvironment(other) == nil)
    }

    @Test("Malformed values are errors, not silently ignored", arguments: ["0", "", "-5", "abc", "1.5", " 10", "99999999999999999999999"])
    func malformedTimeout(_ value: String) {
        #expect(throws: WatchdogConfiguration.ParseError.invalidTimeout(value)) {
            try WatchdogConfiguration.fromEnvironment(["WATCHDOG_USEC": value])
        }
    }

    @Test("A malformed WATCHDOG_PID is an error")
    func malformedProcessID() {
        #expect(throws: WatchdogConfiguration.ParseError.invalidProcessID("me")) {
            try WatchdogConfiguration.fromEnvironment(["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "me"])
        }
    }
}
