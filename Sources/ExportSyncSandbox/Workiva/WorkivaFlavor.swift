/// The three Workiva path families and their `X-Version` rules.
enum WorkivaFlavor: String, Sendable, CaseIterable {
    /// 2026-01-01: unprefixed paths, `X-Version: 2026-01-01` required.
    case v2026
    /// 2022-01-01 GA: `/platform/v1/…`, `X-Version` absent or `2022-01-01`.
    case platformV1
    /// 2022-01-01 prototype: `/prototype/platform/…`, `X-Version` absent or `2022-01-01`.
    case prototype

    var prefix: String {
        switch self {
        case .v2026: ""
        case .platformV1: "/platform/v1"
        case .prototype: "/prototype/platform"
        }
    }

    /// The version string answered in 2026 error bodies.
    var version: String { self == .v2026 ? "2026-01-01" : "2022-01-01" }

    enum VersionCheck {
        case accepted
        /// The path does not exist in the requested version.
        case notFound
        /// `X-Version` names no known version.
        case badVersion
    }

    func check(xVersion: String?) -> VersionCheck {
        switch (self, xVersion) {
        case (.v2026, "2026-01-01"): .accepted
        case (.v2026, nil), (.v2026, "2022-01-01"): .notFound
        case (_, nil), (_, "2022-01-01"): .accepted
        case (_, "2026-01-01"): .notFound
        default: .badVersion
        }
    }
}
