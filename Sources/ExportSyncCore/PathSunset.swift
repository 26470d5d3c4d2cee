public import Foundation

/// A Workiva path family with a published end: the 2022-01-01 prototype paths stop on
/// 2027-01-31, the rest of 2022-01-01 (`/platform/v1`, its operations endpoint included) on
/// 2029-01-31. The 2026-01-01 paths have none.
public struct PathSunset: Sendable, Hashable {
    /// The flavour whose paths end.
    public let flavour: WorkivaPathFlavour
    /// The sunset day as Workiva publishes it (`YYYY-MM-DD`).
    public let day: String
    /// The first instant the paths may be gone: 00:00 UTC of ``day``.
    public let date: Date
    /// The paths' prefix, as an operator would recognise it.
    public let pathPrefix: String

    /// `/prototype/platform/…`: 2027-01-31.
    public static let prototype = PathSunset(flavour: .prototype, day: "2027-01-31", epochSeconds: 1_801_353_600, pathPrefix: "/prototype/platform/")
    /// `/platform/v1/…`: 2029-01-31.
    public static let platformV1 = PathSunset(flavour: .platformV1, day: "2029-01-31", epochSeconds: 1_864_512_000, pathPrefix: "/platform/v1/")

    private init(flavour: WorkivaPathFlavour, day: String, epochSeconds: TimeInterval, pathPrefix: String) {
        self.flavour = flavour
        self.day = day
        self.date = Date(timeIntervalSince1970: epochSeconds)
        self.pathPrefix = pathPrefix
    }

    /// The sunset of `flavour`'s paths, if they have one.
    public static func of(_ flavour: WorkivaPathFlavour) -> PathSunset? {
        switch flavour {
        case .v2026: nil
        case .platformV1: .platformV1
        case .prototype: .prototype
        }
    }

    /// The sunset of the path family `endpoint` (a request path) belongs to, if any.
    public static func of(endpoint: String) -> PathSunset? {
        [prototype, platformV1].first { endpoint.hasPrefix($0.pathPrefix) }
    }

    /// Whole days from `now` until the sunset, rounded up (0 once it has come).
    public func daysLeft(at now: Date) -> Int {
        let seconds = date.timeIntervalSince(now)
        return seconds <= 0 ? 0 : Int((seconds / 86_400).rounded(.up))
    }

    /// Whether the paths may be gone at `now`.
    public func hasPassed(at now: Date) -> Bool { now >= date }
}

/// A job that uses paths with a sunset, and what to change.
public struct SunsetNotice: Sendable, Hashable {
    /// The job's name.
    public let job: String
    public let sunset: PathSunset
    /// What replaces the job's paths, in configuration terms.
    public let advice: String

    /// The one-line warning `validate`, `run` and `status` print at `now`.
    public func message(at now: Date) -> String {
        let when = sunset.hasPassed(at: now)
            ? "its paths (\(sunset.pathPrefix)…) were retired on \(sunset.day)"
            : "its paths (\(sunset.pathPrefix)…) are retired on \(sunset.day), in \(sunset.daysLeft(at: now)) day(s)"
        return "job \(job): \(when); \(advice)"
    }
}

extension JobSpec {
    /// The Workiva path flavour the job's requests use (nil for WebAdMIT jobs).
    public var workivaFlavour: WorkivaPathFlavour? {
        switch payload {
        case .sampleAttachmentExport(let flavour, _, _), .fileExport(let flavour, _, _), .contentExport(let flavour, _, _),
             .sampleAttachmentUpload(let flavour, _, _), .testFormAttachments(let flavour, _):
            flavour
        case .webadmitExport, .webadmitExports:
            nil
        }
    }

    /// The sunset the job's paths are subject to, with the 2026-01-01 replacement (nil when none).
    public var sunsetNotice: SunsetNotice? {
        guard let flavour = workivaFlavour, let sunset = PathSunset.of(flavour) else { return nil }
        let advice: String
        switch (flavour, payload) {
        case (.prototype, .fileExport):
            advice = "set flavour = \"2026-01-01\": the same file id works on the 2026 path (POST /files/{id}/export)"
        case (.prototype, _):
            advice = "set flavour = \"2026-01-01\" and name the attachment by test_form, test_phase, matrix and sample (the 2026 graph) instead of audit and procedure"
        default:
            advice = "set flavour = \"2026-01-01\": the same ids work on the unprefixed 2026 paths (X-Version 2026-01-01)"
        }
        return SunsetNotice(job: name, sunset: sunset, advice: advice)
    }
}
