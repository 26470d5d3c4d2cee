/// A Workiva test form as the graph list endpoints show it: test phases, their matrices, the
/// matrices' samples, and attachments at each of the three levels. Attachments name
/// ``WorkivaResource``s of kind `attachment` by id, so what a scan finds can be exported.
public struct SandboxTestForm: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var testPhases: [SandboxTestPhase]

    public init(id: String, name: String? = nil, testPhases: [SandboxTestPhase] = []) {
        self.id = id
        self.name = name ?? id
        self.testPhases = testPhases
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case id, name, testPhases }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.value(.name, default: id)
        testPhases = try c.value(.testPhases, default: [])
    }
}

/// A test phase of a ``SandboxTestForm``.
public struct SandboxTestPhase: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    /// Attachment resource ids at the test-phase level.
    public var attachments: [String]
    public var matrices: [SandboxMatrix]

    public init(id: String, name: String? = nil, attachments: [String] = [], matrices: [SandboxMatrix] = []) {
        self.id = id
        self.name = name ?? id
        self.attachments = attachments
        self.matrices = matrices
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case id, name, attachments, matrices }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.value(.name, default: id)
        attachments = try c.value(.attachments, default: [])
        matrices = try c.value(.matrices, default: [])
    }
}

/// A matrix of a ``SandboxTestPhase``.
public struct SandboxMatrix: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    /// Attachment resource ids at the matrix level.
    public var attachments: [String]
    public var samples: [SandboxSample]

    public init(id: String, name: String? = nil, attachments: [String] = [], samples: [SandboxSample] = []) {
        self.id = id
        self.name = name ?? id
        self.attachments = attachments
        self.samples = samples
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case id, name, attachments, samples }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.value(.name, default: id)
        attachments = try c.value(.attachments, default: [])
        samples = try c.value(.samples, default: [])
    }
}

/// A sample of a ``SandboxMatrix``.
public struct SandboxSample: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    /// Attachment resource ids at the sample level.
    public var attachments: [String]

    public init(id: String, name: String? = nil, attachments: [String] = []) {
        self.id = id
        self.name = name ?? id
        self.attachments = attachments
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case id, name, attachments }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.value(.name, default: id)
        attachments = try c.value(.attachments, default: [])
    }
}

extension SandboxTestForm {
    /// Every attachment id the tree names, at any level.
    public var attachmentIDs: [String] {
        testPhases.flatMap { phase in
            phase.attachments + phase.matrices.flatMap { matrix in matrix.attachments + matrix.samples.flatMap(\.attachments) }
        }
    }
}
