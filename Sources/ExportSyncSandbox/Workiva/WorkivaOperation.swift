import Foundation

/// A long-running Workiva operation and the script that drives it.
struct WorkivaOperation: Sendable {
    enum Status: String, Sendable {
        case acknowledged, queued, started, completed, failed, cancelled

        var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }

        var rank: Int {
            switch self {
            case .acknowledged: 0
            case .queued: 1
            case .started: 2
            case .completed, .failed, .cancelled: 3
            }
        }
    }

    /// What was kicked off.
    enum Work: Sendable {
        /// An export whose result is `content`.
        case export(SandboxContent)
        /// An attachment upload awaiting a PUT to `storagePath`.
        case upload(fileName: String, storagePath: String, urlExpires: Int)
    }

    let id: String
    let flavor: WorkivaFlavor
    let resourceId: String
    let clientId: String
    let userId: String
    let timeline: WorkivaTimelineScript
    let work: Work
    let created: Date
    let originalRequest: String
    /// The path the kick-off was posted to, without the flavour prefix (for upload results).
    let kickoffPath: String
    var updated: Date
    var status: Status = .acknowledged
    var polls = 0
    var uploadReceived: ReceivedUpload?

    /// The `Retry-After` for the poll numbered `poll` (1-based).
    func retryAfter(forPoll poll: Int) -> Int {
        let sequence = timeline.script.retryAfter
        return sequence[min(max(poll - 1, 0), sequence.count - 1)]
    }

    /// Advances the state for a poll observed at `now` (the poll itself already counted).
    mutating func advance(now: Date) {
        guard !status.isTerminal else { return }
        let script = timeline.script
        let elapsed = now.timeIntervalSince(created)
        if case .upload = work, uploadReceived == nil {
            if elapsed >= timeline.uploadDeadline {
                set(.failed, at: now)
                return
            }
            // Without the bytes an upload can get no further than `started`.
            let next: Status = polls >= 2 ? .started : polls == 1 ? .queued : .acknowledged
            set(next, at: now)
            return
        }
        let pollsDone = polls > script.polls
        let timeDone = elapsed >= script.seconds
        if pollsDone && timeDone {
            switch script.outcome {
            case .completed: set(.completed, at: now)
            case .failed: set(.failed, at: now)
            case .cancelled: set(.cancelled, at: now)
            }
            return
        }
        let pollProgress = script.polls == 0 ? 1 : Double(polls - 1) / Double(script.polls)
        let timeProgress = script.seconds <= 0 ? 1 : elapsed / script.seconds
        let progress = min(pollProgress, timeProgress)
        let next: Status = progress < 1.0 / 3 ? .acknowledged : progress < 2.0 / 3 ? .queued : .started
        set(next, at: now)
    }

    private mutating func set(_ next: Status, at now: Date) {
        // A status never moves backwards.
        if next.rank > status.rank {
            status = next
            updated = now
        }
    }
}

/// The timeline of one operation plus the upload deadline that applies to uploads.
struct WorkivaTimelineScript: Sendable {
    let script: OperationTimeline
    let uploadDeadline: Double
}

/// Bytes that arrived at an `uploadUrl`.
public struct ReceivedUpload: Sendable, Hashable, Codable {
    /// The operation the upload belongs to.
    public var operationId: String
    /// The `fileName` given to attachmentUpload.
    public var fileName: String
    /// Bytes received.
    public var byteCount: Int
    /// Lower-case hex SHA-256 of the bytes.
    public var sha256: String
    /// `Content-Type` of the PUT, if any.
    public var contentType: String?
}
