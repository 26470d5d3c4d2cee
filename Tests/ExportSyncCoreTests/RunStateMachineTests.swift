import ExportSyncCore
import Foundation
import Testing

@Suite("RunStateMachine")
struct RunStateMachineTests {
    static let url = "https://api.example.test/operations/abc?sig=1"
    static let t1 = Date(timeIntervalSince1970: 1_000)
    static let t2 = Date(timeIntervalSince1970: 2_000)

    static let states: [RunState] = [
        .due, .starting, .uploading(operationURL: url), .polling(operationURL: url, nextPollAt: t1),
        .downloading(operationURL: url), .done, .failed(reason: "boom", retryable: true),
    ]
    static let events: [RunEvent] = [
        .begin, .kickoffAccepted(operationURL: url, firstPollAt: t1), .uploadFinished(nextPollAt: t2),
        .operationPending(nextPollAt: t2), .operationSucceeded, .fileWritten,
        .failed(reason: "deadline", retryable: false), .restart,
    ]

    /// Every legal (kind, state, event) → (next state, action). Anything absent must be refused.
    static func expected(_ kind: RunKind, _ state: RunState, _ event: RunEvent) -> (RunState, RunAction)? {
        let url = Self.url
        switch (kind, state.phase, event) {
        case (_, .done, _), (_, .failed, _):
            return nil
        case (_, _, .failed(let reason, let retryable)):
            return (.failed(reason: reason, retryable: retryable), .recordFailure(reason: reason, retryable: retryable))
        case (_, .due, .begin), (_, .due, .restart):
            return (.starting, .sendKickoff(possibleDuplicate: false))
        case (_, .starting, .restart), (_, .uploading, .restart):
            return (.starting, .sendKickoff(possibleDuplicate: true))
        case (.export, .starting, .kickoffAccepted):
            return (.polling(operationURL: url, nextPollAt: t1), .schedulePoll(operationURL: url, at: t1))
        case (.upload, .starting, .kickoffAccepted):
            return (.uploading(operationURL: url), .upload(operationURL: url))
        case (_, .uploading, .uploadFinished):
            return (.polling(operationURL: url, nextPollAt: t2), .schedulePoll(operationURL: url, at: t2))
        case (_, .polling, .operationPending):
            return (.polling(operationURL: url, nextPollAt: t2), .schedulePoll(operationURL: url, at: t2))
        case (_, .polling, .restart):
            return (state, .schedulePoll(operationURL: url, at: t1))
        case (.export, .polling, .operationSucceeded):
            return (.downloading(operationURL: url), .download(operationURL: url, discardTemporaryFile: false))
        case (.upload, .polling, .operationSucceeded):
            return (.done, .recordDone)
        case (.export, .downloading, .restart):
            return (state, .download(operationURL: url, discardTemporaryFile: true))
        case (.export, .downloading, .fileWritten):
            return (.done, .recordDone)
        default:
            return nil
        }
    }

    @Test("every state × event for exports and uploads: legal ones transition, the rest are refused",
          arguments: RunKind.allCases)
    func exhaustiveTransitionTable(kind: RunKind) throws {
        var legal = 0
        var refused = 0
        for state in Self.states {
            for event in Self.events {
                var machine = RunStateMachine(kind: kind, state: state)
                if let (next, action) = Self.expected(kind, state, event) {
                    let got = try machine.handle(event)
                    #expect(got == action, "\(kind) \(state.phase) + \(event.name)")
                    #expect(machine.state == next, "\(kind) \(state.phase) + \(event.name)")
                    legal += 1
                } else {
                    let error = #expect(throws: IllegalRunTransition.self, "\(kind) \(state.phase) + \(event.name)") {
                        try machine.handle(event)
                    }
                    #expect(error == IllegalRunTransition(kind: kind, phase: state.phase, event: event))
                    #expect(machine.state == state, "a refused event leaves the state alone")
                    refused += 1
                }
            }
        }
        // Guards the table itself: a machine that accepted everything or nothing fails here.
        #expect(legal == (kind == .export ? 16 : 14))
        #expect(refused == Self.states.count * Self.events.count - legal)
    }

    @Test("export happy path: due → starting → polling → polling → downloading → done")
    func exportHappyPath() throws {
        var machine = RunStateMachine(kind: .export)
        #expect(try machine.handle(.begin) == .sendKickoff(possibleDuplicate: false))
        #expect(try machine.handle(.kickoffAccepted(operationURL: Self.url, firstPollAt: Self.t1))
                == .schedulePoll(operationURL: Self.url, at: Self.t1))
        #expect(try machine.handle(.operationPending(nextPollAt: Self.t2)) == .schedulePoll(operationURL: Self.url, at: Self.t2))
        #expect(machine.state == .polling(operationURL: Self.url, nextPollAt: Self.t2))
        #expect(try machine.handle(.operationSucceeded) == .download(operationURL: Self.url, discardTemporaryFile: false))
        #expect(try machine.handle(.fileWritten) == .recordDone)
        #expect(machine.state == .done)
        #expect(machine.state.phase.isTerminal)
    }

    @Test("upload happy path: due → starting → uploading → polling → done")
    func uploadHappyPath() throws {
        var machine = RunStateMachine(kind: .upload)
        #expect(try machine.handle(.begin) == .sendKickoff(possibleDuplicate: false))
        #expect(try machine.handle(.kickoffAccepted(operationURL: Self.url, firstPollAt: Self.t1)) == .upload(operationURL: Self.url))
        #expect(machine.state.phase == .uploading)
        #expect(try machine.handle(.uploadFinished(nextPollAt: Self.t2)) == .schedulePoll(operationURL: Self.url, at: Self.t2))
        #expect(try machine.handle(.operationSucceeded) == .recordDone)
        #expect(machine.state == .done)
    }

    @Test("restart rules: each persisted phase resumes as DESIGN.md §2 says")
    func restartRules() throws {
        var due = RunStateMachine(kind: .export, state: .due)
        #expect(try due.handle(.restart) == .sendKickoff(possibleDuplicate: false))

        var starting = RunStateMachine(kind: .export, state: .starting)
        #expect(try starting.handle(.restart) == .sendKickoff(possibleDuplicate: true), "no Location: start again, flagged")
        #expect(starting.state == .starting)

        var uploading = RunStateMachine(kind: .upload, state: .uploading(operationURL: Self.url))
        #expect(try uploading.handle(.restart) == .sendKickoff(possibleDuplicate: true), "uploadUrl was never stored")
        #expect(uploading.state == .starting)

        var polling = RunStateMachine(kind: .export, state: .polling(operationURL: Self.url, nextPollAt: Self.t2))
        #expect(try polling.handle(.restart) == .schedulePoll(operationURL: Self.url, at: Self.t2), "resume at next_poll_at")

        var downloading = RunStateMachine(kind: .export, state: .downloading(operationURL: Self.url))
        #expect(try downloading.handle(.restart) == .download(operationURL: Self.url, discardTemporaryFile: true))

        for terminal in [RunState.done, .failed(reason: "x", retryable: true)] {
            var machine = RunStateMachine(kind: .export, state: terminal)
            #expect(throws: IllegalRunTransition.self) { try machine.handle(.restart) }
        }
    }

    @Test("failed is reachable from every unfinished phase and keeps reason and retryable flag",
          arguments: [RunState.due, .starting, .uploading(operationURL: url),
                      .polling(operationURL: url, nextPollAt: t1), .downloading(operationURL: url)])
    func failureFromEveryStep(state: RunState) throws {
        var machine = RunStateMachine(kind: .export, state: state)
        #expect(try machine.handle(.failed(reason: "server said failed", retryable: true))
                == .recordFailure(reason: "server said failed", retryable: true))
        #expect(machine.state == .failed(reason: "server said failed", retryable: true))
        #expect(throws: IllegalRunTransition.self) { try machine.handle(.failed(reason: "again", retryable: false)) }
    }

    @Test("the error message names kind, phase and event but no URL")
    func errorMessage() {
        var machine = RunStateMachine(kind: .export, state: .done)
        let error = #expect(throws: IllegalRunTransition.self) {
            try machine.handle(.kickoffAccepted(operationURL: Self.url, firstPollAt: Self.t1))
        }
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text == "illegal run transition: export run in phase 'done' cannot handle kickoffAccepted")
        #expect(!text.contains("sig="))
    }

    @Test("RunPhase raw values are the strings the store persists")
    func phaseRawValues() {
        #expect(RunPhase.allCases.map(\.rawValue) == ["due", "starting", "uploading", "polling", "downloading", "done", "failed"])
        #expect(RunPhase.unfinished == [.due, .starting, .uploading, .polling, .downloading])
        #expect(RunKind.allCases.map(\.rawValue) == ["export", "upload"])
    }
}
