/// The levels of a test form whose attachments a discovery job exports (`levels`).
public enum AttachmentLevel: String, Sendable, Hashable, CaseIterable, Comparable {
    case testPhase = "test-phase"
    case matrix
    case sample

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// An attachment a scan found: its id (immutable at Workiva), where it hangs, its file name.
public struct DiscoveredAttachment: Sendable, Hashable {
    public var id: String
    public var level: AttachmentLevel
    /// The test form and phase, and the matrix and sample down to the attachment's level.
    public var locator: SampleLocator
    public var fileName: String?

    public init(id: String, level: AttachmentLevel, locator: SampleLocator, fileName: String?) {
        self.id = id
        self.level = level
        self.locator = locator
        self.fileName = fileName
    }
}

/// One scan of a test form as a state machine: it says which list to read next
/// (``nextList()``), takes each list's items (``record(_:items:)``), and ends with every
/// attachment at the configured levels. No I/O: the engine reads the lists and feeds them in.
///
/// The walk goes test phases (all, or the configured ones), then per phase its attachments
/// (level `test-phase`) and its matrices (when `matrix` or `sample` is wanted), per matrix its
/// attachments and its samples (when `sample` is wanted), per sample its attachments.
public struct AttachmentScan: Sendable {
    public let testForm: String
    public let testPhases: [String]?
    public let levels: Set<AttachmentLevel>
    private var queue: [WorkivaGraphList]
    private var found: [DiscoveredAttachment] = []
    private var seen: Set<String> = []

    /// A scan of `testForm`, limited to `testPhases` when given, exporting `levels`.
    public init(testForm: String, testPhases: [String]?, levels: Set<AttachmentLevel>) {
        self.testForm = testForm
        self.testPhases = testPhases
        self.levels = levels
        if let testPhases {
            queue = []
            for phase in testPhases { queue += Self.listsBelow(testForm: testForm, phase: phase, levels: levels) }
        } else {
            queue = [.testPhases(testForm: testForm)]
        }
    }

    /// A scan resumed after a restart or a failed list: `pendingLists` is what
    /// ``pendingLists`` said when the scan was last recorded, `found` what it had found by then.
    public init(testForm: String, testPhases: [String]?, levels: Set<AttachmentLevel>,
                resumingAt pendingLists: [WorkivaGraphList], found: [DiscoveredAttachment]) {
        self.testForm = testForm
        self.testPhases = testPhases
        self.levels = levels
        queue = pendingLists
        self.found = found
        seen = Set(found.map(\.id))
    }

    /// The next list to read, or nil when the scan is complete.
    public var nextList: WorkivaGraphList? { queue.first }

    /// The lists still to read, in order: with ``attachments`` all a resumed scan needs.
    public var pendingLists: [WorkivaGraphList] { queue }

    /// The attachments found so far, in walk order, each id once.
    public var attachments: [DiscoveredAttachment] { found }

    /// Whether every list was read.
    public var isComplete: Bool { queue.isEmpty }

    /// Takes the items of `list` (which must be ``nextList``) and plans the lists below them;
    /// answers the attachments this list added (each id once per scan).
    @discardableResult
    public mutating func record(_ list: WorkivaGraphList, items: [WorkivaGraphItem]) -> [DiscoveredAttachment] {
        guard let index = queue.firstIndex(of: list) else { return [] }
        let before = found.count
        queue.remove(at: index)
        var below: [WorkivaGraphList] = []
        switch list {
        case .testForms:
            break
        case .testPhases(let form):
            for phase in items { below += Self.listsBelow(testForm: form, phase: phase.id, levels: levels) }
        case .matrices(let form, let phase):
            for matrix in items {
                if levels.contains(.matrix) {
                    below.append(.attachments(SampleLocator(testForm: form, testPhase: phase, matrix: matrix.id, sample: nil)))
                }
                if levels.contains(.sample) { below.append(.samples(testForm: form, testPhase: phase, matrix: matrix.id)) }
            }
        case .samples(let form, let phase, let matrix):
            for sample in items {
                below.append(.attachments(SampleLocator(testForm: form, testPhase: phase, matrix: matrix, sample: sample.id)))
            }
        case .attachments(let locator):
            let level: AttachmentLevel = locator.sample != nil ? .sample : locator.matrix != nil ? .matrix : .testPhase
            for item in items where seen.insert(item.id).inserted {
                found.append(DiscoveredAttachment(id: item.id, level: level, locator: locator, fileName: item.fileName))
            }
        }
        // Depth first: what this list revealed is read before its siblings.
        queue.insert(contentsOf: below, at: index)
        return Array(found[before...])
    }

    private static func listsBelow(testForm: String, phase: String, levels: Set<AttachmentLevel>) -> [WorkivaGraphList] {
        var lists: [WorkivaGraphList] = []
        if levels.contains(.testPhase) {
            lists.append(.attachments(SampleLocator(testForm: testForm, testPhase: phase, matrix: nil, sample: nil)))
        }
        if levels.contains(.matrix) || levels.contains(.sample) { lists.append(.matrices(testForm: testForm, testPhase: phase)) }
        return lists
    }
}

/// What a discovery job does with an attachment missing from a complete scan (`removed`).
public enum RemovedAttachmentPolicy: String, Sendable, Hashable {
    /// Its file stays.
    case keep
    /// The file the daemon wrote for it is removed (never any other file).
    case delete
}

/// Whether an attachment already exported is exported again at each scan (`refresh`).
public enum AttachmentRefresh: String, Sendable, Hashable {
    /// Once: an attachment's id never changes what it holds.
    case once
    /// At every scan.
    case always
}

/// What the database knows of an attachment a discovery job found before.
public struct KnownAttachment: Sendable, Hashable {
    /// An export of it delivered a file (or one is under way).
    public var exported: Bool
    /// The path (below the output root) of the file the daemon wrote for it, if any.
    public var deliveredPath: String?

    public init(exported: Bool, deliveredPath: String?) {
        self.exported = exported
        self.deliveredPath = deliveredPath
    }
}

/// The decisions after a scan: which attachments get an export run, which are gone, which
/// delivered files go with them. A pure function of the scan, what was known, and the job's
/// `refresh` and `removed` settings.
public struct DiscoveryPlan: Sendable, Hashable {
    /// Attachments to start an export run for, in walk order.
    public var export: [DiscoveredAttachment]
    /// Ids known before and missing from this complete scan (empty after a partial one).
    public var removed: [String]
    /// Files the daemon wrote for removed attachments, to delete (`removed = "delete"` only).
    public var deletePaths: [String]
    /// Why a complete scan marked nothing removed although items are missing from it, when
    /// that was decided (a listing that came back empty).
    public var removalsWithheld: String? = nil

    /// Plans after a scan: a partial scan (a failed list, or a list that vanished while it was
    /// walked) still exports what it found but removes nothing; a complete one also reports the
    /// ids that disappeared, unless it found nothing at all while items were known: an empty
    /// listing is far likelier lost access (a revoked `graph:read`, a test form moved) than an
    /// emptied audit, and would otherwise delete every file under `removed = "delete"`.
    ///
    /// `known` holds only items the scan's walk covers (see ``TestFormAttachmentsSpec/covers(_:)``).
    public static func after(scan attachments: [DiscoveredAttachment], complete: Bool, known: [String: KnownAttachment],
                             refresh: AttachmentRefresh, removed policy: RemovedAttachmentPolicy) -> DiscoveryPlan {
        let export = attachments.filter { attachment in
            refresh == .always || !(known[attachment.id]?.exported ?? false)
        }
        guard complete else { return DiscoveryPlan(export: export, removed: [], deletePaths: []) }
        guard !attachments.isEmpty || known.isEmpty else {
            return DiscoveryPlan(export: [], removed: [], deletePaths: [], removalsWithheld:
                "the scan found nothing while \(known.count) item(s) were known; an empty listing is taken for lost access, not for every item removed, so nothing is marked removed")
        }
        let present = Set(attachments.map(\.id))
        let removed = known.keys.filter { !present.contains($0) }.sorted()
        let deletePaths = policy == .delete ? removed.compactMap { known[$0]?.deliveredPath } : []
        return DiscoveryPlan(export: export, removed: removed, deletePaths: deletePaths)
    }
}
