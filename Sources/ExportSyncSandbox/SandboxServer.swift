public import Logging
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// A running Workiva + WebAdMIT + S3 simulator.
///
/// ```swift
/// let server = SandboxServer(scenario: .demo)
/// let endpoints = try await server.start()          // 127.0.0.1, ephemeral ports
/// // … drive endpoints.baseURL with a real HTTP client …
/// let requests = server.journal()
/// await server.shutdown()
/// ```
/// The APIs listen on one port; the fake storage (pre-signed URLs) on a second one, so
/// storage is a different origin from the APIs, as S3 is in production.
public actor SandboxServer {
    /// Where a started server listens.
    public struct Endpoints: Sendable, Hashable {
        /// `http://host:port` of the Workiva and WebAdMIT APIs.
        public let baseURL: String
        /// `http://host:port` of the fake storage.
        public let storageBaseURL: String
        /// The API port.
        public let port: Int
        /// The storage port.
        public let storagePort: Int
    }

    /// Starting failed (typically: the port is taken).
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The scenario being served.
    public nonisolated let scenario: SandboxScenario
    private nonisolated let environment: SandboxEnvironment
    private let logger: Logger
    private var tasks: [Task<Void, Never>] = []
    private var groups: [ServiceGroup] = []
    private var endpointsValue: Endpoints?

    /// Creates a server for `scenario` running on `clock`; nothing listens until ``start(host:port:storagePort:)``.
    public init(scenario: SandboxScenario, logger: Logger? = nil, clock: SandboxClock = .system) {
        self.scenario = scenario
        self.environment = SandboxEnvironment(scenario: scenario, clock: clock)
        var fallback = Logger(label: "exportsync.sandbox")
        fallback.logLevel = .warning
        self.logger = logger ?? fallback
    }

    /// Binds both listeners and returns their URLs. Port 0 picks a free port.
    public func start(host: String = "127.0.0.1", port: Int = 0, storagePort: Int = 0) async throws -> Endpoints {
        if let endpointsValue { return endpointsValue }
        let environment = self.environment
        environment.isShuttingDown.store(false, ordering: .relaxed)
        environment.setBound(host: host)

        let api = Router(context: SandboxRequestContext.self)
        api.add(middleware: JournalMiddleware(environment: environment, listener: .api))
        ControlRoutes(environment: environment).register(on: api)
        WorkivaRoutes(environment: environment).register(on: api)
        WebAdmitRoutes(environment: environment).register(on: api)

        let storage = Router(context: SandboxRequestContext.self)
        storage.add(middleware: JournalMiddleware(environment: environment, listener: .storage))
        StorageRoutes(environment: environment).register(on: storage)

        let apiPort = try await launch(router: api, host: host, port: port, name: "api")
        environment.setBound(host: host, apiPort: apiPort)
        let boundStoragePort = try await launch(router: storage, host: host, port: storagePort, name: "storage")
        environment.setBound(host: host, storagePort: boundStoragePort)

        let printableHost = host.contains(":") ? "[\(host)]" : host
        let endpoints = Endpoints(
            baseURL: "http://\(printableHost):\(apiPort)", storageBaseURL: "http://\(printableHost):\(boundStoragePort)",
            port: apiPort, storagePort: boundStoragePort)
        endpointsValue = endpoints
        return endpoints
    }

    /// Runs one Hummingbird application in a task and waits until it is bound.
    private func launch(router: Router<SandboxRequestContext>, host: String, port: Int, name: String) async throws -> Int {
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let logger = self.logger
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        groups.append(group)
        tasks.append(
            Task {
                do {
                    try await group.run()
                } catch {
                    logger.error("sandbox \(name) listener stopped: \(error)")
                }
                continuation.finish()
            })
        var iterator = bound.makeAsyncIterator()
        guard let boundPort = await iterator.next() else {
            throw StartError(description: "could not listen on \(host):\(port) (\(name))")
        }
        return boundPort
    }

    /// The URLs of the running server, if started.
    public var endpoints: Endpoints? { endpointsValue }

    /// Stops both listeners; hanging requests are released. Tokens, operations and runs stay
    /// in memory until the server is released, so `start` may be called again.
    public func shutdown() async {
        environment.isShuttingDown.store(true, ordering: .relaxed)
        for group in groups { await group.triggerGracefulShutdown() }
        // Graceful shutdown waits for requests in flight; a long download gets 3 s, then is cut.
        let running = tasks
        let deadline = Task {
            try? await Task.sleep(for: .seconds(3))
            for task in running { task.cancel() }
        }
        for task in running { await task.value }
        deadline.cancel()
        tasks.removeAll()
        groups.removeAll()
        endpointsValue = nil
    }

    /// Every request received so far, oldest first.
    public nonisolated func journal() -> [JournalEntry] {
        environment.journal.entries()
    }

    /// The first request that matches `predicate`, already received or the next to arrive (as
    /// it arrives, before it is answered); nil when `timeout` passes first. Tests wait on this
    /// instead of polling the journal.
    public nonisolated func arrival(where predicate: @escaping @Sendable (JournalEntry) -> Bool, timeout: Duration = .seconds(60)) async -> JournalEntry? {
        await environment.journal.arrival(where: predicate, timeout: timeout)
    }

    /// Forgets the journal (state such as tokens and operations is kept).
    public nonisolated func clearJournal() {
        environment.journal.clear()
    }

    /// How many Workiva operations were created on `resource` (kicked off, prepared, or made
    /// by a kickoff whose reply a `resetAfterEffect` fault dropped).
    public func operationCount(resource: String) async -> Int {
        await environment.state.operationCount(resource: resource)
    }

    /// Replaces the test forms the graph lists show (attachments added or removed between two
    /// scans); each attachment names a resource of the scenario.
    public func setTestForms(_ forms: [SandboxTestForm]) async {
        await environment.state.setTestForms(forms)
    }

    /// Leaves the WebAdMIT export templates `ids` out of the identities' export lists (as if
    /// not created yet); an empty set lists them all again.
    public func setUnlistedExports(_ ids: Set<Int>) async {
        await environment.state.setUnlistedExports(ids)
    }

    /// Files PUT to Workiva `uploadUrl`s, in arrival order.
    public func receivedUploads() async -> [ReceivedUpload] {
        await environment.state.receivedUploads()
    }
}
