import Foundation

/// All mutable server state: tokens, operations, export-file runs, rate-limit buckets and fault
/// counters. It lives as long as the server, so a client (the daemon under test) can restart
/// and find its operations where it left them.
actor SandboxState {
    nonisolated let scenario: SandboxScenario

    struct IssuedToken: Sendable {
        let clientId: String
        let scopes: Set<String>
        let expires: Date
    }

    enum RateDecision: Sendable, Equatable {
        case allowed
        case limited(retryAfter: Int?)
    }

    private var tokens: [String: IssuedToken] = [:]
    private var operations: [String: WorkivaOperation] = [:]
    private var clientBuckets: [String: TokenBucket] = [:]
    private var pollBuckets: [String: TokenBucket] = [:]
    private var limitedAnswers = 0
    private var uploads: [ReceivedUpload] = []
    private var callbacks: [String] = []

    private var runs: [Int: ExportFileRun] = [:]
    private var runInFlight: [Int: Int] = [:]
    private var nextExportFileId: Int
    private var quotaWindows: [String: (start: Date, used: Int)] = [:]

    private var faultCounters: [Int]
    /// When each rule first matched (for rules that fire ``FaultRule/forSeconds``).
    private var faultWindowStarts: [Date?]

    private let resourcesById: [String: WorkivaResource]
    private let clientsById: [String: WorkivaClient]
    private let apiKeys: [String: WebAdmitAPIKey]

    init(scenario: SandboxScenario, now: Date) {
        self.scenario = scenario
        self.nextExportFileId = scenario.webadmit.firstExportFileId
        self.faultCounters = Array(repeating: 0, count: scenario.faults.count)
        self.faultWindowStarts = Array(repeating: nil, count: scenario.faults.count)
        self.resourcesById = Dictionary(scenario.workiva.resources.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.clientsById = Dictionary(scenario.workiva.clients.map { ($0.clientId, $0) }, uniquingKeysWith: { first, _ in first })
        self.apiKeys = Dictionary(scenario.webadmit.apiKeys.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for batch in scenario.workiva.preparedOperations {
            guard let resource = resourcesById[batch.resource] else { continue }
            let content = WorkivaExportChoice(format: "pdf", singleSheet: false).content(for: resource)
            operations.reserveCapacity(operations.count + batch.count)
            for index in 0..<batch.count {
                let id = batch.operationID(index)
                operations[id] = Self.makeOperation(
                    id: id, flavor: .v2026, resource: resource, clientId: batch.clientId, work: .export(content),
                    kickoffPath: "/prepared/\(resource.id)/export", now: now, scenario: scenario)
            }
        }
    }

    // MARK: What the lists show

    /// The test forms the graph lists show now (the scenario's, until a test replaces them).
    private(set) var testForms: [SandboxTestForm]? = nil

    /// WebAdMIT export ids the lists leave out (a template "not created yet").
    private(set) var unlistedExports: Set<Int> = []

    func currentTestForms() -> [SandboxTestForm] { testForms ?? scenario.workiva.testForms }

    func setTestForms(_ forms: [SandboxTestForm]) { testForms = forms }

    func setUnlistedExports(_ ids: Set<Int>) { unlistedExports = ids }

    // MARK: Faults

    /// Counts the request against every rule it matches and returns the first rule that fires.
    func fault(for route: FaultRule.Route, resource: String?, now: Date) -> FaultRule? {
        var firing: FaultRule?
        for (index, rule) in scenario.faults.enumerated() where rule.route == route {
            if let wanted = rule.resource, wanted != resource { continue }
            faultCounters[index] += 1
            let fires: Bool
            if let window = rule.forSeconds {
                let start = faultWindowStarts[index] ?? now
                faultWindowStarts[index] = start
                fires = now.timeIntervalSince(start) < window
            } else {
                fires = rule.requests.map { $0.contains(faultCounters[index]) } ?? true
            }
            if firing == nil, fires {
                firing = rule
            }
        }
        return firing
    }

    // MARK: Workiva tokens and limits

    enum TokenResult: Sendable {
        case issued(token: String, scopes: [String], expiresIn: Int)
        case invalidClient
        case invalidScope
    }

    func issueToken(clientId: String, clientSecret: String, scope: String?, now: Date) -> TokenResult {
        guard let client = clientsById[clientId], client.clientSecret == clientSecret else { return .invalidClient }
        var granted = client.scopes
        if let scope, !scope.isEmpty {
            let requested = scope.split(separator: " ").map(String.init)
            guard requested.allSatisfy(client.scopes.contains) else { return .invalidScope }
            granted = requested
        }
        let token = "sbx." + Self.randomHex(bytes: 24)
        let lifetime = scenario.workiva.tokenLifetimeSeconds
        tokens[token] = IssuedToken(
            clientId: clientId, scopes: Set(granted), expires: now.addingTimeInterval(Double(lifetime)))
        return .issued(token: token, scopes: granted, expiresIn: lifetime)
    }

    /// The live token, or `nil` when unknown or expired.
    func token(_ value: String, now: Date) -> IssuedToken? {
        guard let token = tokens[value], token.expires > now else { return nil }
        return token
    }

    /// Applies the per-client request rate (token endpoint included).
    func admitClientRequest(clientId: String, now: Date) -> RateDecision {
        let rate = scenario.workiva.requestsPerSecond
        guard rate > 0 else { return .allowed }
        var bucket = clientBuckets[clientId] ?? TokenBucket(rate: rate, capacity: rate, now: now)
        let allowed = bucket.take(now: now)
        clientBuckets[clientId] = bucket
        return allowed ? .allowed : .limited(retryAfter: nextLimitedRetryAfter())
    }

    /// Applies the per-token operations poll rate.
    func admitPoll(token: String, now: Date) -> RateDecision {
        let rate = scenario.workiva.pollsPerSecond
        guard rate > 0 else { return .allowed }
        var bucket = pollBuckets[token] ?? TokenBucket(rate: rate, capacity: 1, now: now)
        let allowed = bucket.take(now: now)
        pollBuckets[token] = bucket
        return allowed ? .allowed : .limited(retryAfter: nextLimitedRetryAfter())
    }

    private func nextLimitedRetryAfter() -> Int? {
        limitedAnswers += 1
        switch scenario.workiva.retryAfterOn429 {
        case .always: return 1
        case .never: return nil
        case .alternate: return limitedAnswers % 2 == 1 ? 1 : nil
        }
    }

    // MARK: Workiva operations

    func resource(_ id: String) -> WorkivaResource? { resourcesById[id] }

    func createOperation(
        flavor: WorkivaFlavor, resource: WorkivaResource, clientId: String, work: (String) -> WorkivaOperation.Work,
        kickoffPath: String, now: Date
    ) -> WorkivaOperation {
        let id = Self.randomHex(bytes: 16)
        let operation = Self.makeOperation(
            id: id, flavor: flavor, resource: resource, clientId: clientId, work: work(id),
            kickoffPath: kickoffPath, now: now, scenario: scenario)
        operations[id] = operation
        return operation
    }

    /// A new operation of `resource` following its (or the default) timeline from `now`.
    private static func makeOperation(
        id: String, flavor: WorkivaFlavor, resource: WorkivaResource, clientId: String, work: WorkivaOperation.Work,
        kickoffPath: String, now: Date, scenario: SandboxScenario
    ) -> WorkivaOperation {
        WorkivaOperation(
            id: id, flavor: flavor, resourceId: resource.id, clientId: clientId,
            userId: "V1ZVc2VyFz" + String(StableRandom.seed(clientId), radix: 16),
            timeline: WorkivaTimelineScript(
                script: resource.timeline ?? scenario.workiva.defaultTimeline,
                uploadDeadline: scenario.workiva.uploadDeadlineSeconds),
            work: work, created: now, originalRequest: UUID().uuidString.lowercased(),
            kickoffPath: kickoffPath, updated: now)
    }

    /// Counts a poll of operation `id` and returns it advanced to `now`.
    func poll(_ id: String, now: Date) -> WorkivaOperation? {
        guard var operation = operations[id] else { return nil }
        operation.polls += 1
        operation.advance(now: now)
        operations[id] = operation
        return operation
    }

    func operation(_ id: String) -> WorkivaOperation? { operations[id] }

    func operationCount(resource: String) -> Int { operations.values.filter { $0.resourceId == resource }.count }

    enum UploadAcceptance: Sendable {
        case accepted
        case unknown
        case alreadyFinished
    }

    func recordUpload(_ upload: ReceivedUpload, now: Date) -> UploadAcceptance {
        guard var operation = operations[upload.operationId] else { return .unknown }
        operation.advance(now: now)
        guard !operation.status.isTerminal else { return .alreadyFinished }
        operation.uploadReceived = upload
        operations[upload.operationId] = operation
        uploads.append(upload)
        return .accepted
    }

    func receivedUploads() -> [ReceivedUpload] { uploads }

    func recordCallback(_ body: String) { callbacks.append(body) }

    func receivedCallbacks() -> [String] { callbacks }

    // MARK: WebAdMIT

    func apiKey(_ key: String) -> WebAdmitAPIKey? { apiKeys[key] }

    /// Counts one call against the key's hourly quota; returns whether it is allowed and the
    /// values for `X-RateLimit-Limit` / `X-RateLimit-Remaining`.
    func consumeQuota(key: String, now: Date) -> (allowed: Bool, limit: Int, remaining: Int) {
        let limit = scenario.webadmit.hourlyQuota
        var window = quotaWindows[key] ?? (start: now, used: 0)
        if now.timeIntervalSince(window.start) >= 3600 { window = (start: now, used: 0) }
        let allowed = window.used < limit
        if allowed { window.used += 1 }
        quotaWindows[key] = window
        return (allowed, limit, max(0, limit - window.used))
    }

    /// Starts a run of `export`, or returns the run already in flight for it.
    func startRun(export: WebAdmitExport, callback: String?, content: SandboxContent, now: Date) -> ExportFileRun {
        if let inFlight = runInFlight[export.id], var run = runs[inFlight] {
            run.advance(now: now)
            runs[inFlight] = run
            if !run.status.isTerminal { return run }
        }
        let run = ExportFileRun(
            id: nextExportFileId, exportId: export.id, identityId: export.identityId,
            timeline: export.timeline ?? scenario.webadmit.defaultTimeline, created: now, callback: callback,
            content: content)
        nextExportFileId += 1
        runs[run.id] = run
        runInFlight[export.id] = run.id
        return run
    }

    /// Counts a status call of run `id` and returns it advanced to `now`.
    func statusCall(_ id: Int, now: Date) -> ExportFileRun? {
        guard var run = runs[id] else { return nil }
        run.statusCalls += 1
        run.advance(now: now)
        runs[id] = run
        return run
    }

    /// The run advanced to `now` without counting a status call.
    func run(_ id: Int, now: Date) -> ExportFileRun? {
        guard var run = runs[id] else { return nil }
        run.advance(now: now)
        runs[id] = run
        return run
    }

    /// Recent runs of an identity, newest first.
    func runs(identityId: Int, now: Date) -> [ExportFileRun] {
        let ids = runs.values.filter { $0.identityId == identityId }.map(\.id).sorted(by: >)
        return ids.compactMap { run($0, now: now) }
    }

    // MARK: Helpers

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }
}
