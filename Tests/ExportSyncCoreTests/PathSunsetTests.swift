import ExportSyncCore
import Foundation
import Testing

@Suite("Path sunsets")
struct PathSunsetTests {
    static func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? .distantPast
    }

    @Test("each sunset starts at 00:00 UTC of its published day")
    func datesMatchTheirDays() {
        #expect(PathSunset.prototype.date == Self.utc("2027-01-31T00:00:00.000Z"))
        #expect(PathSunset.platformV1.date == Self.utc("2029-01-31T00:00:00.000Z"))
        #expect(PathSunset.of(.v2026) == nil)
        #expect(PathSunset.of(.prototype) == .prototype)
        #expect(PathSunset.of(.platformV1) == .platformV1)
    }

    @Test("days left round up, and are 0 from the sunset on", arguments: [
        ("2026-12-02T12:00:00.000Z", 60, false),
        ("2027-01-30T00:00:00.000Z", 1, false),
        ("2027-01-30T23:59:59.999Z", 1, false),
        ("2027-01-31T00:00:00.000Z", 0, true),
        ("2027-03-01T00:00:00.000Z", 0, true),
    ])
    func daysLeft(now: String, days: Int, passed: Bool) {
        #expect(PathSunset.prototype.daysLeft(at: Self.utc(now)) == days)
        #expect(PathSunset.prototype.hasPassed(at: Self.utc(now)) == passed)
    }

    @Test("a request path belongs to the family of its prefix")
    func endpoints() {
        #expect(PathSunset.of(endpoint: "/prototype/platform/files/f-1/export") == .prototype)
        #expect(PathSunset.of(endpoint: "/platform/v1/operations/op-1") == .platformV1)
        #expect(PathSunset.of(endpoint: "/operations/op-1") == nil)
        #expect(PathSunset.of(endpoint: "/files/platform/v1/export") == nil)
    }

    static func job(_ payload: JobPayload) -> JobSpec {
        JobSpec(name: "j", source: "workiva", kind: .fileExport, payload: payload, schedule: Schedule(everySeconds: 3_600),
                output: nil, deadlineSeconds: 3_600, templateValues: [:], fingerprint: "f")
    }

    @Test("a job's notice names the day, the days left and the 2026 replacement")
    func notices() throws {
        let locator = SampleLocator(testForm: "audit-1", testPhase: "procedure-1", matrix: nil, sample: "s-1")
        let prototypeFile = try #require(Self.job(.fileExport(flavour: .prototype, file: "f-1", fileKind: .supportingDocument)).sunsetNotice)
        #expect(prototypeFile.sunset == .prototype)
        #expect(prototypeFile.message(at: Self.utc("2027-01-01T00:00:00.000Z"))
            == "job j: its paths (/prototype/platform/…) are retired on 2027-01-31, in 30 day(s); set flavour = \"2026-01-01\": the same file id works on the 2026 path (POST /files/{id}/export)")
        #expect(prototypeFile.message(at: Self.utc("2027-02-01T00:00:00.000Z")).hasPrefix("job j: its paths (/prototype/platform/…) were retired on 2027-01-31;"))
        let prototypeAttachment = try #require(Self.job(.sampleAttachmentExport(flavour: .prototype, locator: locator, attachment: "a")).sunsetNotice)
        #expect(prototypeAttachment.advice.contains("test_form, test_phase, matrix and sample"))
        let v1 = try #require(Self.job(.contentExport(flavour: .platformV1, id: "d", export: ContentExportSpec(kind: .document, format: "pdf"))).sunsetNotice)
        #expect(v1.sunset == .platformV1 && v1.advice.contains("same ids"))
        #expect(Self.job(.contentExport(flavour: .v2026, id: "d", export: ContentExportSpec(kind: .document, format: "pdf"))).sunsetNotice == nil)
        #expect(Self.job(.webadmitExport(userIdentity: "1", exportID: "2")).sunsetNotice == nil)
    }
}
