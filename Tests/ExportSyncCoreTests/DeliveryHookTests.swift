import ExportSyncCore
import Foundation
import Testing

/// The pure parts of delivery hooks: the retry rule, the environment, the hook slots.
@Suite("Delivery hooks in the core")
struct DeliveryHookTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    @Test("a failed attempt is tried again after 30 s, doubling (at most 15 min), until the attempts are used up")
    func retryRule() {
        #expect(HookRetryPolicy.retryWait(afterAttempt: 1) == 30)
        #expect(HookRetryPolicy.retryWait(afterAttempt: 2) == 60)
        #expect(HookRetryPolicy.retryWait(afterAttempt: 5) == 480)
        #expect(HookRetryPolicy.retryWait(afterAttempt: 6) == 900)
        #expect(HookRetryPolicy.retryWait(afterAttempt: 60) == 900)
        let failure = HookAttemptOutcome.failed(reason: "exited with status 3")
        #expect(HookRetryPolicy.decide(after: .succeeded, attempt: 3, maximumAttempts: 3, now: Self.now) == .succeeded)
        #expect(HookRetryPolicy.decide(after: failure, attempt: 1, maximumAttempts: 3, now: Self.now)
            == .retry(at: Self.now.addingTimeInterval(30), reason: "exited with status 3 (attempt 1 of 3)"))
        #expect(HookRetryPolicy.decide(after: failure, attempt: 2, maximumAttempts: 3, now: Self.now)
            == .retry(at: Self.now.addingTimeInterval(60), reason: "exited with status 3 (attempt 2 of 3)"))
        #expect(HookRetryPolicy.decide(after: failure, attempt: 3, maximumAttempts: 3, now: Self.now)
            == .failed(reason: "exited with status 3 (attempt 3 of 3; no attempts left)"))
        #expect(HookRetryPolicy.decide(after: failure, attempt: 1, maximumAttempts: 1, now: Self.now)
            == .failed(reason: "exited with status 3 (attempt 1 of 1; no attempts left)"))
    }

    @Test("the environment: the file's variables and a few of the daemon's, never its others")
    func environment() {
        let file = HookEnvironment.File(absolutePath: "/srv/out/a/b.pdf", relativePath: "a/b.pdf", sha256: String(repeating: "ab", count: 32),
                                        size: 1_234, job: "nightly", runID: 42, source: "workiva")
        let daemon = ["PATH": "/opt/bin:/usr/bin", "LANG": "C.UTF-8", "WORKIVA_CLIENT_SECRET": "s3cret",
                      "NOTIFY_SOCKET": "/run/systemd/notify", "CREDENTIALS_DIRECTORY": "/run/credentials/x", "HOME": "/var/lib/exportsync"]
        let variables = HookEnvironment.variables(for: file, daemonEnvironment: daemon)
        #expect(variables == [
            "PATH": "/opt/bin:/usr/bin", "LANG": "C.UTF-8", "HOME": "/var/lib/exportsync",
            "EXPORTSYNC_FILE": "/srv/out/a/b.pdf", "EXPORTSYNC_RELATIVE_PATH": "a/b.pdf",
            "EXPORTSYNC_SHA256": String(repeating: "ab", count: 32), "EXPORTSYNC_SIZE": "1234",
            "EXPORTSYNC_JOB": "nightly", "EXPORTSYNC_RUN": "42", "EXPORTSYNC_SOURCE": "workiva",
        ])
        #expect(HookEnvironment.variables(for: file, daemonEnvironment: [:])["PATH"] == HookEnvironment.defaultPath)
    }

    @Test("hooks take their own slots: they never hold back requests or downloads, and are not counted as polls")
    func hookSlots() {
        var state = DispatchState(limits: .init(requests: 1, downloads: 1, hooks: 2))
        let pass = state.beginPass()
        #expect(state.hookReadLimit == 2)
        #expect(state.start(.hook(1), in: .hook, pass: pass) == .started)
        #expect(state.start(.hook(2), in: .hook, pass: pass) == .started)
        #expect(state.start(.hook(3), in: .hook, pass: pass) == .noRoom)
        #expect(state.hookReadLimit == 0)
        #expect(state.room(for: .request) == 1)
        #expect(state.start(.operation(7), in: .request, pass: pass) == .started)
        #expect(state.pollCount == 1)
        #expect(state.runCount == 0)
        #expect(state.hookCount == 2)
        state.endPass(pass)
        state.finished(.hook(1))
        #expect(state.hookCount == 1)
        #expect(state.hookReadLimit == 2, "one free slot plus the one in flight, which the read may return again")
        let next = state.beginPass()
        #expect(state.start(.hook(2), in: .hook, pass: next) == .alreadyRunning)
        #expect(state.start(.hook(1), in: .hook, pass: pass) == .completedSinceRead)
        #expect(state.start(.hook(3), in: .hook, pass: next) == .started)
    }
}
