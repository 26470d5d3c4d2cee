import Crypto
import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

/// The engine's memory of one upload job's inbox between passes (rebuilt after a restart from
/// the database; only the settle observations start afresh).
struct UploadInboxProgress: Sendable {
    var scanner: InboxScanner
    /// The next scan; `.distantFuture` while a run carries a file.
    var nextScanAt: Date = .distantPast
    /// The run carrying a file, when known.
    var activeRunID: Int64?
    /// Content whose upload failed with a transient error: not claimed again before this.
    var retryAfter: [String: Date] = [:]
}

/// Upload jobs (`sample-attachment-upload`): one run per file, one file at a time per job.
///
/// Each pass, for each upload job: first the uploads whose run ended are settled (the file moves
/// to `done/`, or to `failed/` with `<name>.error.txt`, then the row is marked), then — when no
/// run is in flight — the inbox is scanned (``InboxScanner``), and the first complete file whose
/// content (SHA-256) was never attached is claimed for a new run in one transaction. The run then
/// goes through `due → starting → uploading → polling → done` like an export: `recordKickoffSent`
/// before the attachmentUpload POST, the exact `Location` before the PUT, `uploaded` (with the
/// accepting operation) right after the PUT, then the poll queue until `completed`.
///
/// The one window where a file can be attached twice: the PUT reached storage but the process
/// died before `uploaded` was committed (a local transaction right after the PUT's answer).
/// A restart then finds the run in `uploading`, and since the `uploadUrl` is never stored it
/// sends a new attachmentUpload; this is logged as a possible duplicate. A crash between the
/// POST and recording its `Location` leaves only an unused attachmentUpload, which the server
/// fails for want of a PUT: nothing is attached twice.
extension ExportEngine {
    // MARK: Scanning and claiming

    /// Settles finished uploads and claims the next complete file of every upload job.
    func scheduleUploadJobs(now: Date, mode: Mode) async {
        for job in jobs.uploadJobs {
            guard case .sampleAttachmentUpload(_, _, let inbox) = job.payload else { continue }
            var log = logger
            log[metadataKey: "job"] = "\(job.name)"
            var progress = uploadInboxes[job.name] ?? UploadInboxProgress(scanner: InboxScanner(settleSeconds: Double(inbox.settleSeconds)))
            do {
                for finished in try await store.finishedUploads(job: job.name) {
                    await settle(finished, inbox: inbox, progress: &progress, logger: log)
                    if progress.activeRunID == finished.run.id || progress.activeRunID == nil {
                        progress.activeRunID = nil
                        progress.nextScanAt = now
                    }
                }
            } catch {
                log.error("cannot read the finished uploads of job \(job.name): \(error)")
            }
            if progress.nextScanAt <= now {
                await scanInbox(job: job, inbox: inbox, now: now, mode: mode, progress: &progress, logger: log)
            }
            uploadInboxes[job.name] = progress
            // Written only when it changes: every write invalidates the cached earliest due time.
            if mode == .daemon, nextDue[job.name] != progress.nextScanAt { nextDue[job.name] = progress.nextScanAt }
        }
    }

    /// Scans the inbox and claims at most one file (upload jobs carry one file at a time).
    private func scanInbox(job: JobSpec, inbox: UploadInbox, now: Date, mode: Mode, progress: inout UploadInboxProgress, logger log: Logger) async {
        try? FileManager.default.createDirectory(atPath: inbox.directory, withIntermediateDirectories: true)
        let scan = progress.scanner.scan(directory: inbox.directory, now: now)
        let following = job.schedule.nextDue(lastScheduled: Int64(now.timeIntervalSince1970))
            .map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? now.addingTimeInterval(30)
        progress.nextScanAt = min(following, scan.nextSettleAt ?? following)
        if !scan.unsettledNames.isEmpty {
            let names = scan.unsettledNames.joined(separator: ", ")
            if mode == .once {
                log.info("\(scan.unsettledNames.count) file(s) changed within the last \(inbox.settleSeconds) s and are left for a later run: \(names)")
            } else {
                log.debug("waiting for \(scan.unsettledNames.count) file(s) to settle: \(names)")
            }
        }
        for file in scan.settled {
            if let problem = Self.uploadProblem(name: file.name, size: file.size, inbox: inbox) {
                log.error("\(file.name) is not uploaded: \(problem)", metadata: ["file": "\(file.name)"])
                try? await offActor { Self.moveToFailed(path: file.path, inbox: inbox, report: "\(problem)\n", logger: log) }
                continue
            }
            let digest: String
            do { digest = try await offActor { try Self.sha256(ofFileAt: file.path) } } catch {
                log.error("cannot read \(file.name) to hash it: \(error)", metadata: ["file": "\(file.name)"])
                continue
            }
            if let wait = progress.retryAfter[digest], wait > now { continue }
            do {
                switch try await store.claimUpload(job: job.name, sha256: digest, sourcePath: file.path,
                                                   deadline: now.addingTimeInterval(TimeInterval(job.deadlineSeconds)), at: now) {
                case .claimed(let run, _):
                    log.info("\(file.name) (\(file.size) bytes, sha256 \(digest)) is complete; run \(run.id) uploads it",
                             metadata: ["run_id": "\(run.id)", "file": "\(file.name)", "sha256": "\(digest)"])
                    progress.activeRunID = run.id
                    progress.nextScanAt = .distantFuture
                    return
                case .alreadyKnown(let upload) where upload.state == .confirmed:
                    log.notice("\(file.name) has the same content (sha256 \(digest)) as \(upload.sourcePath), already attached by run \(upload.runID.map(String.init) ?? "?") (operation \(upload.operationID.map(String.init) ?? "?")); not uploading it again, moving it to \(inbox.doneDirectory)",
                               metadata: ["file": "\(file.name)", "sha256": "\(digest)", "duplicate_content": "true"])
                    try? await offActor { Self.moveFile(at: file.path, into: inbox.doneDirectory, logger: log) }
                case .alreadyKnown(let upload):
                    if upload.sourcePath != file.path {
                        log.notice("\(file.name) has the same content (sha256 \(digest)) as \(upload.sourcePath), which run \(upload.runID.map(String.init) ?? "?") is uploading; it is not uploaded twice",
                                   metadata: ["file": "\(file.name)", "sha256": "\(digest)", "duplicate_content": "true"])
                    }
                }
            } catch StateStoreError.jobHasUnfinishedRun(_, let runID) {
                progress.activeRunID = runID
                progress.nextScanAt = .distantFuture
                return
            } catch {
                log.error("cannot claim \(file.name) for upload: \(error)", metadata: ["file": "\(file.name)"])
                progress.nextScanAt = now.addingTimeInterval(5)
                return
            }
        }
    }

    /// Why a file cannot be uploaded, checked before anything is sent; nil when it can.
    static func uploadProblem(name: String, size: Int64, inbox: UploadInbox) -> String? {
        if size > UploadInbox.apiPayloadLimit {
            return "it is \(size) bytes, more than the Workiva API's request payload limit of \(UploadInbox.apiPayloadLimit) bytes"
        }
        if size > inbox.maximumBytes {
            return "it is \(size) bytes, more than this job's max_size of \(inbox.maximumBytes) bytes"
        }
        if PathComponentSanitizer.sanitize(name) != name {
            return "its name cannot be sent as an attachment name (control characters, backslashes, leading dots or spaces, or more than \(PathComponentSanitizer.maximumBytes) bytes); rename it"
        }
        return nil
    }

    static func sha256(ofFileAt path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return FileDigest.hex(hasher.finalize())
    }

    // MARK: Settling

    /// Moves a finished upload's file and marks its row; safe to repeat after a crash.
    private func settle(_ finished: FinishedUpload, inbox: UploadInbox, progress: inout UploadInboxProgress, logger base: Logger) async {
        var runLog = base
        runLog[metadataKey: "run_id"] = "\(finished.run.id)"
        let log = runLog
        let name = (finished.upload.sourcePath as NSString).lastPathComponent
        let state: UploadState
        if finished.run.phase == .done {
            try? await offActor { Self.moveFile(at: finished.upload.sourcePath, into: inbox.doneDirectory, logger: log) }
            log.info("\(name) is attached (sha256 \(finished.upload.sha256)); moved to \(inbox.doneDirectory)",
                     metadata: ["file": "\(name)", "sha256": "\(finished.upload.sha256)"])
            state = .confirmed
        } else if finished.run.failureRetryable == true {
            log.warning("\(name) was not uploaded (\(finished.run.failureReason ?? "unknown reason")); it stays in the inbox and is tried again later",
                        metadata: ["file": "\(name)"])
            progress.retryAfter[finished.upload.sha256] = clock.now.addingTimeInterval(30)
            state = .failed
        } else {
            let report = Self.errorReport(finished)
            try? await offActor { Self.moveToFailed(path: finished.upload.sourcePath, inbox: inbox, report: report, logger: log) }
            state = .failed
        }
        do {
            try await store.recordUploadSettled(upload: finished.upload.id, state: state, at: clock.now)
        } catch {
            log.error("cannot record the outcome of the upload of \(name): \(error)")
        }
    }

    /// The `.error.txt` sidecar: the reason, and the server's status, code and message.
    static func errorReport(_ finished: FinishedUpload) -> String {
        var lines = ["upload failed: \(finished.run.failureReason ?? "unknown reason")",
                     "run: \(finished.run.id)",
                     "sha256: \(finished.upload.sha256)"]
        if let operation = finished.operation {
            lines.append("operation: \(ExportEngine.redacted(operation.location))")
            if let status = operation.lastStatus { lines.append("status: \(status)") }
            if let details = operation.details { lines.append("details: \(details)") }
            if let original = operation.originalRequest { lines.append("originalRequest: \(original)") }
        }
        lines.append("failed at: \(ISO8601DateFormatter().string(from: finished.run.finishedAt ?? finished.run.updatedAt))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `<name>.error.txt` into the failed folder, then moves the file beside it.
    /// Runs blocking file work (hashing, a move with its directory fsync) on the file-work
    /// pool, off the actor.
    private func offActor<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await startedFileWork().run(work)
    }

    private static func moveToFailed(path: String, inbox: UploadInbox, report: String, logger log: Logger) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let name = (path as NSString).lastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: inbox.failedDirectory, withIntermediateDirectories: true)
            let target = Self.freeTarget(for: name, in: inbox.failedDirectory)
            try Data(report.utf8).write(to: URL(fileURLWithPath: target + ".error.txt"), options: .atomic)
            try FileManager.default.moveItem(atPath: path, toPath: target)
            AtomicFileWriter.syncDirectory(of: target)
            log.error("\(name) moved to \(target) with \((target as NSString).lastPathComponent).error.txt: \(report.split(separator: "\n").first ?? "")",
                      metadata: ["file": "\(name)"])
        } catch {
            log.error("cannot move \(name) to \(inbox.failedDirectory): \(error)", metadata: ["file": "\(name)"])
        }
    }

    /// Moves a file into `directory` (kept if absent: it was moved before a crash).
    private static func moveFile(at path: String, into directory: String, logger log: Logger) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let name = (path as NSString).lastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let target = Self.freeTarget(for: name, in: directory)
            try FileManager.default.moveItem(atPath: path, toPath: target)
            AtomicFileWriter.syncDirectory(of: target)
        } catch {
            log.error("cannot move \(name) to \(directory): \(error)", metadata: ["file": "\(name)"])
        }
    }

    /// `directory/name`, or `directory/<stem>-2.<ext>`, … when taken.
    static func freeTarget(for name: String, in directory: String) -> String {
        var candidate = directory + "/" + name
        let stem = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        var number = 2
        while FileManager.default.fileExists(atPath: candidate) || FileManager.default.fileExists(atPath: candidate + ".error.txt") {
            candidate = directory + "/" + stem + "-\(number)" + (ext.isEmpty ? "" : "." + ext)
            number += 1
        }
        return candidate
    }

    // MARK: Uploading

    /// attachmentUpload POST, the PUT (tried again by the same task, with the core's waits,
    /// while its temporary URL lasts), then hands the operation to the poll queue.
    func performUpload(_ recovered: UnfinishedRun) async {
        let run = recovered.run
        var log = runLogger(run)
        guard let job = jobs[run.job], case .sampleAttachmentUpload(let flavour, let locator, let inbox) = job.payload,
              case .workiva(let workiva, let spec)? = clients[job.source] else {
            await record(.abandoned(reason: "upload job \(run.job) is no longer configured for a Workiva source"), run: run.id,
                         policy: RunPolicy(), logger: log)
            return
        }
        let policy = RunPolicy()
        guard let found = await committed({ try await self.store.upload(forRun: run.id) }, logger: log) else { return }
        guard let upload = found else {
            await record(.abandoned(reason: "upload run \(run.id) has no file recorded"), run: run.id, policy: policy, logger: log)
            return
        }
        let name = (upload.sourcePath as NSString).lastPathComponent
        log[metadataKey: "file"] = "\(name)"
        // The bytes sent must be the bytes claimed (and hashed): a file replaced in the inbox
        // after the claim is claimed again under its new content.
        guard let size = (try? FileManager.default.attributesOfItem(atPath: upload.sourcePath))?[.size] as? NSNumber,
              let digest = try? await offActor({ try Self.sha256(ofFileAt: upload.sourcePath) }) else {
            await record(.abandoned(reason: "\(upload.sourcePath) disappeared from the inbox before it was uploaded"), run: run.id,
                         policy: policy, logger: log)
            return
        }
        guard digest == upload.sha256 else {
            await record(.abandoned(reason: "\(name) changed after it was claimed; its new content is picked up by a later scan"),
                         run: run.id, policy: policy, logger: log)
            return
        }
        if let problem = Self.uploadProblem(name: name, size: size.int64Value, inbox: inbox) {
            await record(.abandoned(reason: problem), run: run.id, policy: policy, logger: log)
            return
        }
        guard let sending = await committed({ try await self.store.recordKickoffSending(run: run.id, policy: policy, at: self.clock.now) }, logger: log)
        else { return }
        if case .kickoff(_, possibleDuplicate: true) = sending.action {
            if run.phase == .uploading {
                log.warning("possible duplicate upload: run \(run.id) had an attachmentUpload for \(name) whose PUT may have reached storage before a restart (the uploadUrl is never stored); starting a new attachmentUpload, so \(name) may be attached twice",
                            metadata: ["possible_duplicate": "true"])
            } else {
                log.notice("run \(run.id) had sent an attachmentUpload for \(name) without recording its answer; sending a new one (the old one gets no PUT, so it attaches nothing)",
                           metadata: ["possible_duplicate": "true"])
            }
        }
        let request = WorkivaKickoffRequest.attachmentUpload(flavour: flavour, locator: locator, fileName: name)
        let handle: WorkivaOperationHandle
        do {
            handle = try await workiva.startOperation(request)
        } catch {
            await record(Self.kickoffEvent(error), run: run.id, policy: policy, logger: log)
            return
        }
        guard let uploadURL = handle.uploadURL else {
            await record(.kickoffAmbiguous(reason: "the attachmentUpload answer carried no uploadUrl"), run: run.id, policy: policy, logger: log)
            return
        }
        guard let acceptance = await committed({
            try await self.store.recordOperationAccepted(
                run: run.id, location: handle.location, xVersion: request.xVersion, serverWait: handle.retryAfter,
                policy: policy, at: self.clock.now)
        }, logger: log) else { return }
        log[metadataKey: "operation_id"] = "\(acceptance.operation.id)"
        var action = acceptance.decision.action
        while case .upload(_, let at) = action {
            let wait = at.timeIntervalSince(clock.now)
            if wait > 0 {
                do { try await clock.sleep(seconds: wait) } catch { return }
            }
            do {
                try await workiva.upload(uploadURL: uploadURL, fileAt: upload.sourcePath, sendAuthorization: spec.sendAuthorizationOnUpload)
            } catch {
                let event: RunEvent
                switch error {
                case .expiredURL:
                    event = .uploadRefused(reason: "the uploadUrl expired before the PUT of \(name) finished (storage answered 403 \"Request has expired\"); check the clock and the upload speed, then drop the file again")
                case .transient(_, let wait):
                    event = .uploadTransient(reason: "the PUT of \(name) to the uploadUrl failed: \(error)", serverWait: wait)
                case .ambiguous, .malformedResponse:
                    event = .uploadTransient(reason: "the PUT of \(name) to the uploadUrl failed: \(error)", serverWait: nil)
                case .rejected(let status, _, _, _):
                    var reason = "the PUT of \(name) to the uploadUrl failed: \(error)"
                    if status == 400 || status == 403, spec.sendAuthorizationOnUpload {
                        reason += " (the storage may refuse the Bearer header: set send_authorization_on_upload = false for this source)"
                    }
                    event = .uploadRefused(reason: reason)
                case .unauthorized, .sunset:
                    event = .uploadRefused(reason: "the PUT of \(name) to the uploadUrl failed: \(error)")
                }
                let jitter = nextJitter()
                guard let decision = await committed({
                    try await self.store.record(event, run: run.id, policy: policy, jitter: jitter, at: self.clock.now)
                }, logger: log) else { return }
                await execute(decision, logger: log, after: event)
                action = decision.action
                continue
            }
            guard let sent = await committed({
                try await self.store.recordUploadSent(run: run.id, serverWait: handle.retryAfter, policy: policy, at: self.clock.now)
            }, logger: log) else { return }
            log.info("\(name) uploaded (\(size.int64Value) bytes); polling \(Self.redacted(handle.location))",
                     metadata: ["sha256": "\(digest)"])
            await execute(sent, logger: log)
            return
        }
    }
}
