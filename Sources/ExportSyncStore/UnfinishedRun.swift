public import ExportSyncCore
public import Foundation

/// An unfinished run as last committed, with its operation: what every pass of the dispatcher
/// (and a restart's recovery) starts work from. Ask ``machine(policy:)`` what to do with it (``RunStateMachine/nextAction(now:)``).
public struct UnfinishedRun: Sendable, Hashable {
    /// The run row.
    public var run: StoredRun
    /// The operation it follows, if the kickoff was accepted.
    public var operation: StoredOperation?
    /// The run's persisted state.
    public var state: RunState

    /// The run's state machine in its persisted state, under its source's `policy`.
    public func machine(policy: RunPolicy) -> RunStateMachine {
        RunStateMachine(
            kind: run.kind, state: state,
            progress: RunProgress(deadline: run.deadline, nextAttemptAt: run.nextAttemptAt, stepFailures: run.stepFailures,
                                  pollCount: operation?.pollCount ?? 0, lastError: run.lastError),
            policy: policy)
    }
}

/// A committed decision of the core about a run: its new row and what to do next.
public struct RunDecision: Sendable, Hashable {
    /// The run as committed.
    public var run: StoredRun
    /// What the engine does next (its time is already persisted).
    public var action: RunAction
    /// Other runs that followed the same operation and moved with this one.
    public var followers: [Int64] = []
    /// The jobs of ``followers``, in the same order.
    public var followerJobs: [String] = []

    /// Creates a decision.
    public init(run: StoredRun, action: RunAction, followers: [Int64] = [], followerJobs: [String] = []) {
        self.run = run
        self.action = action
        self.followers = followers
        self.followerJobs = followerJobs
    }
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

/// The result of ``StateStore/recordOperationAccepted(run:location:xVersion:providerIDs:serverWait:found:policy:at:)``.
public struct OperationAcceptance: Sendable, Hashable {
    /// The operation the run now follows.
    public var operation: StoredOperation
    /// True when the provider ids matched an existing operation, which the run joined instead of
    /// creating a second one (WebAdMIT dedupe).
    public var joinedExisting: Bool
    /// The run's new state and what it does next.
    public var decision: RunDecision
}

/// What one pass of the engine's loop may start (``StateStore/dispatchCandidates(runLimits:pollsUntil:pollLimit:)``).
public struct DispatchCandidates: Sendable {
    /// Runs to start, upload or download, by phase in the order asked, oldest first within each.
    public var runs: [UnfinishedRun]
    /// Operations due for a poll, earliest first.
    public var polls: [PollTarget]
    /// Delivery hooks due, earliest first.
    public var hooks: [PendingHook] = []
    /// The earliest persisted wait after the read's instant, when asked for.
    public var earliestScheduledWork: Date? = nil
}
