import ExportSyncCore
import ExportSyncProviders
import ExportSyncSandbox
import Foundation
import Testing

@Suite("Workiva kickoffs, polls and downloads")
struct WorkivaKickoffAndPollTests {
    /// Every export kind in every path flavour the sandbox serves, plus attachmentUpload.
    static var kickoffs: [(String, WorkivaKickoffRequest?)] {
        var all: [(String, WorkivaKickoffRequest?)] = []
        for flavour in WorkivaPathFlavour.allCases {
            all.append(("attachment \(flavour)", attachmentExport(flavour)))
            all.append(("file \(flavour)", .export(.fileExport(flavour: flavour, file: "file-1", fileKind: .document(nil)))))
            if flavour == .prototype { continue }
            all.append(("matrix attachment \(flavour)", .export(.sampleAttachmentExport(
                flavour: flavour, locator: SampleLocator(testForm: "tf1", testPhase: "tp1", matrix: "m1", sample: nil),
                attachment: "attachment-1"))))
            all.append(("document \(flavour)", .export(.contentExport(
                flavour: flavour, id: "document-1", export: ContentExportSpec(kind: .document, format: "docx")))))
            all.append(("spreadsheet \(flavour)", .export(.contentExport(
                flavour: flavour, id: "spreadsheet-1", export: ContentExportSpec(kind: .spreadsheet, format: "csv", parts: ["Sheet1"])))))
            all.append(("presentation \(flavour)", .export(.contentExport(
                flavour: flavour, id: "presentation-1", export: ContentExportSpec(kind: .presentation, format: "pptx")))))
            all.append(("upload \(flavour)", .attachmentUpload(flavour: flavour, locator: Fixture.uploadLocator, fileName: "evidence.pdf")))
        }
        return all
    }

    @Test func everyKickoffKindAndFlavourIsAccepted() async throws {
        try await withProviders(Fixture.scenario()) { sandbox in
            let client = sandbox.workivaClient()
            for (name, request) in Self.kickoffs {
                let request = try #require(request, "\(name): no kickoff built")
                let handle = try await client.startOperation(request)
                #expect(handle.location.hasPrefix(sandbox.endpoints.baseURL), "\(name)")
                #expect(handle.location.contains("/operations/"), "\(name)")
                #expect(handle.retryAfter == 0, "\(name)")
                #expect((handle.uploadURL != nil) == name.hasPrefix("upload"), "\(name)")
                let state = try await client.poll(operationURL: handle.location, xVersion: request.xVersion)
                #expect(!state.status.isEmpty, "\(name)")
            }
            let kickoffs = sandbox.journal.filter { $0.method == "POST" && !$0.path.hasSuffix("/token") }
            #expect(kickoffs.count == Self.kickoffs.count)
            #expect(kickoffs.allSatisfy { $0.status == 202 && $0.credentials == [.bearer] })
            for entry in kickoffs {
                let expected = entry.path.hasPrefix("/platform/v1") || entry.path.hasPrefix("/prototype/") ? "2022-01-01" : "2026-01-01"
                #expect(entry.xVersion == expected, "\(entry.path)")
            }
            #expect(await client.tokenRequestCount == 1)
            #expect(sandbox.tokenRequests.count == 1)
        }
    }

    @Test func pollsToCompletionHonouringRetryAfterThenDownloads() async throws {
        let timeline = OperationTimeline(polls: 3, seconds: 0, kickoffRetryAfter: 1, retryAfter: [1, 0, 1])
        try await withProviders(Fixture.scenario(timeline: timeline)) { sandbox in
            let client = sandbox.workivaClient()
            let request = attachmentExport()
            let (handle, state) = try await runToTerminal(client, request)
            #expect(handle.retryAfter == 1)
            #expect(state.outcome == .succeeded)
            #expect(state.status == "completed")
            #expect(state.originalRequest?.count == 36)
            let resourceURL = try #require(state.resourceURL)

            let download = try await client.openDownload(resourceURL: resourceURL, xVersion: request.xVersion)
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "attachment-1", format: "pdf"))
            #expect(download.fileName == expected.fileName)
            #expect(download.contentType == expected.contentType)
            let bytes = try await collect(download)
            #expect(bytes == expected.bytes())
            #expect(download.contentLength.map(Int.init) == expected.byteCount || download.contentLength == nil)

            // No poll came earlier than the Retry-After of the answer before it.
            let kickoff = try #require(sandbox.journal.first { $0.method == "POST" && $0.path.hasSuffix("/export") })
            let polls = sandbox.polls
            #expect(polls.count == 4)
            var previousEnd = try #require(kickoff.end)
            var allowed = 1.0
            for (index, poll) in polls.enumerated() {
                #expect(poll.start.timeIntervalSince(previousEnd) >= allowed - 0.02, "poll \(index + 1) came early")
                previousEnd = try #require(poll.end)
                allowed = Double(timeline.retryAfter[min(index, timeline.retryAfter.count - 1)])
            }
            #expect(await client.tokenRequestCount == 1)
        }
    }

    @Test func failedOperationKeepsDetailsAndOriginalRequest() async throws {
        try await withProviders(Fixture.scenario()) { sandbox in
            let client = sandbox.workivaClient()
            let (_, state) = try await runToTerminal(client, attachmentExport(attachment: "attachment-broken"))
            #expect(state.outcome == .failed)
            #expect(state.resourceURL == nil)
            let details = try #require(state.details)
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(details.utf8)) as? [[String: Any]])
            #expect(parsed.first?["code"] as? String == "ExportFailed")
            #expect(state.originalRequest != nil)
        }
    }

    @Test func unknownFieldsAndResourceURLCasingAreTolerated() async throws {
        let faults = [FaultRule(route: .workivaPoll, kind: .resourceURLCasing)]
        var scenario = Fixture.scenario(faults: faults)
        scenario.unknownFields = true
        try await withProviders(scenario) { sandbox in
            let (_, state) = try await runToTerminal(sandbox.workivaClient(), attachmentExport())
            #expect(state.outcome == .succeeded)
            #expect(state.resourceURL?.hasPrefix(sandbox.endpoints.baseURL) == true)
        }
    }

    @Test func relativeLocationIsResolvedAgainstTheRequestURL() async throws {
        let faults = [FaultRule(route: .workivaKickoff, kind: .relativeLocation)]
        try await withProviders(Fixture.scenario(faults: faults)) { sandbox in
            let client = sandbox.workivaClient()
            let handle = try await client.startOperation(attachmentExport(.platformV1))
            #expect(handle.location.hasPrefix(sandbox.endpoints.baseURL + "/platform/v1/operations/"))
            let state = try await client.poll(operationURL: handle.location, xVersion: "2022-01-01")
            #expect(!state.status.isEmpty)
        }
    }

    @Test func redirectToStorageCarriesNoCredentials() async throws {
        var scenario = Fixture.scenario()
        scenario.workiva.downloadMode = .redirect
        try await withProviders(scenario) { sandbox in
            let client = sandbox.workivaClient()
            let request = WorkivaKickoffRequest.export(.contentExport(
                flavour: .v2026, id: "document-1", export: ContentExportSpec(kind: .document, format: "pdf")))
            let (_, state) = try await runToTerminal(client, try #require(request))
            let download = try await client.openDownload(resourceURL: try #require(state.resourceURL), xVersion: "2026-01-01")
            let expected = try #require(sandbox.scenario.expectedWorkivaContent(resource: "document-1", format: "pdf"))
            #expect(try await collect(download) == expected.bytes())
            #expect(download.fileName == expected.fileName)

            let first = try #require(sandbox.journal.first { $0.path.hasSuffix("/content") })
            #expect(first.status == 302)
            #expect(first.credentials == [.bearer])
            #expect(first.xVersion == "2026-01-01")
            let storage = sandbox.journal.filter { $0.listener == .storage }
            #expect(storage.count == 1)
            #expect(storage.allSatisfy { $0.credentials == [.presignedQuery] && $0.xVersion == nil && $0.status == 200 })
        }
    }

    @Test func sunsetAndRejectionsAreClassified() async throws {
        let faults = [FaultRule(route: .workivaKickoff, resource: "file-1", kind: .status, status: 410)]
        // The day after the prototype's sunset, on the client's and the sandbox's clock.
        let clock = ManualClock(start: PathSunset.prototype.date.addingTimeInterval(86_400))
        try await withProviders(Fixture.scenario(faults: faults), clock: clock) { sandbox in
            let client = sandbox.workivaClient(clock: clock)
            let prototype = try #require(WorkivaKickoffRequest.export(.fileExport(flavour: .prototype, file: "file-1", fileKind: .supportingDocument)))
            let sunset = await failure { try await client.startOperation(prototype) }
            #expect(sunset == .sunset(endpoint: "/prototype/platform/files/file-1/export"))

            let missing = await failure { try await client.startOperation(attachmentExport(attachment: "no-such-attachment")) }
            guard case .rejected(404, let code, let message, let endpoint) = missing else {
                Issue.record("expected a 404 rejection, got \(String(describing: missing))")
                return
            }
            #expect(code == "404NotFound")
            #expect(message?.isEmpty == false)
            #expect(endpoint.hasSuffix("/attachments/no-such-attachment/export"))
            #expect(missing?.description.contains("404NotFound") == true)
        }
    }
}
