public import Foundation

/// Something that happened to a run: an outcome the engine observed at one step.
///
/// Events carry what happened, never what to do about it: the waits, retry counts and deadlines
/// are decided by ``RunStateMachine``. A transient event carries the server's wait
/// (`Retry-After`, already parsed to seconds) when it gave one.
public enum RunEvent: Sendable, Hashable {
    /// The kickoff POST is about to be sent (persisted first, so a crash after sending is seen).
    case sendingKickoff
    /// The server accepted the kickoff: `202` with the operation's `Location` (or WebAdMIT's
    /// export-file record). `serverWait` is the answer's `Retry-After`.
    case kickoffAccepted(operationURL: String, serverWait: Double?)
    /// After an ambiguous kickoff, the provider's listing shows the operation it started.
    case kickoffFound(operationURL: String)
    /// After an ambiguous kickoff, the provider's listing shows no such operation: send again,
    /// and that is not a duplicate.
    case kickoffNotFound
    /// The server refused the kickoff for good (a 4xx other than 429).
    case kickoffRefused(reason: String)
    /// The kickoff did not take effect and may be sent again: 429, 5xx, or a transport failure
    /// before the request left (a token endpoint that is down included).
    case kickoffTransient(reason: String, serverWait: Double?)
    /// The kickoff was sent but its answer was lost (reset, timeout): it may have taken effect.
    case kickoffAmbiguous(reason: String)
    /// An upload's bytes were accepted by the temporary `uploadUrl`; `serverWait` is the
    /// attachmentUpload answer's `Retry-After`.
    case uploadSent(serverWait: Double?)
    /// The PUT failed transiently; the `uploadUrl` is gone with the task, so a new
    /// attachmentUpload is needed (the old one gets no bytes and attaches nothing).
    case uploadTransient(reason: String, serverWait: Double?)
    /// The PUT was refused for good (an expired URL, a 4xx).
    case uploadRefused(reason: String)
    /// A poll answered: still running.
    case pollPending(serverWait: Double?)
    /// A poll answered: completed, with a result (exports) or attached (uploads).
    case pollSucceeded
    /// A poll answered with a terminal failure (`failed`, `cancelled`, `Empty List`, …).
    case pollTerminal(reason: String)
    /// A poll got no usable answer (429, 5xx, transport, garbled body).
    case pollTransient(reason: String, serverWait: Double?)
    /// The result is in place: fsynced, renamed, directory fsynced.
    case downloadComplete
    /// The download failed in a way a later attempt may fix (cut short, reset, 5xx, an expired
    /// pre-signed URL, a full disk).
    case downloadTransient(reason: String, serverWait: Double?)
    /// The download was refused for good (a 4xx on the result, a path that may not be written).
    case downloadRefused(reason: String)
    /// A scan (the run of a discovery job, which stays `due` while it reads its lists) read its
    /// last list; the runs of what it found are created with this transition.
    case scanComplete
    /// A scan read one more list (its items and what is left are committed with this
    /// transition): the step succeeded, so the transient failures before it stop counting.
    case scanListRead
    /// A list of a scan got no usable answer (429, 5xx, a transport failure): it is read again
    /// after the wait, and the scan resumes where it was.
    case scanTransient(reason: String, serverWait: Double?)
    /// A list of a scan was refused for good (a 4xx, a page that is not a list, an `@nextLink`
    /// that leaves the API): the scan fails and removes nothing.
    case scanRefused(reason: String)
    /// The run's deadline passed.
    case deadlinePassed
    /// The run cannot go on for a local reason (its job left the configuration, a kind its
    /// source cannot serve): terminal.
    case abandoned(reason: String)
}

/// What the engine must do next for a run, and when. ``RunStateMachine`` decides it; the store
/// persists it with the state (``at`` as the run's next attempt or the operation's next poll)
/// before the engine waits, so a restart never acts early.
public enum RunAction: Sendable, Hashable {
    /// Send the kickoff no earlier than `at`. `possibleDuplicate`: an earlier kickoff may have
    /// reached the server without its answer being recorded; the engine logs it.
    case kickoff(at: Date, possibleDuplicate: Bool)
    /// List the provider's operations no earlier than `at` and adopt the one an ambiguous
    /// kickoff started, before sending again (WebAdMIT).
    case reconcileKickoff(at: Date)
    /// PUT the file to the temporary upload URL received with the kickoff answer, no earlier
    /// than `at`. The URL lives only in the task that received it; after a restart the run
    /// starts a new attachmentUpload instead.
    case upload(operationURL: String, at: Date)
    /// Poll `operationURL` (with the recorded `X-Version`) no earlier than `at`.
    case poll(operationURL: String, at: Date)
    /// Download the result of `operationURL` no earlier than `at`. `discardTemporaryFile`: a temp
    /// file from before a restart may exist. WebAdMIT: a fresh `download_url` is needed unless
    /// the engine still holds one it was given moments ago.
    case download(operationURL: String, at: Date, discardTemporaryFile: Bool)
    /// The run ended without a result; `retryable` runs are tried again on their next schedule.
    case fail(reason: String, retryable: Bool)
    /// The run ended with its result.
    case done

    /// When the action is due, for actions that wait.
    public var at: Date? {
        switch self {
        case .kickoff(let at, _), .reconcileKickoff(let at), .upload(_, let at), .poll(_, let at), .download(_, let at, _): at
        case .fail, .done: nil
        }
    }
}

/// The counters and times that go with a run's state; persisted beside it.
public struct RunProgress: Sendable, Hashable {
    /// After this instant the run fails, whatever the server says.
    public var deadline: Date
    /// When the next kickoff, reconciliation or download attempt is due (`nil`: at once).
    /// Polls keep theirs in ``RunState/polling(operationURL:nextPollAt:)``.
    public var nextAttemptAt: Date?
    /// Transient failures of the current step in a row; reset when a step succeeds.
    public var stepFailures: Int
    /// Polls the server answered.
    public var pollCount: Int
    /// The last transient failure, for status and for the deadline's reason.
    public var lastError: String?

    /// Creates progress for a run with `deadline`.
    public init(deadline: Date, nextAttemptAt: Date? = nil, stepFailures: Int = 0, pollCount: Int = 0, lastError: String? = nil) {
        self.deadline = deadline
        self.nextAttemptAt = nextAttemptAt
        self.stepFailures = stepFailures
        self.pollCount = pollCount
        self.lastError = lastError
    }
}

/// How a source's runs wait: backoff, poll pacing, budgets. Value type, no clock.
public struct RunPolicy: Sendable, Hashable {
    /// Backoff after a transient failure the server set no wait for; `maximumAttempts` is the
    /// per-step budget of attempts (the deadline usually ends a run first).
    public var retry: RetryPolicy
    /// Wait before the first poll when the kickoff answer had no `Retry-After`.
    public var firstPollDelay: Double
    /// Polls of a pending operation back off from `pollInitialDelay` by `pollMultiplier` up to
    /// `pollMaximumDelay` (jittered), unless the server set `Retry-After`.
    public var pollInitialDelay: Double
    public var pollMultiplier: Double
    public var pollMaximumDelay: Double
    /// Two polls of one operation are never closer than this (WebAdMIT `poll_interval`), not
    /// even when the server's `Retry-After` is shorter.
    public var minimumPollInterval: Double
    /// Longest server wait honoured as given; longer ones are cut to this.
    public var maximumServerWait: Double
    /// Whether an ambiguous kickoff can be reconciled by listing the provider's operations
    /// (WebAdMIT) instead of being sent again as a possible duplicate (Workiva).
    public var kickoffsCanBeListed: Bool
    /// PUTs tried with one temporary upload URL before a new attachmentUpload is started.
    public var uploadAttemptsPerURL: Int

    /// Creates a policy; the defaults suit Workiva.
    public init(
        retry: RetryPolicy = RetryPolicy(initialDelay: 1, multiplier: 2, maximumDelay: 300, maximumAttempts: 100),
        firstPollDelay: Double = 1, pollInitialDelay: Double = 1, pollMultiplier: Double = 1.5, pollMaximumDelay: Double = 60,
        minimumPollInterval: Double = 0, maximumServerWait: Double = 86_400, kickoffsCanBeListed: Bool = false,
        uploadAttemptsPerURL: Int = 3
    ) {
        self.retry = retry
        self.firstPollDelay = firstPollDelay
        self.pollInitialDelay = pollInitialDelay
        self.pollMultiplier = pollMultiplier
        self.pollMaximumDelay = pollMaximumDelay
        self.minimumPollInterval = minimumPollInterval
        self.maximumServerWait = maximumServerWait
        self.kickoffsCanBeListed = kickoffsCanBeListed
        self.uploadAttemptsPerURL = uploadAttemptsPerURL
    }

    /// WebAdMIT: polls at least `pollInterval` apart, backing off from there to the cap; lost
    /// kickoffs are found again by listing the identity's export files.
    public static func webAdmit(pollInterval: Double) -> RunPolicy {
        let interval = max(1, pollInterval)
        return RunPolicy(firstPollDelay: interval, pollInitialDelay: interval, pollMaximumDelay: max(60, interval),
                         minimumPollInterval: interval, kickoffsCanBeListed: true)
    }

    /// The wait after the `failures`-th transient failure in a row: the server's (at least the
    /// poll interval for polls), else jittered exponential backoff. `jitter` is uniform in [0, 1).
    func retryWait(failures: Int, serverWait: Double?, jitter: Double, isPoll: Bool) -> Double {
        let floor = isPoll ? minimumPollInterval : 0
        if let serverWait { return max(floor, min(max(0, serverWait), maximumServerWait)) }
        return max(floor, Self.jittered(retry.baseDelay(afterFailure: failures), jitter))
    }

    /// The wait before polling a pending operation again after `polls` answered polls.
    func pollWait(polls: Int, serverWait: Double?, jitter: Double) -> Double {
        if let serverWait { return max(minimumPollInterval, min(max(0, serverWait), maximumServerWait)) }
        let base = min(pollMaximumDelay, pollInitialDelay * pow(pollMultiplier, Double(max(0, polls))))
        return max(minimumPollInterval, Self.jittered(base, jitter))
    }

    /// The wait after the first poll-less kickoff answer.
    func firstPollWait(serverWait: Double?) -> Double {
        max(minimumPollInterval, min(max(0, serverWait ?? firstPollDelay), maximumServerWait))
    }

    /// The wait before retrying a step whose state could not be written (disk full, I/O error,
    /// read-only database), after `failures` such failures in a row: backoff, never a spin.
    public func stateWriteRetryWait(failures: Int, jitter: Double) -> Double {
        let base = min(60, 1 * pow(2, Double(max(0, failures - 1))))
        return Self.jittered(base, jitter)
    }

    /// "Equal jitter": uniform in `[base/2, base]`, so clients that failed together spread out.
    static func jittered(_ base: Double, _ jitter: Double) -> Double {
        base / 2 + base / 2 * min(max(jitter, 0), 1)
    }
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
        case .sendingKickoff: "sendingKickoff"
        case .kickoffAccepted: "kickoffAccepted"
        case .kickoffFound: "kickoffFound"
        case .kickoffNotFound: "kickoffNotFound"
        case .kickoffRefused: "kickoffRefused"
        case .kickoffTransient: "kickoffTransient"
        case .kickoffAmbiguous: "kickoffAmbiguous"
        case .uploadSent: "uploadSent"
        case .uploadTransient: "uploadTransient"
        case .uploadRefused: "uploadRefused"
        case .pollPending: "pollPending"
        case .pollSucceeded: "pollSucceeded"
        case .pollTerminal: "pollTerminal"
        case .pollTransient: "pollTransient"
        case .downloadComplete: "downloadComplete"
        case .downloadTransient: "downloadTransient"
        case .downloadRefused: "downloadRefused"
        case .scanComplete: "scanComplete"
        case .scanListRead: "scanListRead"
        case .scanTransient: "scanTransient"
        case .scanRefused: "scanRefused"
        case .deadlinePassed: "deadlinePassed"
        case .abandoned: "abandoned"
        }
    }

    /// The reason of a transient event: a wait, not a verdict.
    public var transientReason: String? {
        switch self {
        case .kickoffTransient(let reason, _), .kickoffAmbiguous(let reason), .uploadTransient(let reason, _),
             .pollTransient(let reason, _), .downloadTransient(let reason, _), .scanTransient(let reason, _):
            reason
        default: nil
        }
    }

    /// Which step a transient event makes wait, as a short fixed name (`kickoff`,
    /// `kickoff_ambiguous`, `upload`, `poll`, `download`), for counting retries; `nil` for an
    /// event that is not transient.
    public var retryReason: String? {
        switch self {
        case .kickoffTransient: "kickoff"
        case .kickoffAmbiguous: "kickoff_ambiguous"
        case .uploadTransient: "upload"
        case .pollTransient: "poll"
        case .downloadTransient: "download"
        case .scanTransient: "scan"
        default: nil
        }
    }
}

/// Every decision about a run, as a pure state machine: an event and the time in, the next
/// state and one ``RunAction`` (with its time) out. No I/O, no clock, no randomness of its own
/// (the caller passes `now` and a uniform `jitter`).
///
/// ```
/// export: due → starting → polling(op URL, next_poll_at) → downloading → done
/// upload: due → starting → uploading → polling(op URL, next_poll_at) → done
/// scan:   due (reading its lists, retrying a list after a transient failure) → done
/// failed(reason, retryable) is reachable from every unfinished state.
/// ```
///
/// - A transient failure is a wait, not a verdict: the step is tried again at the server's
///   `Retry-After`, else after jittered exponential backoff, until the run's deadline (or the
///   per-step attempt budget). Only a terminal answer, the deadline or the budget fails a run.
/// - Waits are capped at the deadline, so a run fails at its deadline, not before.
/// - An ambiguous kickoff (sent, answer lost) stays in `starting`: it is reconciled by listing
///   where the provider can list (WebAdMIT), else sent again as a possible duplicate.
/// - Restart rules (``nextAction(now:)``): `due` kicks off at its recorded attempt time;
///   `starting` reconciles or re-sends (possible duplicate); `uploading` starts a new upload
///   (the temporary upload URL was never persisted); `polling` resumes at `next_poll_at`;
///   `downloading` discards the temp file and downloads again. Terminal means terminal.
public struct RunStateMachine: Sendable, Hashable {
    /// Whether the run exports or uploads.
    public let kind: RunKind
    /// The current state.
    public private(set) var state: RunState
    /// Counters and times that go with the state.
    public private(set) var progress: RunProgress
    /// How this run's source wants to be waited for.
    public let policy: RunPolicy

    /// Creates a machine for a run of `kind` in `state` (e.g. as loaded from the database).
    public init(kind: RunKind, state: RunState = .due, progress: RunProgress, policy: RunPolicy = RunPolicy()) {
        self.kind = kind
        self.state = state
        self.progress = progress
        self.policy = policy
    }

    /// What to do with the run as it stands (after a restart, or when the dispatcher reads it):
    /// nothing changes. A run past its deadline answers ``RunAction/fail(reason:retryable:)``;
    /// the engine then records ``RunEvent/deadlinePassed``.
    public func nextAction(now: Date) -> RunAction {
        if !state.phase.isTerminal, now >= progress.deadline { return deadlineFailure }
        let at = progress.nextAttemptAt ?? now
        switch state {
        case .due: return .kickoff(at: at, possibleDuplicate: false)
        case .starting: return policy.kickoffsCanBeListed ? .reconcileKickoff(at: at) : .kickoff(at: at, possibleDuplicate: true)
        case .uploading: return .kickoff(at: at, possibleDuplicate: true)
        case .polling(let url, let nextPollAt): return .poll(operationURL: url, at: nextPollAt)
        case .downloading(let url): return .download(operationURL: url, at: at, discardTemporaryFile: true)
        case .done: return .done
        case .failed(let reason, let retryable): return .fail(reason: reason, retryable: retryable)
        }
    }

    /// Applies `event` at `now`, returning what to do next; the state is unchanged when the
    /// event is refused. `jitter` (uniform in [0, 1)) spreads backoff waits.
    public mutating func handle(_ event: RunEvent, now: Date, jitter: Double = 0.5) throws(IllegalRunTransition) -> RunAction {
        let refused = IllegalRunTransition(kind: kind, phase: state.phase, event: event)
        var next = progress
        let (nextState, action): (RunState, RunAction)
        switch (state, event) {
        case (.done, _), (.failed, _):
            throw refused

        case (_, .deadlinePassed):
            (nextState, action) = terminal(deadlineFailure)
        case (_, .abandoned(let reason)):
            (nextState, action) = terminal(.fail(reason: reason, retryable: false))

        case (.due, .sendingKickoff):
            next.nextAttemptAt = nil
            (nextState, action) = (.starting, .kickoff(at: now, possibleDuplicate: false))
        case (.starting, .sendingKickoff), (.uploading, .sendingKickoff):
            next.nextAttemptAt = nil
            (nextState, action) = (.starting, .kickoff(at: now, possibleDuplicate: true))

        case (.starting, .kickoffAccepted(let url, let serverWait)):
            next.stepFailures = 0
            next.lastError = nil
            next.nextAttemptAt = nil
            switch kind {
            case .export:
                let at = capped(now.addingTimeInterval(policy.firstPollWait(serverWait: serverWait)))
                (nextState, action) = (.polling(operationURL: url, nextPollAt: at), .poll(operationURL: url, at: at))
            case .upload:
                (nextState, action) = (.uploading(operationURL: url), .upload(operationURL: url, at: now))
            }
        case (.starting, .kickoffFound(let url)) where kind == .export:
            next.stepFailures = 0
            next.lastError = nil
            next.nextAttemptAt = nil
            let at = capped(now.addingTimeInterval(policy.firstPollWait(serverWait: nil)))
            (nextState, action) = (.polling(operationURL: url, nextPollAt: at), .poll(operationURL: url, at: at))
        case (.starting, .kickoffNotFound):
            next.nextAttemptAt = nil
            (nextState, action) = (.due, .kickoff(at: now, possibleDuplicate: false))
        case (.starting, .kickoffRefused(let reason)):
            (nextState, action) = terminal(.fail(reason: reason, retryable: false))
        case (.starting, .kickoffTransient(let reason, let serverWait)):
            // Nothing took effect: back to `due`, so the next send is not a possible duplicate.
            (nextState, action) = retry(from: .due, reason: reason, serverWait: serverWait, progress: &next, now: now, jitter: jitter) { at in
                .kickoff(at: at, possibleDuplicate: false)
            }
        case (.starting, .kickoffAmbiguous(let reason)):
            (nextState, action) = retry(from: .starting, reason: reason, serverWait: nil, progress: &next, now: now, jitter: jitter) { at in
                policy.kickoffsCanBeListed ? .reconcileKickoff(at: at) : .kickoff(at: at, possibleDuplicate: true)
            }

        case (.uploading(let url), .uploadSent(let serverWait)):
            next.stepFailures = 0
            next.lastError = nil
            let at = capped(now.addingTimeInterval(policy.firstPollWait(serverWait: serverWait)))
            (nextState, action) = (.polling(operationURL: url, nextPollAt: at), .poll(operationURL: url, at: at))
        case (.uploading(let url), .uploadTransient(let reason, let serverWait)):
            // The task that holds the upload URL tries the PUT again a few times; after that a
            // new attachmentUpload (back in `due`) gets a fresh URL.
            if progress.stepFailures + 1 < policy.uploadAttemptsPerURL {
                (nextState, action) = retry(from: state, reason: reason, serverWait: serverWait, progress: &next, now: now, jitter: jitter) { at in
                    .upload(operationURL: url, at: at)
                }
            } else {
                (nextState, action) = retry(from: .due, reason: reason, serverWait: serverWait, progress: &next, now: now, jitter: jitter) { at in
                    .kickoff(at: at, possibleDuplicate: false)
                }
            }
        case (.uploading, .uploadRefused(let reason)):
            (nextState, action) = terminal(.fail(reason: reason, retryable: false))

        case (.polling(let url, _), .pollPending(let serverWait)):
            next.stepFailures = 0
            next.lastError = nil
            let at = capped(now.addingTimeInterval(policy.pollWait(polls: progress.pollCount, serverWait: serverWait, jitter: jitter)))
            next.pollCount += 1
            (nextState, action) = (.polling(operationURL: url, nextPollAt: at), .poll(operationURL: url, at: at))
        case (.polling(let url, _), .pollTransient(let reason, let serverWait)):
            let failures = progress.stepFailures + 1
            next.stepFailures = failures
            next.lastError = reason
            if failures >= policy.retry.maximumAttempts {
                (nextState, action) = terminal(budgetFailure(reason: reason, failures: failures))
            } else {
                let wait = policy.retryWait(failures: failures, serverWait: serverWait, jitter: jitter, isPoll: true)
                let at = capped(now.addingTimeInterval(wait))
                (nextState, action) = (.polling(operationURL: url, nextPollAt: at), .poll(operationURL: url, at: at))
            }
        case (.polling(let url, _), .pollSucceeded):
            next.stepFailures = 0
            next.lastError = nil
            next.pollCount += 1
            next.nextAttemptAt = nil
            switch kind {
            case .export: (nextState, action) = (.downloading(operationURL: url), .download(operationURL: url, at: now, discardTemporaryFile: false))
            case .upload: (nextState, action) = (.done, .done)
            }
        case (.polling, .pollTerminal(let reason)):
            next.pollCount += 1
            (nextState, action) = terminal(.fail(reason: reason, retryable: false))

        case (.downloading, .downloadComplete) where kind == .export:
            next.stepFailures = 0
            next.lastError = nil
            next.nextAttemptAt = nil
            (nextState, action) = (.done, .done)
        case (.downloading(let url), .downloadTransient(let reason, let serverWait)) where kind == .export:
            (nextState, action) = retry(from: state, reason: reason, serverWait: serverWait, progress: &next, now: now, jitter: jitter) { at in
                .download(operationURL: url, at: at, discardTemporaryFile: true)
            }
        case (.downloading, .downloadRefused(let reason)) where kind == .export:
            (nextState, action) = terminal(.fail(reason: reason, retryable: false))

        case (.due, .scanComplete) where kind == .export:
            next.stepFailures = 0
            next.lastError = nil
            next.nextAttemptAt = nil
            (nextState, action) = (.done, .done)
        case (.due, .scanListRead) where kind == .export:
            next.stepFailures = 0
            next.lastError = nil
            next.nextAttemptAt = nil
            (nextState, action) = (.due, .kickoff(at: now, possibleDuplicate: false))
        case (.due, .scanTransient(let reason, let serverWait)) where kind == .export:
            (nextState, action) = retry(from: .due, reason: reason, serverWait: serverWait, progress: &next, now: now, jitter: jitter) { at in
                .kickoff(at: at, possibleDuplicate: false)
            }
        case (.due, .scanRefused(let reason)) where kind == .export:
            (nextState, action) = terminal(.fail(reason: reason, retryable: true))

        default:
            throw refused
        }
        if case .fail = action { next.nextAttemptAt = nil }
        state = nextState
        progress = next
        return action
    }

    /// A transient failure of a step that waits in `progress.nextAttemptAt`: the wait, or the
    /// failure once the step's attempt budget is spent.
    private func retry(
        from waiting: RunState, reason: String, serverWait: Double?, progress next: inout RunProgress, now: Date, jitter: Double,
        action: (Date) -> RunAction
    ) -> (RunState, RunAction) {
        let failures = progress.stepFailures + 1
        next.stepFailures = failures
        next.lastError = reason
        if failures >= policy.retry.maximumAttempts { return terminal(budgetFailure(reason: reason, failures: failures)) }
        let at = capped(now.addingTimeInterval(policy.retryWait(failures: failures, serverWait: serverWait, jitter: jitter, isPoll: false)))
        next.nextAttemptAt = at
        return (waiting, action(at))
    }

    /// A wait never ends after the deadline: the run then fails at the deadline, not before.
    private func capped(_ at: Date) -> Date { min(at, progress.deadline) }

    private func terminal(_ action: RunAction) -> (RunState, RunAction) {
        guard case .fail(let reason, let retryable) = action else { return (.done, .done) }
        return (.failed(reason: reason, retryable: retryable), action)
    }

    private func budgetFailure(reason: String, failures: Int) -> RunAction {
        .fail(reason: "gave up after \(failures) transient failures in a row; the last: \(reason)", retryable: true)
    }

    /// The failure when the deadline passes, saying where the run was.
    private var deadlineFailure: RunAction {
        let whereItWas = switch state.phase {
        case .due, .starting: "before its export could start"
        case .uploading: "while its file was being uploaded"
        case .polling: "while its operation was still running (\(progress.pollCount) polls answered)"
        case .downloading: "before its file was downloaded"
        case .done, .failed: "after it ended"
        }
        let last = progress.lastError.map { "; last error: \($0)" } ?? ""
        return .fail(reason: "the run's deadline passed \(whereItWas)\(last)", retryable: true)
    }
}
