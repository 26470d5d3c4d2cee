import ExportSyncCore
import Foundation
import Testing

@Suite("Discovery jobs: globs, item payloads, resumable scans, scan transitions")
struct DiscoveryJobTests {
    @Test("globs: * any run, ? one character, the whole name; no character classes")
    func globs() {
        #expect(GlobPattern("*").matches(""))
        #expect(GlobPattern("Nightly*").matches("Nightly Banner Export"))
        #expect(!GlobPattern("Nightly*").matches("The Nightly"))
        #expect(GlobPattern("*Export").matches("Nightly Banner Export"))
        #expect(GlobPattern("N?ghtly*Export").matches("Nightly Banner Export"))
        #expect(!GlobPattern("N?ghtly").matches("Nghtly"))
        #expect(GlobPattern("a*b*c").matches("aXXbYYc"))
        #expect(!GlobPattern("a*b*c").matches("aXXbYY"))
        #expect(GlobPattern("[2026] Report").matches("[2026] Report"))
        #expect(!GlobPattern("[2026] Report").matches("2 Report"))
        let spec = WebAdmitExportsSpec(userIdentity: "1", exports: [GlobPattern("Nightly*"), GlobPattern("86470")])
        #expect(spec.selects(id: "86470", name: "Program Documents"))
        #expect(spec.selects(id: "1", name: "Nightly Banner Export"))
        #expect(!spec.selects(id: "86471", name: "Empty Clipboard"))
        #expect(!spec.selects(id: "86471", name: nil))
    }

    static func discoveryJob(_ payload: JobPayload, kind: JobKind) -> JobSpec {
        JobSpec(name: "evidence", source: "wk", kind: kind, payload: payload, schedule: Schedule(everySeconds: 3_600),
                output: try? PathTemplate("{test_phase}/{attachment}", extraPlaceholders: ["test_phase", "attachment"]),
                deadlineSeconds: 600, templateValues: ["test_form": "tf-1", "format": "pdf"], fingerprint: "f")
    }

    @Test("an attachment's run exports it at its level, with its values for the template")
    func attachmentPayload() throws {
        let spec = TestFormAttachmentsSpec(testForm: "tf-1", testPhases: nil, levels: Set(AttachmentLevel.allCases))
        let job = Self.discoveryJob(.testFormAttachments(flavour: .platformV1, spec), kind: .testFormAttachments)
        let locator = SampleLocator(testForm: "tf-1", testPhase: "tp-2", matrix: "mx-3", sample: nil)
        let item = DiscoveredItem.attachment(DiscoveredAttachment(id: "att-9", level: .matrix, locator: locator, fileName: "Walk.through.pdf"))
        let exporting = try #require(job.exporting(item))
        #expect(exporting.payload == .sampleAttachmentExport(flavour: .platformV1, locator: locator, attachment: "att-9"))
        #expect(exporting.name == "evidence" && exporting.kind == .testFormAttachments)
        #expect(exporting.templateValues["test_form"] == "tf-1")
        #expect(exporting.templateValues["test_phase"] == "tp-2")
        #expect(exporting.templateValues["matrix"] == "mx-3")
        #expect(exporting.templateValues["sample"] == nil, "a matrix-level attachment has no sample: the template shows _")
        #expect(exporting.templateValues["attachment"] == "att-9")
        #expect(exporting.templateValues["attachment_name"] == "Walk.through")
        #expect(exporting.templateValues["level"] == "matrix")
        let request = try #require(WorkivaKickoffRequest.export(exporting.payload))
        #expect(request.path == "/platform/v1/testForms/tf-1/testPhases/tp-2/matrices/mx-3/attachments/att-9/export")
        // An item of the other family does not belong to the job.
        #expect(job.exporting(.exportTemplate(WebAdmitExportTemplate(id: "1", name: "x"))) == nil)
    }

    @Test("an export template's run is a webadmit-export of it")
    func templatePayload() throws {
        let job = Self.discoveryJob(.webadmitExports(WebAdmitExportsSpec(userIdentity: "1001", exports: [GlobPattern("*")])),
                                    kind: .webadmitExports)
        let exporting = try #require(job.exporting(.exportTemplate(WebAdmitExportTemplate(id: "86446", name: "Nightly Banner Export"))))
        #expect(exporting.payload == .webadmitExport(userIdentity: "1001", exportID: "86446"))
        #expect(exporting.templateValues["export"] == "86446")
        #expect(exporting.templateValues["export_name"] == "Nightly Banner Export")
        #expect(OutputNaming.variablePlaceholders(of: job).isSuperset(of: ["export", "export_name", "attachment"]))
    }

    @Test("a scan resumed from its pending lists and what it found ends exactly like one never cut")
    func resumedScan() throws {
        func items(_ list: WorkivaGraphList) -> [WorkivaGraphItem] {
            switch list {
            case .testPhases: [WorkivaGraphItem(id: "tp-1"), WorkivaGraphItem(id: "tp-2")]
            case .matrices(_, let phase): [WorkivaGraphItem(id: "\(phase)-m")]
            case .samples(_, _, let matrix): [WorkivaGraphItem(id: "\(matrix)-s1"), WorkivaGraphItem(id: "\(matrix)-s2")]
            case .attachments(let locator):
                [WorkivaGraphItem(id: "a-\(locator.sample ?? locator.matrix ?? locator.testPhase)", fileName: "x.pdf")]
            case .testForms: []
            }
        }
        let levels = Set(AttachmentLevel.allCases)
        var whole = AttachmentScan(testForm: "tf", testPhases: nil, levels: levels)
        while let list = whole.nextList { whole.record(list, items: items(list)) }

        for cut in 1..<8 {
            var first = AttachmentScan(testForm: "tf", testPhases: nil, levels: levels)
            var added: [DiscoveredAttachment] = []
            for _ in 0..<cut {
                guard let list = first.nextList else { break }
                added += first.record(list, items: items(list))
            }
            // What the store keeps: the pending lists (through JSON) and the attachments added.
            let persisted = try JSONDecoder().decode([WorkivaGraphList].self, from: JSONEncoder().encode(first.pendingLists))
            #expect(persisted == first.pendingLists)
            var resumed = AttachmentScan(testForm: "tf", testPhases: nil, levels: levels, resumingAt: persisted, found: added)
            while let list = resumed.nextList { resumed.record(list, items: items(list)) }
            #expect(resumed.attachments == whole.attachments, "cut after \(cut) list(s)")
            #expect(resumed.isComplete)
        }
        #expect(whole.attachments.count == 2 * (1 + 1 + 2), "per phase: its own, its matrix's, two samples'")
    }

    @Test("a scan stays due while it reads; a failed list waits with backoff; complete is done; refused fails retryable")
    func scanTransitions() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var machine = RunStateMachine(kind: .export, progress: RunProgress(deadline: now.addingTimeInterval(600)))
        let wait = try machine.handle(.scanTransient(reason: "503", serverWait: 4), now: now)
        #expect(machine.state == .due)
        #expect(wait == .kickoff(at: now.addingTimeInterval(4), possibleDuplicate: false))
        #expect(machine.progress.stepFailures == 1)
        #expect(machine.nextAction(now: now) == .kickoff(at: now.addingTimeInterval(4), possibleDuplicate: false))
        // The list read at last: the failure stops counting (a long scan is not failed by
        // transient faults spread over many lists), the run stays due and goes on at once.
        var listed = machine
        #expect(try listed.handle(.scanListRead, now: now.addingTimeInterval(4)) == .kickoff(at: now.addingTimeInterval(4), possibleDuplicate: false))
        #expect(listed.state == .due && listed.progress.stepFailures == 0 && listed.progress.lastError == nil && listed.progress.nextAttemptAt == nil)
        #expect(try machine.handle(.scanComplete, now: now.addingTimeInterval(5)) == .done)
        #expect(machine.state == .done && machine.progress.stepFailures == 0)

        var refused = RunStateMachine(kind: .export, progress: RunProgress(deadline: now.addingTimeInterval(600)))
        #expect(try refused.handle(.scanRefused(reason: "foreign link"), now: now) == .fail(reason: "foreign link", retryable: true))
        // A scan event after the kickoff was sent is not a scan: refused.
        var started = RunStateMachine(kind: .export, state: .starting, progress: RunProgress(deadline: now.addingTimeInterval(600)))
        #expect(throws: IllegalRunTransition.self) { try started.handle(.scanComplete, now: now) }
        #expect(RunEvent.scanTransient(reason: "r", serverWait: nil).retryReason == "scan")
    }
}
