public import Foundation

/// Something that happened to a run: an outcome the engine observed, or a restart.
public enum RunEvent: Sendable, Hashable {
    /// The run's scheduled time arrived: `due → starting`.
    case begin
    /// The server accepted the kickoff and gave the operation's `Location`:
    /// `starting → polling` (export) or `starting → uploading` (upload).
    case kickoffAccepted(operationURL: String, firstPollAt: Date)
    /// The PUT to the temporary upload URL finished: `uploading → polling`.
    case uploadFinished(nextPollAt: Date)
    /// The operation is still running: `polling → polling` with a new poll time.
    case operationPending(nextPollAt: Date)
    /// The operation completed: `polling → downloading` (export) or `polling → done` (upload).
    case operationSucceeded
    /// The downloaded file is in place (fsynced and renamed): `downloading → done`.
    case fileWritten
    /// Anything went wrong for good (terminal server state, deadline, non-retryable error):
    /// every unfinished state `→ failed`.
    case failed(reason: String, retryable: Bool)
    /// The process restarted and found the run in its current (persisted) state.
    case restart
}

/// What the engine must do next, as decided by ``RunStateMachine``.
public enum RunAction: Sendable, Hashable {
    /// Persist the `starting` phase, then POST the kickoff. `possibleDuplicate` is true when an
    /// earlier kickoff of this run may have reached the server without its answer being recorded;
    /// the engine logs it.
    case sendKickoff(possibleDuplicate: Bool)
    /// PUT the file to the temporary upload URL received with the kickoff answer.
    case upload(operationURL: String)
    /// Poll `operationURL` (with the recorded `X-Version`) no earlier than `at`.
    case schedulePoll(operationURL: String, at: Date)
    /// Download the result of `operationURL` to a temp file beside the target. When
    /// `discardTemporaryFile` is true, a temp file from before a restart is deleted first.
    /// WebAdMIT: fetch a fresh `download_url` before every attempt; it is never stored.
    case download(operationURL: String, discardTemporaryFile: Bool)
    /// Record the run as done.
    case recordDone
    /// Record the run as failed.
    case recordFailure(reason: String, retryable: Bool)
}

/// A transition the run lifecycle does not allow.
public struct IllegalRunTransition: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of run.
    public let kind: RunKind
    /// The phase the run was in.
    public let phase: RunPhase
    /// The event that was refused.
    public let event: RunEvent

    /// Creates the error.
    public init(kind: RunKind, phase: RunPhase, event: RunEvent) {
        self.kind = kind
        self.phase = phase
        self.event = event
    }

    public var description: String {
        "illegal run transition: \(kind.rawValue) run in phase '\(phase.rawValue)' cannot handle \(event.name)"
    }
}

extension RunEvent {
    /// A short name for messages (no payload, so no URLs in logs by accident).
    public var name: String {
        switch self {
        case .begin: "begin"
        case .kickoffAccepted: "kickoffAccepted"
        case .uploadFinished: "uploadFinished"
        case .operationPending: "operationPending"
        case .operationSucceeded: "operationSucceeded"
        case .fileWritten: "fileWritten"
        case .failed: "failed"
        case .restart: "restart"
        }
    }
}

/// The per-run lifecycle as a pure state machine: events in, one ``RunAction`` out.
///
/// ```
/// export: due → starting → polling(op URL, next_poll_at) → downloading → done
/// upload: due → starting → uploading → polling(op URL, next_poll_at) → done
/// failed(reason, retryable) is reachable from every unfinished state.
/// ```
///
/// Restart rules (``RunEvent/restart``): `due` starts normally; `starting` sends the kickoff
/// again, flagged as a possible duplicate; `uploading` starts a new upload (the temporary upload
/// URL was never persisted), also a possible duplicate; `polling` resumes at the recorded
/// `next_poll_at`; `downloading` discards the temp file and downloads again. Terminal states
/// refuse every event, so terminal means terminal.
public struct RunStateMachine: Sendable, Hashable {
    /// Whether the run exports or uploads.
    public let kind: RunKind
    /// The current state.
    public private(set) var state: RunState

    /// Creates a machine for a run of `kind` in `state` (e.g. as loaded from the database).
    public init(kind: RunKind, state: RunState = .due) {
        self.kind = kind
        self.state = state
    }

    /// Applies `event`, returning what to do next; the state is unchanged when the event is
    /// refused.
    public mutating func handle(_ event: RunEvent) throws(IllegalRunTransition) -> RunAction {
        let (next, action) = try transition(on: event)
        state = next
        return action
    }

    private func transition(on event: RunEvent) throws(IllegalRunTransition) -> (RunState, RunAction) {
        let refused = IllegalRunTransition(kind: kind, phase: state.phase, event: event)
        switch (state, event) {
        case (.done, _), (.failed, _):
            throw refused

        case (_, .failed(let reason, let retryable)):
            return (.failed(reason: reason, retryable: retryable),
                    .recordFailure(reason: reason, retryable: retryable))

        case (.due, .begin), (.due, .restart):
            return (.starting, .sendKickoff(possibleDuplicate: false))

        case (.starting, .restart), (.uploading, .restart):
            return (.starting, .sendKickoff(possibleDuplicate: true))

        case (.starting, .kickoffAccepted(let url, let firstPollAt)):
            switch kind {
            case .export: return (.polling(operationURL: url, nextPollAt: firstPollAt),
                                  .schedulePoll(operationURL: url, at: firstPollAt))
            case .upload: return (.uploading(operationURL: url), .upload(operationURL: url))
            }

        case (.uploading(let url), .uploadFinished(let nextPollAt)):
            return (.polling(operationURL: url, nextPollAt: nextPollAt),
                    .schedulePoll(operationURL: url, at: nextPollAt))

        case (.polling(let url, _), .operationPending(let nextPollAt)):
            return (.polling(operationURL: url, nextPollAt: nextPollAt),
                    .schedulePoll(operationURL: url, at: nextPollAt))

        case (.polling(let url, let nextPollAt), .restart):
            return (state, .schedulePoll(operationURL: url, at: nextPollAt))

        case (.polling(let url, _), .operationSucceeded):
            switch kind {
            case .export: return (.downloading(operationURL: url),
                                  .download(operationURL: url, discardTemporaryFile: false))
            case .upload: return (.done, .recordDone)
            }

        case (.downloading(let url), .restart) where kind == .export:
            return (state, .download(operationURL: url, discardTemporaryFile: true))

        case (.downloading, .fileWritten) where kind == .export:
            return (.done, .recordDone)

        default:
            throw refused
        }
    }
}
