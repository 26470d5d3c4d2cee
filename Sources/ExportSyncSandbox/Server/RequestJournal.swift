import Foundation
import Hummingbird
import Synchronization

/// The record of every request, kept under a lock (not an actor) so the hot path stays cheap.
final class RequestJournal: Sendable {
    private struct Storage {
        var entries: [JournalEntry] = []
        /// Index in `entries` of the first kept entry's id minus one (entries are trimmed from the front).
        var firstId = 1
        var nextId = 1
        /// Callers of ``arrival(where:timeout:)`` still waiting.
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        /// Waits whose time ran out before they were registered.
        var expired: Set<Int> = []
    }

    private struct Waiter {
        let matches: @Sendable (JournalEntry) -> Bool
        let continuation: CheckedContinuation<JournalEntry?, Never>
    }

    /// Oldest entries are dropped beyond this many, so a benchmark cannot grow memory forever.
    let capacity: Int
    private let storage = Mutex(Storage())

    /// The time entries are stamped with.
    private let clock: SandboxClock

    init(clock: SandboxClock, capacity: Int = 200_000) {
        self.clock = clock
        self.capacity = capacity
    }

    /// Records the arrival of `request`; returns its id.
    func begin(_ request: Request, listener: JournalEntry.Listener) -> Int {
        let entry = JournalEntry(
            id: 0, listener: listener, method: request.method.rawValue, path: request.uri.path,
            query: request.uri.query.map(Self.redacted), xVersion: request.headers[.xVersion],
            credentials: Self.credentials(of: request), status: nil, start: clock.now(), answeredAt: nil, end: nil
        )
        let (id, woken) = storage.withLock { storage in
            var entry = entry
            entry.id = storage.nextId
            storage.nextId += 1
            storage.entries.append(entry)
            if storage.entries.count > capacity {
                let drop = storage.entries.count - capacity
                storage.entries.removeFirst(drop)
                storage.firstId += drop
            }
            var woken: [CheckedContinuation<JournalEntry?, Never>] = []
            for (key, waiter) in storage.waiters where waiter.matches(entry) {
                storage.waiters.removeValue(forKey: key)
                woken.append(waiter.continuation)
            }
            return (entry.id, woken.map { ($0, entry) })
        }
        for (continuation, entry) in woken { continuation.resume(returning: entry) }
        return id
    }

    /// The first request recorded that matches `predicate`: one already in the journal, or the
    /// next to arrive (as it arrives, before it is answered); nil when `timeout` passes first.
    func arrival(where predicate: @escaping @Sendable (JournalEntry) -> Bool, timeout: Duration) async -> JournalEntry? {
        let key = storage.withLock { storage -> Int in
            storage.nextWaiter += 1
            return storage.nextWaiter
        }
        let expiry = Task {
            try? await Task.sleep(for: timeout)
            self.resumeWaiter(key, with: nil)
        }
        defer {
            expiry.cancel()
            storage.withLock { _ = $0.expired.remove(key) }
        }
        return await withCheckedContinuation { continuation in
            let answer = storage.withLock { storage -> JournalEntry?? in
                if let entry = storage.entries.first(where: predicate) { return .some(entry) }
                if storage.expired.contains(key) { return .some(nil) }
                storage.waiters[key] = Waiter(matches: predicate, continuation: continuation)
                return .none
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Ends the wait `key` with `entry`, or marks it expired if it is not registered yet.
    private func resumeWaiter(_ key: Int, with entry: JournalEntry?) {
        let waiter = storage.withLock { storage -> Waiter? in
            guard let waiter = storage.waiters.removeValue(forKey: key) else {
                storage.expired.insert(key)
                return nil
            }
            return waiter
        }
        waiter?.continuation.resume(returning: entry)
    }

    /// Records the status of request `id`.
    func answered(_ id: Int, status: Int?) {
        let now = clock.now()
        update(id) {
            $0.status = status
            $0.answeredAt = now
            $0.end = now
        }
    }

    /// Records that the body of request `id` was fully written.
    func finished(_ id: Int) {
        let now = clock.now()
        update(id) { $0.end = now }
    }

    private func update(_ id: Int, _ change: (inout JournalEntry) -> Void) {
        storage.withLock { storage in
            let index = id - storage.firstId
            guard index >= 0, index < storage.entries.count else { return }
            change(&storage.entries[index])
        }
    }

    func entries() -> [JournalEntry] {
        storage.withLock { $0.entries }
    }

    func clear() {
        storage.withLock { storage in
            storage.firstId = storage.nextId
            storage.entries.removeAll()
        }
    }

    /// Query parameters whose values are credentials themselves.
    static let secretParameters: Set<Substring> = [
        "Signature", "X-Amz-Signature", "X-Amz-Credential", "client_secret", "access_token", "api_key",
    ]

    /// The query with credential values replaced by `REDACTED`.
    static func redacted(_ query: String) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { item in
            let name = item.prefix { $0 != "=" }
            return secretParameters.contains(name) && name.count < item.count ? "\(name)=REDACTED" : String(item)
        }.joined(separator: "&")
    }

    static func credentials(of request: Request) -> [JournalEntry.Credential] {
        var found: [JournalEntry.Credential] = []
        for value in request.headers[values: .authorization] {
            let scheme = value.prefix { $0 != " " }.lowercased()
            found.append(scheme == "bearer" ? .bearer : scheme == "basic" ? .basic : .otherAuthorization)
        }
        if request.headers[.apiKey] != nil { found.append(.apiKey) }
        if let query = request.uri.query, query.contains("Signature=") { found.append(.presignedQuery) }
        return found
    }
}
