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
        return storage.withLock { storage in
            var entry = entry
            entry.id = storage.nextId
            storage.nextId += 1
            storage.entries.append(entry)
            if storage.entries.count > capacity {
                let drop = storage.entries.count - capacity
                storage.entries.removeFirst(drop)
                storage.firstId += drop
            }
            return entry.id
        }
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
