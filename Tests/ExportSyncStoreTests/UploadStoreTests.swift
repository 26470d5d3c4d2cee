import ExportSyncCore
import Foundation
import Testing
@testable import ExportSyncStore

@Suite("StateStore uploads")
struct UploadStoreTests {
    static let location = "https://api.example.test/operations/up-1"
    static let sha = String(repeating: "cd", count: 32)

    @Test("claim → uploaded with its operation → done → confirmed; the same content is never claimed again")
    func uploadLifecycle() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["inbox"])
        guard case .claimed(let run, let upload) = try await store.claimUpload(
            job: "inbox", sha256: Self.sha.uppercased(), sourcePath: "/in/a.pdf", deadline: Instant.at(600), at: Instant.base) else {
            Issue.record("expected a claim")
            return
        }
        #expect(run.kind == .upload && run.phase == .due)
        #expect(upload.sha256 == Self.sha && upload.state == .pending && upload.runID == run.id)

        // One file at a time per job.
        await #expect(throws: StateStoreError.self) {
            _ = try await store.claimUpload(job: "inbox", sha256: String(repeating: "ef", count: 32), sourcePath: "/in/b.pdf",
                                            deadline: Instant.at(600), at: Instant.at(1))
        }
        // The same content, under another name: already known.
        #expect(try await store.claimUpload(job: "inbox", sha256: Self.sha, sourcePath: "/in/copy.pdf", deadline: Instant.at(600), at: Instant.at(5))
                == .alreadyKnown(upload))

        _ = try await store.kickoff(run.id, at: Instant.at(1))
        let accepted = try await store.accept(run.id, location: Self.location, xVersion: "2026-01-01",
                                              pollAt: Instant.at(2), at: Instant.at(2))
        #expect(accepted.decision.action == .upload(operationURL: Self.location, at: Instant.at(2)))
        #expect(accepted.operation.nextPollAt == nil, "an upload is not polled before its PUT")
        #expect(try await store.recordUploadSent(run: run.id, serverWait: 2, policy: .test, at: Instant.at(3)).action
                == .poll(operationURL: Self.location, at: Instant.at(5)))
        let sent = try #require(try await store.upload(forRun: run.id))
        #expect(sent.state == .uploaded && sent.operationID == accepted.operation.id)
        #expect(try await store.finishedUploads(job: "inbox").isEmpty)

        _ = try await store.succeeded(run.id, status: "completed", at: Instant.at(6))
        let finished = try await store.finishedUploads(job: "inbox")
        #expect(finished.map(\.run.phase) == [.done])
        try await store.recordUploadSettled(upload: upload.id, state: .confirmed, at: Instant.at(7))
        #expect(try await store.finishedUploads(job: "inbox").isEmpty)
        let confirmed = try #require(try await store.upload(sha256: Self.sha))
        #expect(confirmed.state == .confirmed && confirmed.operationID == accepted.operation.id)
        guard case .alreadyKnown(let known) = try await store.claimUpload(
            job: "inbox", sha256: Self.sha, sourcePath: "/in/again.pdf", deadline: Instant.at(900), at: Instant.at(8)) else {
            Issue.record("confirmed content must not be claimed again")
            return
        }
        #expect(known.state == .confirmed && known.sourcePath == "/in/a.pdf")
    }

    @Test("failed content is claimed again by a new run (a fresh drop retries it)")
    func failedContentIsClaimedAgain() async throws {
        let temp = try TemporaryDatabase()
        defer { temp.cleanUp() }
        let store = try StateStore(path: temp.path)
        try await store.registerJobs(["inbox"])
        guard case .claimed(let first, let upload) = try await store.claimUpload(
            job: "inbox", sha256: Self.sha, sourcePath: "/in/a.pdf", deadline: Instant.at(600), at: Instant.base) else {
            Issue.record("expected a claim")
            return
        }
        _ = try await store.abandon(first.id, reason: "PUT rejected", at: Instant.at(1))
        let finished = try await store.finishedUploads(job: "inbox")
        #expect(finished.map(\.run.failureReason) == ["PUT rejected"])
        try await store.recordUploadSettled(upload: upload.id, state: .failed, at: Instant.at(2))
        guard case .claimed(let second, let again) = try await store.claimUpload(
            job: "inbox", sha256: Self.sha, sourcePath: "/in/a-fixed.pdf", deadline: Instant.at(900), at: Instant.at(3)) else {
            Issue.record("failed content must be claimable again")
            return
        }
        #expect(second.id != first.id)
        #expect(again.id == upload.id && again.state == .pending && again.sourcePath == "/in/a-fixed.pdf" && again.runID == second.id)
    }
}
