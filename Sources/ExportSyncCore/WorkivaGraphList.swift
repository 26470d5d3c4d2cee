/// One of the Workiva graph lists a discovery scan walks, and its path. Each answers
/// `{"data": [...], "@nextLink": "…"}`; the client follows `@nextLink` on the API's origin only.
/// The prototype flavour has no such lists.
public enum WorkivaGraphList: Sendable, Hashable {
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
