import ExportSyncCore
import Foundation
import Testing

/// The run decision core, driven by hand: every (kind, state, event) at a fixed instant, no
/// sockets, no sleeps, no wall clock.
@Suite("RunStateMachine")
struct RunStateMachineTests {
    static let url = "https://api.example.test/operations/abc?sig=1"
    static let t0 = Date(timeIntervalSince1970: 1_000_000)
    static let deadline = t0.addingTimeInterval(3_600)
    static let pollAt = t0.addingTimeInterval(30)

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static let states: [RunState] = [
        .due, .starting, .uploading(operationURL: url), .polling(operationURL: url, nextPollAt: pollAt),
        .downloading(operationURL: url), .done, .failed(reason: "boom", retryable: true),
    ]
    static let events: [RunEvent] = [
        .sendingKickoff, .kickoffAccepted(operationURL: url, serverWait: 7), .kickoffAccepted(operationURL: url, serverWait: nil),
        .kickoffFound(operationURL: url), .kickoffNotFound, .kickoffRefused(reason: "HTTP 400"),
        .kickoffTransient(reason: "HTTP 503", serverWait: 7), .kickoffTransient(reason: "HTTP 503", serverWait: nil),
        .kickoffAmbiguous(reason: "reset"), .uploadSent(serverWait: nil), .uploadTransient(reason: "HTTP 503", serverWait: nil),
        .uploadRefused(reason: "expired"), .pollPending(serverWait: 7), .pollPending(serverWait: nil), .pollSucceeded,
        .pollTerminal(reason: "failed"), .pollTransient(reason: "HTTP 429", serverWait: 7), .pollTransient(reason: "reset", serverWait: nil),
        .downloadComplete, .downloadTransient(reason: "cut", serverWait: nil), .downloadRefused(reason: "HTTP 404"),
        .deadlinePassed, .abandoned(reason: "job removed"),
    ]

    /// With jitter 0.5 "equal jitter" waits are 3/4 of the base: backoff 1 s → 0.75 s.
    static let firstBackoff = 0.75

    /// Every legal (kind, listable, state, event) → (next state, action); anything absent must
    /// be refused. Written out from the lifecycle's rules, not from the implementation.
    static func expected(_ kind: RunKind, listable: Bool, _ state: RunState, _ event: RunEvent) -> (RunState, RunAction)? {
        let url = Self.url
        let deadlineReason: String = switch state.phase {
        case .due, .starting: "the run's deadline passed before its export could start"
        case .uploading: "the run's deadline passed while its file was being uploaded"
        case .polling: "the run's deadline passed while its operation was still running (0 polls answered)"
        default: "the run's deadline passed before its file was downloaded"
        }
        switch (kind, state.phase, event) {
        case (_, .done, _), (_, .failed, _):
            return nil
        case (_, _, .deadlinePassed):
            return (.failed(reason: deadlineReason, retryable: true), .fail(reason: deadlineReason, retryable: true))
        case (_, _, .abandoned(let reason)):
            return (.failed(reason: reason, retryable: false), .fail(reason: reason, retryable: false))
        case (_, .due, .sendingKickoff):
            return (.starting, .kickoff(at: t0, possibleDuplicate: false))
        case (_, .starting, .sendingKickoff), (_, .uploading, .sendingKickoff):
            return (.starting, .kickoff(at: t0, possibleDuplicate: true))
        case (.export, .starting, .kickoffAccepted(_, let wait)):
            let first = at(listable ? max(5, wait ?? 5) : wait ?? 1)
            return (.polling(operationURL: url, nextPollAt: first), .poll(operationURL: url, at: first))
        case (.upload, .starting, .kickoffAccepted):
            return (.uploading(operationURL: url), .upload(operationURL: url, at: t0))
        case (.export, .starting, .kickoffFound):
            let first = at(listable ? 5 : 1)
            return (.polling(operationURL: url, nextPollAt: first), .poll(operationURL: url, at: first))
        case (_, .starting, .kickoffNotFound):
            return (.due, .kickoff(at: t0, possibleDuplicate: false))
        case (_, .starting, .kickoffRefused(let reason)):
            return (.failed(reason: reason, retryable: false), .fail(reason: reason, retryable: false))
        case (_, .starting, .kickoffTransient(_, let wait)):
            return (.due, .kickoff(at: at(wait ?? firstBackoff), possibleDuplicate: false))
        case (_, .starting, .kickoffAmbiguous):
            let retryAt = at(firstBackoff)
            return (.starting, listable ? .reconcileKickoff(at: retryAt) : .kickoff(at: retryAt, possibleDuplicate: true))
        case (_, .uploading, .uploadSent):
            let first = at(listable ? 5 : 1)
            return (.polling(operationURL: url, nextPollAt: first), .poll(operationURL: url, at: first))
        case (_, .uploading, .uploadTransient):
            return (state, .upload(operationURL: url, at: at(firstBackoff)))
        case (_, .uploading, .uploadRefused(let reason)):
            return (.failed(reason: reason, retryable: false), .fail(reason: reason, retryable: false))
        case (_, .polling, .pollPending(let wait)):
            // Workiva: Retry-After, else backoff from 1 s; WebAdMIT: never under its 5 s interval.
            let next = at(listable ? max(5, wait ?? 5 * 0.75) : wait ?? 0.75)
            return (.polling(operationURL: url, nextPollAt: next), .poll(operationURL: url, at: next))
        case (_, .polling, .pollTransient(_, let wait)):
            let next = at(listable ? max(5, wait ?? firstBackoff) : wait ?? firstBackoff)
            return (.polling(operationURL: url, nextPollAt: next), .poll(operationURL: url, at: next))
        case (.export, .polling, .pollSucceeded):
            return (.downloading(operationURL: url), .download(operationURL: url, at: t0, discardTemporaryFile: false))
        case (.upload, .polling, .pollSucceeded):
            return (.done, .done)
        case (_, .polling, .pollTerminal(let reason)):
            return (.failed(reason: reason, retryable: false), .fail(reason: reason, retryable: false))
        case (.export, .downloading, .downloadComplete):
            return (.done, .done)
        case (.export, .downloading, .downloadTransient):
            return (state, .download(operationURL: url, at: at(firstBackoff), discardTemporaryFile: true))
        case (.export, .downloading, .downloadRefused(let reason)):
            return (.failed(reason: reason, retryable: false), .fail(reason: reason, retryable: false))
        default:
            return nil
        }
    }

    static func policy(listable: Bool) -> RunPolicy {
        listable ? .webAdmit(pollInterval: 5) : RunPolicy()
    }

    @Test("every state × event for exports and uploads, Workiva and WebAdMIT rules: legal ones decide, the rest are refused",
          arguments: [(RunKind.export, false), (.export, true), (.upload, false)])
    func exhaustiveDecisionTable(kind: RunKind, listable: Bool) throws {
        var legal = 0
        var refused = 0
        for state in Self.states {
            for event in Self.events {
                var machine = RunStateMachine(kind: kind, state: state, progress: RunProgress(deadline: Self.deadline),
                                              policy: Self.policy(listable: listable))
                let label = "\(kind) listable=\(listable) \(state.phase) + \(event.name) \(event)"
                if let (next, action) = Self.expected(kind, listable: listable, state, event) {
                    let got = try machine.handle(event, now: Self.t0, jitter: 0.5)
                    #expect(got == action, "\(label)")
                    #expect(machine.state == next, "\(label)")
                    if case .fail = action { #expect(machine.progress.nextAttemptAt == nil, "\(label)") }
                    legal += 1
                } else {
                    let error = #expect(throws: IllegalRunTransition.self, "\(label)") {
                        try machine.handle(event, now: Self.t0, jitter: 0.5)
                    }
                    #expect(error == IllegalRunTransition(kind: kind, phase: state.phase, event: event))
                    #expect(machine.state == state, "a refused event leaves the state alone")
                    refused += 1
                }
            }
        }
        // Guards the table itself: a machine that accepted everything or nothing fails here.
        let expectedLegal = switch (kind, listable) {
        case (.export, _): 33
        case (.upload, _): 29
        }
        #expect(legal == expectedLegal, "legal transitions for \(kind)")
        #expect(legal + refused == Self.states.count * Self.events.count)
    }

    @Test("what a run read from the database does, in each phase (restart rules)")
    func nextActionPerPhase() {
        let progress = RunProgress(deadline: Self.deadline, nextAttemptAt: Self.at(40))
        let cases: [(RunState, Bool, RunAction)] = [
            (.due, false, .kickoff(at: Self.at(40), possibleDuplicate: false)),
            (.starting, false, .kickoff(at: Self.at(40), possibleDuplicate: true)),
            (.starting, true, .reconcileKickoff(at: Self.at(40))),
            (.uploading(operationURL: Self.url), false, .kickoff(at: Self.at(40), possibleDuplicate: true)),
            (.polling(operationURL: Self.url, nextPollAt: Self.pollAt), false, .poll(operationURL: Self.url, at: Self.pollAt)),
            (.downloading(operationURL: Self.url), false, .download(operationURL: Self.url, at: Self.at(40), discardTemporaryFile: true)),
            (.done, false, .done),
            (.failed(reason: "x", retryable: false), false, .fail(reason: "x", retryable: false)),
        ]
        for (state, listable, action) in cases {
            let machine = RunStateMachine(kind: .export, state: state, progress: progress, policy: Self.policy(listable: listable))
            #expect(machine.nextAction(now: Self.t0) == action, "\(state.phase) listable=\(listable)")
        }
        // Without a recorded attempt time the action is due at once.
        let fresh = RunStateMachine(kind: .export, state: .due, progress: RunProgress(deadline: Self.deadline))
        #expect(fresh.nextAction(now: Self.t0) == .kickoff(at: Self.t0, possibleDuplicate: false))
        // At the deadline every unfinished run answers fail, retryable.
        let late = RunStateMachine(kind: .export, state: .polling(operationURL: Self.url, nextPollAt: Self.pollAt), progress: progress)
        guard case .fail(let reason, true) = late.nextAction(now: Self.deadline) else {
            Issue.record("a run at its deadline must fail")
            return
        }
        #expect(reason.contains("deadline"))
    }

    @Test("transient kickoff failures back off exponentially with jitter, capped, and reset on success")
    func backoffGrowsAndIsCapped() throws {
        var machine = RunStateMachine(kind: .export, state: .due, progress: RunProgress(deadline: Self.at(100_000)))
        var now = Self.t0
        var waits: [Double] = []
        for _ in 0..<12 {
            _ = try machine.handle(.sendingKickoff, now: now)
            let action = try machine.handle(.kickoffTransient(reason: "HTTP 503", serverWait: nil), now: now, jitter: 1)
            guard let at = action.at else { Issue.record("a transient failure must wait"); return }
            waits.append(at.timeIntervalSince(now))
            now = at
        }
        // jitter 1 gives the full base: 1, 2, 4, … capped at 300.
        #expect(waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300])
        #expect(machine.progress.stepFailures == 12)
        _ = try machine.handle(.sendingKickoff, now: now)
        _ = try machine.handle(.kickoffAccepted(operationURL: Self.url, serverWait: nil), now: now)
        #expect(machine.progress.stepFailures == 0, "a step that succeeds resets the count")
        #expect(machine.progress.lastError == nil)

        // jitter 0 gives half the base: clients that failed together spread over [base/2, base].
        var low = RunStateMachine(kind: .export, state: .starting, progress: RunProgress(deadline: Self.at(100_000), stepFailures: 3))
        #expect(try low.handle(.kickoffTransient(reason: "x", serverWait: nil), now: Self.t0, jitter: 0).at == Self.at(4))
    }

    @Test("the server's wait is honoured as given (seconds parsed from either Retry-After form), and capped at the deadline")
    func serverWaitAndDeadlineCap() throws {
        var machine = RunStateMachine(kind: .export, state: .polling(operationURL: Self.url, nextPollAt: Self.t0),
                                      progress: RunProgress(deadline: Self.at(100)))
        #expect(try machine.handle(.pollTransient(reason: "429", serverWait: 42), now: Self.t0) == .poll(operationURL: Self.url, at: Self.at(42)))
        // A wait past the deadline ends at the deadline, where the run then fails.
        #expect(try machine.handle(.pollPending(serverWait: 500), now: Self.t0) == .poll(operationURL: Self.url, at: Self.at(100)))
        guard case .fail(_, true) = machine.nextAction(now: Self.at(100)) else {
            Issue.record("the run must fail at its deadline")
            return
        }
        // HTTP-date Retry-After turns into the same seconds before it reaches the core.
        let header = "Wed, 21 Oct 2015 07:28:42 GMT"
        let now = try #require(RetryAfter.httpDate("Wed, 21 Oct 2015 07:28:00 GMT"))
        #expect(RetryAfter.delay(header: header, now: now, bounds: 0...86_400) == 42)
    }

    @Test("WebAdMIT polls are never closer than poll_interval and back off to the cap for long exports")
    func webAdmitPacing() throws {
        let policy = RunPolicy.webAdmit(pollInterval: 5)
        var machine = RunStateMachine(kind: .export, state: .polling(operationURL: Self.url, nextPollAt: Self.t0),
                                      progress: RunProgress(deadline: Self.at(100_000)), policy: policy)
        var now = Self.t0
        var waits: [Double] = []
        for _ in 0..<12 {
            let action = try machine.handle(.pollPending(serverWait: nil), now: now, jitter: 0)
            guard let at = action.at else { return }
            waits.append(at.timeIntervalSince(now))
            now = at
        }
        #expect(waits.allSatisfy { $0 >= 5 }, "\(waits)")
        #expect(waits == waits.sorted(), "waits never shrink: \(waits)")
        #expect(waits.last == 30, "jitter 0 is half the 60 s cap: \(waits)")
        // A 429 with a shorter Retry-After still keeps the interval; a longer one is honoured.
        #expect(try machine.handle(.pollTransient(reason: "429", serverWait: 2), now: now).at == now.addingTimeInterval(5))
        #expect(try machine.handle(.pollTransient(reason: "429", serverWait: 9), now: now).at == now.addingTimeInterval(9))
        #expect(RunPolicy.webAdmit(pollInterval: 0.2).minimumPollInterval == 1, "at least 1 s")
    }

    @Test("the per-step attempt budget fails the run, retryable, naming the last error")
    func attemptBudget() throws {
        var policy = RunPolicy()
        policy.retry.maximumAttempts = 3
        var machine = RunStateMachine(kind: .export, state: .downloading(operationURL: Self.url),
                                      progress: RunProgress(deadline: Self.at(100_000)), policy: policy)
        #expect(try machine.handle(.downloadTransient(reason: "cut 1", serverWait: nil), now: Self.t0).at != nil)
        #expect(try machine.handle(.downloadTransient(reason: "cut 2", serverWait: nil), now: Self.t0).at != nil)
        let last = try machine.handle(.downloadTransient(reason: "cut 3", serverWait: nil), now: Self.t0)
        guard case .fail(let reason, true) = last else {
            Issue.record("the budget must end the run: \(last)")
            return
        }
        #expect(reason.contains("3 transient failures") && reason.contains("cut 3"))
        #expect(machine.state.phase == .failed)
    }

    @Test("a PUT is retried with the same upload URL a few times, then a new attachmentUpload is started")
    func uploadRetriesThenNewKickoff() throws {
        var machine = RunStateMachine(kind: .upload, state: .uploading(operationURL: Self.url), progress: RunProgress(deadline: Self.at(100_000)))
        guard case .upload = try machine.handle(.uploadTransient(reason: "503", serverWait: nil), now: Self.t0),
              case .upload = try machine.handle(.uploadTransient(reason: "503", serverWait: nil), now: Self.t0)
        else { Issue.record("the first PUT failures retry the PUT"); return }
        let third = try machine.handle(.uploadTransient(reason: "503", serverWait: 3), now: Self.t0)
        #expect(third == .kickoff(at: Self.at(3), possibleDuplicate: false))
        #expect(machine.state == .due)
    }

    @Test("state write failures back off to a minute, never spin")
    func stateWriteBackoff() {
        let policy = RunPolicy()
        let waits = (1...10).map { policy.stateWriteRetryWait(failures: $0, jitter: 1) }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60])
        #expect(policy.stateWriteRetryWait(failures: 1, jitter: 0) == 0.5)
    }
}
