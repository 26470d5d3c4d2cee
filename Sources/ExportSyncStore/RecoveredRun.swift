public import ExportSyncCore
public import Foundation

/// An unfinished run found at startup, with its operation and lifecycle state rebuilt from the
/// database; feed ``machine`` a ``RunEvent/restart`` to learn what to do.
public struct RecoveredRun: Sendable, Hashable {
    /// The run row.
    public var run: StoredRun
    /// The operation it follows, if the kickoff was accepted.
    public var operation: StoredOperation?
    /// The run's state machine in its persisted state.
    public var machine: RunStateMachine
}

/// An operation whose next poll is due, with the runs waiting on it.
public struct PollTarget: Sendable, Hashable {
    /// The operation (exact `Location`, `X-Version`, poll count…).
    public var operation: StoredOperation
    /// When it is to be polled.
    public var nextPollAt: Date
    /// Runs in `polling` that follow it (more than one when WebAdMIT ids were deduplicated),
    /// oldest first: the poller needs the first one's job and deadline without reading it again.
    public var runs: [StoredRun]
    /// The ids of ``runs``.
    public var runIDs: [Int64] { runs.map(\.id) }
}

/// The result of ``StateStore/recordOperationAccepted(run:location:xVersion:providerIDs:nextPollAt:deadline:at:)``.
public struct OperationAcceptance: Sendable, Hashable {
    /// The operation the run now follows.
    public var operation: StoredOperation
    /// True when the provider ids matched an existing operation, which the run joined instead of
    /// creating a second one (WebAdMIT dedupe).
    public var joinedExisting: Bool
    /// What the run does next.
    public var action: RunAction
}

/// What one pass of the engine's loop may start (``StateStore/dispatchCandidates(runLimits:pollsUntil:pollLimit:)``).
public struct DispatchCandidates: Sendable {
    /// Runs to start, upload or download, by phase in the order asked, oldest first within each.
    public var runs: [RecoveredRun]
    /// Operations due for a poll, earliest first.
    public var polls: [PollTarget]
}
