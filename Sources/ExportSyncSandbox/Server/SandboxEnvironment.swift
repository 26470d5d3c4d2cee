import Foundation
import Hummingbird
import Synchronization

/// What every route needs: the state actor, the journal, the URL signer and the bound ports.
final class SandboxEnvironment: Sendable {
    let state: SandboxState
    let journal: RequestJournal
    let signer: PresignedURLSigner
    let contents: ContentCatalog
    /// The time every route and the journal read.
    let clock: SandboxClock
    /// Set when the server shuts down, so hanging requests let go.
    let isShuttingDown = Atomic<Bool>(false)
    private let ports = Mutex<(api: Int, storage: Int, host: String)>((0, 0, "127.0.0.1"))

    init(scenario: SandboxScenario, clock: SandboxClock) {
        self.clock = clock
        self.state = SandboxState(scenario: scenario, now: clock.now())
        self.journal = RequestJournal(clock: clock)
        self.signer = PresignedURLSigner()
        self.contents = ContentCatalog()
    }

    var scenario: SandboxScenario { state.scenario }

    func setBound(host: String, apiPort: Int? = nil, storagePort: Int? = nil) {
        ports.withLock { ports in
            ports.host = host
            if let apiPort { ports.api = apiPort }
            if let storagePort { ports.storage = storagePort }
        }
    }

    /// `http://host:port` of the API as the client addressed it (the `Host` header), so that
    /// absolute URLs stay reachable from where the client stands.
    func apiBase(for request: Request) -> String {
        let bound = ports.withLock { $0 }
        if let host = request.head.authority, !host.isEmpty {
            return "http://\(host)"
        }
        return "http://\(bound.host):\(bound.api)"
    }

    /// `http://host:storagePort`, on the host name the client used for the API.
    func storageBase(for request: Request) -> String {
        let bound = ports.withLock { $0 }
        var hostName = bound.host
        if let host = request.head.authority, !host.isEmpty {
            if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
                hostName = String(host[...close])
            } else {
                hostName = String(host.prefix { $0 != ":" })
            }
        }
        return "http://\(hostName):\(bound.storage)"
    }
}
