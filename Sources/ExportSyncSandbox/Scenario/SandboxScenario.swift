/// Everything the sandbox serves: credentials, resources, timings, outcomes and faults.
///
/// Build one in code (every property has a default) or load it from a TOML or JSON file with
/// ``load(from:)``. The key names in files are exactly the property names below.
public struct SandboxScenario: Codable, Sendable {
    /// The simulated Workiva Platform API.
    public var workiva: WorkivaScenario
    /// The simulated WebAdMIT API.
    public var webadmit: WebAdmitScenario
    /// Scripted faults, matched in order; the first rule that matches a request wins.
    public var faults: [FaultRule]
    /// Adds an unknown field to every JSON object the APIs answer (clients must ignore it).
    public var unknownFields: Bool

    /// Creates a scenario; every part defaults to an empty but working configuration.
    public init(
        workiva: WorkivaScenario = .init(),
        webadmit: WebAdmitScenario = .init(),
        faults: [FaultRule] = [],
        unknownFields: Bool = false
    ) {
        self.workiva = workiva
        self.webadmit = webadmit
        self.faults = faults
        self.unknownFields = unknownFields
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case workiva, webadmit, faults, unknownFields
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.workiva = try container.value(.workiva, default: .init())
        self.webadmit = try container.value(.webadmit, default: .init())
        self.faults = try container.value(.faults, default: [])
        self.unknownFields = try container.value(.unknownFields, default: false)
    }
}
