import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// The job a run acts for, as configured now, with its source's client: for a run of a
    /// discovered item, the discovery job as it exports that item (``JobSpec/exporting(_:)``).
    /// Nil when the job (or the item's record) is gone; throws when the database cannot be read.
    nonisolated func configured(run: StoredRun) async throws -> (JobSpec, SourceClient)? {
        guard let (job, client) = await configured(job: run.job) else { return nil }
        guard let item = run.item else { return (job, client) }
        guard job.isDiscovery, let found = try await store.discoveredItem(job: job.name, item: item),
              let spec = job.exporting(found) else { return nil }
        return (spec, client)
    }

    /// Runs one scan of a discovery job: reads the lists it still has to read (all of them for
    /// a new scan; the rest after a restart or a failed list), recording each list's items and
    /// what is left before reading the next, then completes it: the core plans which items get an
    /// export run, and those runs are created with the scan's end in one transaction.
    ///
    /// A list that fails transiently is read again after the core's backoff (the scan resumes
    /// there); one refused for good fails the scan, which then removes nothing.
    nonisolated func performScan(_ recovered: UnfinishedRun, job: JobSpec, client: SourceClient) async {
        let run = recovered.run
        var log = runLogger(run)
        log[metadataKey: "scan"] = "true"
        let policy = Self.policy(for: client)
        guard run.phase == .due else {
            // Sent as a single export before the job became a discovery job: that kickoff's
            // answer is lost to this run, which cannot be a scan.
            await record(.abandoned(reason: "job \(job.name) became a discovery job while run \(run.id) was exporting; its next scan starts afresh"),
                         run: run.id, policy: policy, logger: log)
            return
        }
        let scope = job.scanScope ?? job.kind.rawValue
        guard let progress = await committed({ try await self.store.beginScan(run: run.id, job: job.name, scope: scope, at: self.clock.now) }, logger: log)
        else { return }
        if progress.scopeChanged {
            log.warning("job \(job.name)'s walk changed in the configuration while scan run \(run.id) was under way; the scan goes on and ends partial: it marks nothing removed and deletes nothing",
                        metadata: ["lists_read": "\(progress.listsRead)"])
        }
        if progress.resumed {
            log.notice("resuming the scan of run \(run.id): \(progress.listsRead) list(s) read, \(progress.found.count) item(s) found so far",
                       metadata: ["lists_read": "\(progress.listsRead)", "found": "\(progress.found.count)"])
        } else {
            log.info("scanning for what job \(job.name) exports")
        }
        if case .testFormAttachments(_, let spec) = job.payload, spec.removed == .delete {
            guard let leftover = await committed({ try await self.store.pendingDeletions(job: job.name) }, logger: log) else { return }
            if !leftover.isEmpty { await delete(leftover, job: job, logger: log) }
        }
        switch (job.payload, client) {
        case (.testFormAttachments(let flavour, let spec), .workiva(let workiva, _)):
            let found = progress.found.compactMap { item -> DiscoveredAttachment? in
                if case .attachment(let attachment) = item { return attachment }
                return nil
            }
            var scan = progress.pendingLists.map {
                AttachmentScan(testForm: spec.testForm, testPhases: spec.testPhases, levels: spec.levels, resumingAt: $0, found: found)
            } ?? AttachmentScan(testForm: spec.testForm, testPhases: spec.testPhases, levels: spec.levels)
            while let list = scan.nextList {
                if Task.isCancelled { return }
                let items: [WorkivaGraphItem]
                var gone = false
                let described = "GET " + (list.path(flavour: flavour) ?? "\(list)")
                do {
                    items = try await workiva.listAll(list, flavour: flavour)
                } catch {
                    if Self.listVanished(error, list: list, phasesConfigured: spec.testPhases != nil) {
                        // Its matrix or sample was deleted after its parent list was read.
                        log.warning("\(described) answered 404: what it belongs to was deleted during the scan; the scan goes on without it and removes nothing this time",
                                    metadata: ["list": "\(described)"])
                        items = []
                        gone = true
                    } else {
                        await record(Self.scanEvent(error, list: described), run: run.id, policy: policy, logger: log)
                        return
                    }
                }
                let added = scan.record(list, items: items).map(DiscoveredItem.attachment)
                let pending = scan.pendingLists
                let listGone = gone
                guard await committed({
                    try await self.store.recordScanList(run: run.id, job: job.name, added: added, pendingLists: pending, gone: listGone,
                                                        policy: policy, at: self.clock.now)
                }, logger: log) != nil else { return }
            }
            await completeScan(run: run, job: job, refresh: spec.refresh, removed: spec.removed, policy: policy, logger: log)
        case (.webadmitExports(let spec), .webadmit(let webadmit, _)):
            if progress.pendingLists == nil {
                let templates: [WebAdmitExportTemplate]
                do {
                    templates = try await webadmit.listExports(userIdentity: spec.userIdentity)
                } catch {
                    await record(Self.scanEvent(error, list: "exports of user identity \(spec.userIdentity)"), run: run.id, policy: policy, logger: log)
                    return
                }
                let selected = templates.filter { spec.selects(id: $0.id, name: $0.name) }.map(DiscoveredItem.exportTemplate)
                guard await committed({
                    try await self.store.recordScanList(run: run.id, job: job.name, added: selected, pendingLists: [], policy: policy, at: self.clock.now)
                }, logger: log) != nil else { return }
            }
            // Every slot runs every selected template, as a webadmit-export job per template would.
            await completeScan(run: run, job: job, refresh: .always, removed: .keep, policy: policy, logger: log)
        default:
            await record(.abandoned(reason: "job \(job.name) does not match its source's type"), run: run.id, policy: policy, logger: log)
        }
    }

    private nonisolated func completeScan(run: StoredRun, job: JobSpec, refresh: AttachmentRefresh, removed: RemovedAttachmentPolicy,
                                          policy: RunPolicy, logger log: Logger) async {
        let now = clock.now
        let deadline = now.addingTimeInterval(TimeInterval(job.deadlineSeconds))
        let covers: @Sendable (DiscoveredItem) -> Bool = { job.covers($0) }
        guard let completion = await committed({
            try await self.store.completeScan(run: run.id, job: job.name, refresh: refresh, removed: removed, covers: covers,
                                              deadline: deadline, policy: policy, at: now)
        }, logger: log) else { return }
        let inFlight = completion.skippedInFlight > 0 ? ", \(completion.skippedInFlight) still exporting from before" : ""
        let gone = completion.removed.isEmpty ? "" : ", \(completion.removed.count) gone since the last complete scan"
        let ending = if completion.complete {
            "scan complete"
        } else if completion.scopeChanged {
            "scan ended partial (the job's walk was edited during the scan; nothing marked removed)"
        } else {
            "scan ended partial (\(completion.listsGone) list(s) vanished during the walk; nothing marked removed)"
        }
        log.notice("\(ending): \(completion.found) item(s) found, \(completion.created.count) to export\(inFlight)\(gone)",
                   metadata: ["found": "\(completion.found)", "created_runs": "\(completion.created.count)",
                              "removed_items": "\(completion.removed.count)", "complete": "\(completion.complete)"])
        if let withheld = completion.removalsWithheld {
            log.warning("\(withheld)", metadata: ["found": "\(completion.found)"])
        }
        for item in completion.removed {
            log.info("item \(item) is no longer listed\(removed == .delete ? "" : "; its file stays (removed = \"keep\")")",
                     metadata: ["item": "\(item)"])
        }
        await delete(completion.deletions, job: job, logger: log)
        await execute(completion.decision, logger: log)
    }

    /// Removes the files removed items left (`removed = "delete"`), each only when the file on
    /// disk is still the one the daemon wrote for the item (same size and SHA-256, a regular
    /// file, reached without following a symbolic link): anything else at the path is left
    /// alone and said so (``DeliveredFileRemoval``).
    private nonisolated func delete(_ deletions: [PendingDeletion], job: JobSpec, logger log: Logger) async {
        let root = await outputRoot
        for deletion in deletions {
            let relative = deletion.file.path
            let metadata: Logger.Metadata = ["path": "\(relative)", "item": "\(deletion.item)"]
            let file = deletion.file
            let outcome = DeliveredFileRemoval.remove(relative: relative, under: root, size: file.size, sha256: file.sha256)
            let removedFile: Int64?
            switch outcome {
            case .alreadyGone:
                log.info("\(relative) of removed item \(deletion.item) is already gone", metadata: metadata)
                removedFile = deletion.file.id
            case .removed:
                log.notice("removed \(relative): item \(deletion.item) is no longer listed (removed = \"delete\")", metadata: metadata)
                removedFile = deletion.file.id
            case .replaced:
                log.warning("left \(relative) in place: it is not the file written for removed item \(deletion.item) any more", metadata: metadata)
                removedFile = nil
            case .failed(let code):
                log.error("cannot remove \(relative) of removed item \(deletion.item): \(String(cString: strerror(code))); tried again at the next scan",
                          metadata: metadata)
                continue
            }
            let recorded = removedFile
            _ = await committed({
                try await self.store.recordDeletion(job: job.name, item: deletion.item, file: recorded, at: self.clock.now)
            }, logger: log)
        }
    }

    /// Whether a failed list is one that vanished during the walk: a 404 or 410 on a list the
    /// scan learnt of from another list (a deleted phase, matrix or sample). A 404 on the form's
    /// phases, or on the lists of a phase the job names in `test_phases`, stays a refusal: the
    /// job names something that is not there.
    nonisolated static func listVanished(_ failure: ProviderFailure, list: WorkivaGraphList, phasesConfigured: Bool) -> Bool {
        guard case .rejected(let status, _, _, _) = failure, status == 404 || status == 410 else { return false }
        switch list {
        case .testForms, .testPhases: return false
        case .samples: return true
        case .matrices: return !phasesConfigured
        case .attachments(let locator): return locator.matrix != nil || !phasesConfigured
        }
    }

    /// What a failed list means for the scan: a wait (429, 5xx, a lost answer: the GET is
    /// read again), or the end of the scan (a refusal, a page that is not a list, an
    /// `@nextLink` off the API's origin).
    nonisolated static func scanEvent(_ failure: ProviderFailure, list: String) -> RunEvent {
        let reason = "reading \(list) failed: \(failure)"
        switch failure {
        case .transient(_, let wait): return .scanTransient(reason: reason, serverWait: wait)
        case .ambiguous: return .scanTransient(reason: reason, serverWait: nil)
        case .malformedResponse, .rejected, .unauthorized, .sunset, .expiredURL: return .scanRefused(reason: reason)
        }
    }
}
