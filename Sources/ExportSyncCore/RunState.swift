public import Foundation

/// What a run does: fetch an export from the server, or send a local file to it.
public enum RunKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// `due → starting → polling → downloading → done`.
    case export
    /// `due → starting → uploading → polling → done`.
    case upload
}

/// The persisted name of a run's lifecycle step; the raw value is what the state store writes.
public enum RunPhase: String, Sendable, Hashable, CaseIterable, Codable {
    /// Scheduled, nothing sent yet.
    case due
    /// The kickoff request is about to be (or was) sent; its `Location` is not recorded yet.
    case starting
    /// An upload's bytes are being PUT to the temporary `uploadUrl` (which is never persisted).
    case uploading
    /// The operation was accepted; it is polled at `next_poll_at`.
    case polling
    /// The operation succeeded; the result is being downloaded to a temp file.
    case downloading
    /// Finished: the file is in place (export) or the server confirmed it (upload).
    case done
    /// Finished without a result.
    case failed

    /// Whether no further transition leaves this phase.
    public var isTerminal: Bool { self == .done || self == .failed }

    /// The phases a run can be recovered from after a restart.
    public static let unfinished: [RunPhase] = allCases.filter { !$0.isTerminal }

    /// Unfinished phases that need action right after a restart; `polling` runs instead wait
    /// for their recorded `next_poll_at`.
    public static let actionableAtStartup: Set<RunPhase> = [.due, .starting, .uploading, .downloading]
}

/// A run's state with the data each step needs.
///
/// Operation URLs are kept as the exact strings the server gave (resolved if relative), never
/// rebuilt from an id, so they survive a round trip through the database unchanged.
public enum RunState: Sendable, Hashable {
    /// Scheduled, nothing sent yet.
    case due
    /// The kickoff may have been sent; no `Location` recorded.
    case starting
    /// Uploading to a temporary URL held only in memory; `operationURL` is polled afterwards.
    case uploading(operationURL: String)
    /// Waiting for the operation at `operationURL`; the next poll is due at `nextPollAt`.
    case polling(operationURL: String, nextPollAt: Date)
    /// Downloading the result of the operation at `operationURL`.
    case downloading(operationURL: String)
    /// Finished with a result.
    case done
    /// Finished without a result; `retryable` runs are tried again on their next schedule.
    case failed(reason: String, retryable: Bool)

    /// The persisted phase of this state.
    public var phase: RunPhase {
        switch self {
        case .due: .due
        case .starting: .starting
        case .uploading: .uploading
        case .polling: .polling
        case .downloading: .downloading
        case .done: .done
        case .failed: .failed
        }
    }
}
