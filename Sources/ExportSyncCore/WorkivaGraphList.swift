/// One of the Workiva graph lists a discovery scan walks, and its path. Each answers
/// `{"data": [...], "@nextLink": "…"}`; the client follows `@nextLink` on the API's origin only.
/// The prototype flavour has no such lists.
public enum WorkivaGraphList: Sendable, Hashable, Codable {
    case testForms
    case testPhases(testForm: String)
    case matrices(testForm: String, testPhase: String)
    case samples(testForm: String, testPhase: String, matrix: String)
    /// The attachments at the level `locator` names: its test phase, matrix or sample.
    case attachments(SampleLocator)

    /// The first page's path for `flavour` (nil for the prototype, which has no lists).
    public func path(flavour: WorkivaPathFlavour) -> String? {
        guard flavour != .prototype else { return nil }
        let prefix = WorkivaKickoffRequest.prefix(flavour)
        let segment = WorkivaKickoffRequest.segment
        switch self {
        case .testForms:
            return "\(prefix)/testForms"
        case .testPhases(let testForm):
            return "\(prefix)/testForms/\(segment(testForm))/testPhases"
        case .matrices(let testForm, let testPhase):
            return "\(prefix)/testForms/\(segment(testForm))/testPhases/\(segment(testPhase))/matrices"
        case .samples(let testForm, let testPhase, let matrix):
            return "\(prefix)/testForms/\(segment(testForm))/testPhases/\(segment(testPhase))/matrices/\(segment(matrix))/samples"
        case .attachments(let locator):
            return WorkivaKickoffRequest.graphPath(flavour: flavour, locator: locator) + "/attachments"
        }
    }
}

/// An item of a graph list: a test form, phase, matrix or sample (`id`, `name`), or an
/// attachment (`id`, `fileName`).
public struct WorkivaGraphItem: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var fileName: String?

    public init(id: String, name: String? = nil, fileName: String? = nil) {
        self.id = id
        self.name = name
        self.fileName = fileName
    }
}

extension WorkivaGraphList {
    private enum CodingKeys: String, CodingKey {
        case list, testForm = "test_form", testPhase = "test_phase", matrix, sample
    }

    /// `{"list": "samples", "test_form": …, "test_phase": …, "matrix": …}`: how a scan's
    /// pending lists are persisted.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .testForms:
            try c.encode("testForms", forKey: .list)
        case .testPhases(let form):
            try c.encode("testPhases", forKey: .list)
            try c.encode(form, forKey: .testForm)
        case .matrices(let form, let phase):
            try c.encode("matrices", forKey: .list)
            try c.encode(form, forKey: .testForm)
            try c.encode(phase, forKey: .testPhase)
        case .samples(let form, let phase, let matrix):
            try c.encode("samples", forKey: .list)
            try c.encode(form, forKey: .testForm)
            try c.encode(phase, forKey: .testPhase)
            try c.encode(matrix, forKey: .matrix)
        case .attachments(let locator):
            try c.encode("attachments", forKey: .list)
            try c.encode(locator.testForm, forKey: .testForm)
            try c.encode(locator.testPhase, forKey: .testPhase)
            try c.encodeIfPresent(locator.matrix, forKey: .matrix)
            try c.encodeIfPresent(locator.sample, forKey: .sample)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let list = try c.decode(String.self, forKey: .list)
        switch list {
        case "testForms":
            self = .testForms
        case "testPhases":
            self = .testPhases(testForm: try c.decode(String.self, forKey: .testForm))
        case "matrices":
            self = .matrices(testForm: try c.decode(String.self, forKey: .testForm), testPhase: try c.decode(String.self, forKey: .testPhase))
        case "samples":
            self = .samples(testForm: try c.decode(String.self, forKey: .testForm), testPhase: try c.decode(String.self, forKey: .testPhase),
                            matrix: try c.decode(String.self, forKey: .matrix))
        case "attachments":
            self = .attachments(SampleLocator(
                testForm: try c.decode(String.self, forKey: .testForm), testPhase: try c.decode(String.self, forKey: .testPhase),
                matrix: try c.decodeIfPresent(String.self, forKey: .matrix), sample: try c.decodeIfPresent(String.self, forKey: .sample)))
        default:
            throw DecodingError.dataCorruptedError(forKey: .list, in: c, debugDescription: "unknown graph list \(list)")
        }
    }
}
