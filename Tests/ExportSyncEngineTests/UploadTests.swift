import ExportSyncSandbox
import Foundation
import TestSupport
import Testing

@Suite("Upload jobs end to end (real binary, sandbox on 127.0.0.1)", .serialized)
struct UploadTests {
    @Test("settled files are attached once each, byte for byte, then moved to done/")
    func happyPath() async throws {
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario())
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox))
        let first = try harness.drop("signature.pdf", testBytes(70_000, seed: 1))
        let second = try harness.drop("ledger 2026.xlsx", testBytes(1_234, seed: 2))
        try harness.drop(".hidden", testBytes(10, seed: 3))
        try harness.drop("report.pdf.part", testBytes(10, seed: 4))

        let result = try await harness.runOnce()
        #expect(result.status == 0, "\(result.log.suffix(3_000))")
        let received = await harness.server.receivedUploads()
        #expect(received.count == 2, "\(received)")
        #expect(Set(received.map(\.sha256)) == [first, second])
        #expect(Set(received.map(\.fileName)) == ["signature.pdf", "ledger 2026.xlsx"])
        #expect(received.allSatisfy { $0.contentType == "application/octet-stream" })
        #expect(harness.inboxNames("done") == ["signature.pdf", "ledger 2026.xlsx"])
        #expect(harness.inboxNames() == [".hidden", "report.pdf.part"])
        #expect(try await harness.lastRuns()["evidence"]?["phase"] as? String == "done")
    }

    @Test("the same content dropped twice (renamed, or again later) is uploaded once, and the log says so")
    func sameContentOnce() async throws {
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario())
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox))
        let bytes = testBytes(20_000, seed: 9)
        try harness.drop("a.pdf", bytes)
        try harness.drop("a copy.pdf", bytes)
        let firstRun = try await harness.runOnce()
        #expect(firstRun.status == 0, "\(firstRun.log.suffix(3_000))")
        try harness.drop("a.pdf", bytes)
        let secondRun = try await harness.runOnce()
        #expect(secondRun.status == 0, "\(secondRun.log.suffix(3_000))")

        let received = await harness.server.receivedUploads()
        #expect(received.count == 1, "\(received)")
        #expect(harness.inboxNames().isEmpty)
        #expect(harness.inboxNames("done").count == 3, "\(harness.inboxNames("done"))")
        #expect((firstRun.log + secondRun.log).components(separatedBy: "not uploading it again").count - 1 == 2,
                "\(firstRun.log.suffix(2_000))\n\(secondRun.log.suffix(2_000))")
    }

    @Test("a file still being written is not picked up until size and mtime settle")
    func stillBeingWritten() async throws {
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario())
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox).replacingOccurrences(of: "settle = \"2s\"", with: "settle = \"30s\""))
        try harness.drop("growing.bin", testBytes(5_000, seed: 5), settled: false)
        let early = try await harness.runOnce()
        #expect(early.status == 0, "\(early.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().isEmpty)
        #expect(harness.inboxNames() == ["growing.bin"])

        let finalBytes = testBytes(9_000, seed: 5)
        let digest = try harness.drop("growing.bin", finalBytes, settled: true)
        let late = try await harness.runOnce()
        #expect(late.status == 0, "\(late.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().map(\.sha256) == [digest])
        #expect(harness.inboxNames("done") == ["growing.bin"])
    }

    @Test("files over max_size and names the API cannot take are reported and moved to failed/ before any request")
    func limitsAndNames() async throws {
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario())
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox, extra: "max_size = 4096"))
        try harness.drop("big.bin", testBytes(5_000, seed: 6))
        try harness.drop(" leading-space.txt", testBytes(100, seed: 7))
        let result = try await harness.runOnce()
        #expect(result.status == 0, "\(result.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().isEmpty)
        #expect(harness.inboxNames("failed") == ["big.bin", "big.bin.error.txt", " leading-space.txt", " leading-space.txt.error.txt"])
        #expect(harness.failedReport("big.bin").contains("max_size of 4096 bytes"))
        #expect(harness.failedReport(" leading-space.txt").contains("name"))
        #expect(result.log.contains("big.bin is not uploaded"))
    }

    @Test("an expired uploadUrl fails the file clearly: failed/ with the reason")
    func expiredUploadURL() async throws {
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario(workivaKeys: "uploadURLLifetimeSeconds = -5"))
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox))
        try harness.drop("late.pdf", testBytes(3_000, seed: 8))
        let result = try await harness.runOnce()
        #expect(result.status != 0 || result.log.contains("failed"), "\(result.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().isEmpty)
        #expect(harness.inboxNames("failed") == ["late.pdf", "late.pdf.error.txt"])
        #expect(harness.failedReport("late.pdf").contains("expired"), "\(harness.failedReport("late.pdf"))")
    }

    @Test("storage rejecting the Bearer header: failed/ with the storage's code; without the header it succeeds")
    func putRejectedByStrictStorage() async throws {
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario(workivaKeys: "strictUploadAuthorization = true"))
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox))
        try harness.drop("strict.pdf", testBytes(4_000, seed: 10))
        let rejected = try await harness.runOnce()
        #expect(rejected.log.contains("strict.pdf"), "\(rejected.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().isEmpty)
        #expect(harness.inboxNames("failed") == ["strict.pdf", "strict.pdf.error.txt"])
        let report = harness.failedReport("strict.pdf")
        #expect(report.contains("HTTP 400") && report.contains("code="), "\(report)")
        #expect(report.contains("send_authorization_on_upload = false"), "\(report)")

        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox), workivaExtra: "send_authorization_on_upload = false")
        let digest = try harness.drop("strict-again.pdf", testBytes(4_000, seed: 11))
        let accepted = try await harness.runOnce()
        #expect(accepted.status == 0, "\(accepted.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().map(\.sha256) == [digest])
        #expect(harness.inboxNames("done") == ["strict-again.pdf"])
    }

    @Test("transient faults: a 503 on the PUT is retried with the same URL; a 503 on the attachmentUpload is sent again after backoff, in the same run")
    func transientFaults() async throws {
        let faults = """
            [[faults]]
            route = "workiva.upload"
            requests = [1]
            kind = "status"
            status = 503

            [[faults]]
            route = "workiva.kickoff"
            requests = [2]
            kind = "status"
            status = 503

            """
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario(faults: faults))
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox))
        let first = try harness.drop("first.pdf", testBytes(8_000, seed: 13))
        let firstRun = try await harness.runOnce()
        #expect(await harness.server.receivedUploads().map(\.sha256) == [first], "\(firstRun.log.suffix(3_000))")
        #expect(harness.inboxNames("done") == ["first.pdf"])

        let second = try harness.drop("second.pdf", testBytes(8_000, seed: 14))
        let retried = try await harness.runOnce()
        #expect(retried.status == 0, "\(retried.log.suffix(3_000))")
        #expect(retried.log.contains("trying again in"), "\(retried.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().map(\.sha256) == [first, second])
        let kickoffs = harness.server.journal().filter { $0.method == "POST" && $0.path.hasSuffix("/attachmentUpload") }
        #expect(kickoffs.map(\.status) == [202, 503, 202], "the refused attachmentUpload was sent again once")
        let puts = harness.server.journal().filter { $0.method == "PUT" }
        #expect(puts.map(\.status) == [503, 200, 200], "the first PUT was retried with its URL")
        #expect(harness.inboxNames("done") == ["first.pdf", "second.pdf"])
        #expect(harness.inboxNames("failed").isEmpty)
    }

    @Test("an operation that ends failed: failed/ with the server's code and message")
    func operationFailed() async throws {
        let harness = try await SandboxHarness(scenarioTOML: uploadScenario())
        defer { Task { await harness.shutdown() } }
        try harness.writeConfig(jobs: uploadJob("evidence", inbox: harness.inbox, sample: "sm-reject"))
        try harness.drop("infected.pdf", testBytes(2_000, seed: 12))
        let result = try await harness.runOnce()
        #expect(result.log.contains("infected.pdf"), "\(result.log.suffix(3_000))")
        #expect(await harness.server.receivedUploads().count == 1)
        #expect(harness.inboxNames("failed") == ["infected.pdf", "infected.pdf.error.txt"])
        let report = harness.failedReport("infected.pdf")
        #expect(report.contains("VirusDetected") && report.contains("rejected by the scanner"), "\(report)")
        #expect(try await harness.lastRuns()["evidence"]?["phase"] as? String == "failed")
    }
}
