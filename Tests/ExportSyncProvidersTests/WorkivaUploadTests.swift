import Crypto
import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Testing

@Suite("Workiva attachment uploads")
struct WorkivaUploadTests {
    /// A temporary file of `size` seeded bytes and its SHA-256.
    static func temporaryFile(size: Int) throws -> (path: String, sha256: String) {
        var generator = SeededRandomNumberGenerator(seed: Fixture.seed)
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString).bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let digest = SHA256.hash(data: bytes).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        return (path, digest)
    }

    @Test(arguments: [true, false])
    func uploadStreamsTheFileWithOrWithoutBearer(sendAuthorization: Bool) async throws {
        try await withProviders(Fixture.scenario(timeline: OperationTimeline(polls: 1))) { sandbox in
            let client = sandbox.workivaClient()
            let file = try Self.temporaryFile(size: 700_000)
            defer { try? FileManager.default.removeItem(atPath: file.path) }
            let request = WorkivaKickoffRequest.attachmentUpload(flavour: .v2026, locator: Fixture.uploadLocator, fileName: "evidence.bin")
            let handle = try await client.startOperation(request)
            let uploadURL = try #require(handle.uploadURL)
            sandbox.log.forbid(String(uploadURL.split(separator: "?").last ?? ""))
            try await client.upload(uploadURL: uploadURL, fileAt: file.path, sendAuthorization: sendAuthorization)

            let received = await sandbox.server.receivedUploads()
            #expect(received.count == 1)
            #expect(received.first?.sha256 == file.sha256)
            #expect(received.first?.byteCount == 700_000)
            #expect(received.first?.contentType == "application/octet-stream")
            let put = try #require(sandbox.journal.first { $0.method == "PUT" })
            #expect(put.listener == .storage)
            #expect(put.credentials == (sendAuthorization ? [.bearer, .presignedQuery] : [.presignedQuery]))
            #expect(put.xVersion == nil)

            let state = try await client.poll(operationURL: handle.location, xVersion: request.xVersion)
            #expect(state.outcome != .failed)
        }
    }

    @Test func strictStorageRejectsTheBearerAndAcceptsThePlainPut() async throws {
        var scenario = Fixture.scenario()
        scenario.workiva.strictUploadAuthorization = true
        try await withProviders(scenario) { sandbox in
            let client = sandbox.workivaClient()
            let file = try Self.temporaryFile(size: 10_000)
            defer { try? FileManager.default.removeItem(atPath: file.path) }
            let request = WorkivaKickoffRequest.attachmentUpload(flavour: .v2026, locator: Fixture.uploadLocator, fileName: "a.bin")
            let handle = try await client.startOperation(request)
            let uploadURL = try #require(handle.uploadURL)
            let rejected = await failure { try await client.upload(uploadURL: uploadURL, fileAt: file.path, sendAuthorization: true) }
            guard case .rejected(400, let code, _, let endpoint) = rejected else {
                Issue.record("expected a 400 rejection, got \(String(describing: rejected))")
                return
            }
            #expect(code == "InvalidArgument")
            #expect(!endpoint.contains("?"))
            #expect(rejected?.description.contains("sbx.") == false)
            #expect(rejected?.description.contains("Signature=") == false)
            try await client.upload(uploadURL: uploadURL, fileAt: file.path, sendAuthorization: false)
            #expect(await sandbox.server.receivedUploads().first?.sha256 == file.sha256)
        }
    }
}
