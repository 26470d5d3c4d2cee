import ExportSyncCore
import Testing

/// Discovery in the core: the walk over a test form and the plan after a scan.
@Suite("Attachment discovery")
struct AttachmentDiscoveryTests {
    /// A test form: tp-a (attachment a1; matrix m1 with attachment m1a and samples s1 [s1a, s1b]
    /// and s2 []), tp-b (no attachments, matrix m2 without samples).
    static func tree(_ list: WorkivaGraphList) -> [WorkivaGraphItem] {
        switch list {
        case .testForms: [WorkivaGraphItem(id: "tf")]
        case .testPhases: [WorkivaGraphItem(id: "tp-a"), WorkivaGraphItem(id: "tp-b")]
        case .matrices(_, let phase): phase == "tp-a" ? [WorkivaGraphItem(id: "m1")] : [WorkivaGraphItem(id: "m2")]
        case .samples(_, _, let matrix): matrix == "m1" ? [WorkivaGraphItem(id: "s1"), WorkivaGraphItem(id: "s2")] : []
        case .attachments(let at):
            switch (at.testPhase, at.matrix, at.sample) {
            case ("tp-a", nil, nil): [WorkivaGraphItem(id: "a1", fileName: "a1.pdf")]
            case ("tp-a", "m1", nil): [WorkivaGraphItem(id: "m1a", fileName: "m1a.pdf")]
            case ("tp-a", "m1", "s1"): [WorkivaGraphItem(id: "s1a", fileName: "s1a.pdf"), WorkivaGraphItem(id: "s1b", fileName: "s1b.pdf")]
            default: []
            }
        }
    }

    static func run(_ scan: inout AttachmentScan) -> [WorkivaGraphList] {
        var read: [WorkivaGraphList] = []
        while let list = scan.nextList {
            read.append(list)
            scan.record(list, items: tree(list))
        }
        return read
    }

    @Test("all three levels: depth first, every attachment once with its level and locator")
    func allLevels() {
        var scan = AttachmentScan(testForm: "tf", testPhases: nil, levels: Set(AttachmentLevel.allCases))
        let read = Self.run(&scan)
        #expect(scan.isComplete)
        #expect(read.count == 11)
        #expect(read.first == .testPhases(testForm: "tf"))
        #expect(scan.attachments.map(\.id) == ["a1", "m1a", "s1a", "s1b"])
        #expect(scan.attachments.map(\.level) == [.testPhase, .matrix, .sample, .sample])
        #expect(scan.attachments[2].locator == SampleLocator(testForm: "tf", testPhase: "tp-a", matrix: "m1", sample: "s1"))
        #expect(scan.attachments[0].fileName == "a1.pdf")
    }

    @Test("levels and test_phases narrow the walk: only the lists needed are read")
    func narrowed() {
        var samplesOnly = AttachmentScan(testForm: "tf", testPhases: ["tp-a"], levels: [.sample])
        let read = Self.run(&samplesOnly)
        #expect(samplesOnly.attachments.map(\.id) == ["s1a", "s1b"])
        #expect(!read.contains(.testPhases(testForm: "tf")), "configured test phases are not listed")
        #expect(!read.contains { if case .attachments(let at) = $0 { at.sample == nil } else { false } }, "no phase or matrix attachment lists")
        var phaseOnly = AttachmentScan(testForm: "tf", testPhases: nil, levels: [.testPhase])
        let phaseRead = Self.run(&phaseOnly)
        #expect(phaseOnly.attachments.map(\.id) == ["a1"])
        #expect(phaseRead.count == 3, "test phases, then each phase's attachments: \(phaseRead)")
    }

    @Test("an interrupted scan is not complete")
    func partial() {
        var scan = AttachmentScan(testForm: "tf", testPhases: nil, levels: Set(AttachmentLevel.allCases))
        scan.record(.testPhases(testForm: "tf"), items: Self.tree(.testPhases(testForm: "tf")))
        #expect(!scan.isComplete)
        #expect(scan.nextList == .attachments(SampleLocator(testForm: "tf", testPhase: "tp-a", matrix: nil, sample: nil)))
    }

    static func found(_ ids: [String]) -> [DiscoveredAttachment] {
        ids.map { DiscoveredAttachment(id: $0, level: .sample, locator: SampleLocator(testForm: "tf", testPhase: "tp", matrix: "m", sample: "s"), fileName: nil) }
    }

    @Test("the plan: new attachments are exported once; gone ones are reported, their files deleted only with removed = delete")
    func plan() {
        let known = ["a": KnownAttachment(exported: true, deliveredPath: "out/a.pdf"),
                     "b": KnownAttachment(exported: true, deliveredPath: "out/b.pdf"),
                     "c": KnownAttachment(exported: false, deliveredPath: nil)]
        let keep = DiscoveryPlan.after(scan: Self.found(["a", "c", "d"]), complete: true, known: known, refresh: .once, removed: .keep)
        #expect(keep.export.map(\.id) == ["c", "d"])
        #expect(keep.removed == ["b"])
        #expect(keep.deletePaths.isEmpty)
        let delete = DiscoveryPlan.after(scan: Self.found(["a", "c", "d"]), complete: true, known: known, refresh: .once, removed: .delete)
        #expect(delete.deletePaths == ["out/b.pdf"])
        let always = DiscoveryPlan.after(scan: Self.found(["a", "c"]), complete: true, known: known, refresh: .always, removed: .keep)
        #expect(always.export.map(\.id) == ["a", "c"])
        // A partial scan exports what it found and removes nothing, whatever is missing.
        let partial = DiscoveryPlan.after(scan: Self.found(["d"]), complete: false, known: known, refresh: .once, removed: .delete)
        #expect(partial.export.map(\.id) == ["d"])
        #expect(partial.removed.isEmpty && partial.deletePaths.isEmpty)
        // A complete scan that found nothing while items are known removes nothing, and says why.
        let empty = DiscoveryPlan.after(scan: [], complete: true, known: known, refresh: .once, removed: .delete)
        #expect(empty.removed.isEmpty && empty.deletePaths.isEmpty && empty.export.isEmpty)
        #expect(empty.removalsWithheld?.contains("found nothing while 3 item(s) were known") == true)
        #expect(delete.removalsWithheld == nil)
        // Nothing known, nothing found: an empty form is just empty.
        let nothing = DiscoveryPlan.after(scan: [], complete: true, known: [:], refresh: .once, removed: .delete)
        #expect(nothing.removalsWithheld == nil && nothing.removed.isEmpty)
    }

    @Test("a job covers what its walk reaches: its form, its phases, its levels")
    func coverage() {
        func item(_ level: AttachmentLevel, form: String = "tf", phase: String = "tp1") -> DiscoveredItem {
            .attachment(DiscoveredAttachment(id: "a", level: level, locator: SampleLocator(
                testForm: form, testPhase: phase, matrix: level == .testPhase ? nil : "m", sample: level == .sample ? "s" : nil), fileName: nil))
        }
        let all = TestFormAttachmentsSpec(testForm: "tf", testPhases: nil, levels: Set(AttachmentLevel.allCases))
        #expect(AttachmentLevel.allCases.allSatisfy { all.covers(item($0)) })
        #expect(!all.covers(item(.sample, form: "other")))
        let samples = TestFormAttachmentsSpec(testForm: "tf", testPhases: ["tp1"], levels: [.sample])
        #expect(samples.covers(item(.sample)) && !samples.covers(item(.matrix)) && !samples.covers(item(.testPhase)))
        #expect(!samples.covers(item(.sample, phase: "tp2")))
        #expect(!all.covers(.exportTemplate(WebAdmitExportTemplate(id: "1", name: "x"))))
        let exports = WebAdmitExportsSpec(userIdentity: "u", exports: [GlobPattern("Daily*")])
        #expect(exports.covers(.exportTemplate(WebAdmitExportTemplate(id: "9", name: "Daily CSV"))))
        #expect(!exports.covers(.exportTemplate(WebAdmitExportTemplate(id: "9", name: "Weekly"))))
    }
}
