public import ExportSyncCore
public import Foundation
import GRDB

/// Where one local file stands with Workiva, by the SHA-256 of its content.
public enum UploadState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Claimed by a run; the attachmentUpload and PUT may or may not have happened yet.
    case pending
    /// The PUT was accepted; the operation is being polled.
    case uploaded
    /// The operation completed: the content is attached. It is never uploaded again.
    case confirmed
    /// The run failed; the content may be claimed again (a later drop of the same bytes).
    case failed
}

/// A row of `uploads`: the content hash, the file it was read from, and the run and operation
/// that carried it.
public struct StoredUpload: Sendable, Hashable, Codable {
    /// Row id.
    public var id: Int64
    /// Lower-case hex SHA-256 of the file's bytes.
    public var sha256: String
    /// The path the content was claimed from (in the inbox).
    public var sourcePath: String
    /// The run that carries (or carried) the content.
    public var runID: Int64?
    /// The operation that accepted the content, once known.
    public var operationID: Int64?
    /// Where the upload stands.
    public var state: UploadState
    /// When the content was first claimed.
    public var createdAt: Date
    /// Last change.
    public var updatedAt: Date

    init(_ record: UploadRecord, id: Int64) {
        self.id = id
        sha256 = record.sha256
        sourcePath = record.sourcePath
        runID = record.runId
        operationID = record.operationId
        state = UploadState(rawValue: record.state) ?? .failed
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }
}

/// The answer of ``StateStore/claimUpload(job:sha256:sourcePath:deadline:at:)``.
public enum UploadClaim: Sendable, Hashable {
    /// A new `due` upload run now carries the content.
    case claimed(run: StoredRun, upload: StoredUpload)
    /// The content is already attached (`confirmed`) or on its way (`pending`/`uploaded`).
    case alreadyKnown(StoredUpload)
}

/// An upload whose run has finished but whose row (and file) were not settled yet.
public struct FinishedUpload: Sendable, Hashable {
    /// The upload row (state `pending` or `uploaded`).
    public var upload: StoredUpload
    /// Its run, `done` or `failed`.
    public var run: StoredRun
    /// The run's operation, when one was accepted (terminal status, `details`, `originalRequest`).
    public var operation: StoredOperation?
}

extension StateStore {
    /// Claims a file's content for a new upload run of `job`, in one transaction: creates a `due`
    /// run of kind `upload` and the `uploads` row (state `pending`) naming the file.
    ///
    /// Content already `confirmed`, `pending` or `uploaded` is not claimed again
    /// (``UploadClaim/alreadyKnown(_:)``); content whose last upload `failed` is claimed anew.
    ///
    /// - Throws: ``StateStoreError/jobHasUnfinishedRun(job:runID:)`` while the job has a run in
    ///   flight (upload jobs carry one file at a time), ``StateStoreError/unknownJob(_:)``.
    public func claimUpload(job: String, sha256: String, sourcePath: String, deadline: Date, at now: Date) async throws -> UploadClaim {
        let digest = sha256.lowercased()
        return try await write { db in
            let existing = try UploadRecord.filter { $0.sha256 == digest }.fetchOne(db)
            if let found = existing, let id = found.id, found.state != UploadState.failed.rawValue {
                return .alreadyKnown(StoredUpload(found, id: id))
            }
            guard var jobRecord = try JobRecord.fetch(db, name: job) else { throw StateStoreError.unknownJob(job) }
            if let id = try Self.unfinishedRunID(db, job: job) {
                throw StateStoreError.jobHasUnfinishedRun(job: job, runID: id)
            }
            var run = RunRecord(
                id: nil, job: job, kind: .upload, phase: .due, attemptCount: 0, createdAt: now, updatedAt: now,
                scheduledFor: now, deadline: deadline, kickoffSentAt: nil, possibleDuplicate: false,
                failureReason: nil, failureRetryable: nil, finishedAt: nil, operationId: nil)
            try run.insert(db)
            let runID = try Self.id(of: run)
            jobRecord.lastScheduledAt = now
            jobRecord.updatedAt = now
            try jobRecord.update(db)
            var upload: UploadRecord
            if var found = existing {
                found.sourcePath = sourcePath
                found.runId = runID
                found.operationId = nil
                found.state = UploadState.pending.rawValue
                found.updatedAt = now
                try found.update(db)
                upload = found
            } else {
                upload = UploadRecord(id: nil, sha256: digest, sourcePath: sourcePath, runId: runID, operationId: nil,
                                      state: UploadState.pending.rawValue, createdAt: now, updatedAt: now)
                try upload.insert(db)
            }
            guard let uploadID = upload.id else {
                throw StateStoreError.inconsistentRun(runID: runID, detail: "upload row without id")
            }
            return .claimed(run: StoredRun(run, id: runID), upload: StoredUpload(upload, id: uploadID))
        }
    }

    /// The upload row of a content hash, if the content was ever claimed.
    public func upload(sha256: String) async throws -> StoredUpload? {
        let digest = sha256.lowercased()
        return try await read { db in
            guard let record = try UploadRecord.filter({ $0.sha256 == digest }).fetchOne(db), let id = record.id else { return nil }
            return StoredUpload(record, id: id)
        }
    }

    /// The upload row a run carries, if any.
    public func upload(forRun runID: Int64) async throws -> StoredUpload? {
        try await read { db in
            guard let record = try UploadRecord.filter({ $0.runId == runID }).fetchOne(db), let id = record.id else { return nil }
            return StoredUpload(record, id: id)
        }
    }

    /// Records that an upload's PUT was accepted, in one transaction: the run moves
    /// `uploading → polling` (first poll after `serverWait`, the attachmentUpload answer's
    /// `Retry-After`, as the core decides) and the upload row becomes `uploaded` with the
    /// operation that accepted it.
    public func recordUploadSent(run runID: Int64, serverWait: Double?, policy: RunPolicy, at now: Date) async throws -> RunDecision {
        try await write { db in
            var (run, operation) = try Self.loadRun(db, runID)
            var machine = try Self.machine(for: run, operation: operation, policy: policy, runID: runID)
            let action = try Self.apply(.uploadSent(serverWait: serverWait), to: &machine, now: now, jitter: 0, runID: runID)
            var op = try Self.require(operation, runID: runID)
            if case .polling(_, let nextPollAt) = machine.state { op.nextPollAt = nextPollAt }
            op.updatedAt = now
            try op.updateRow(db)
            Self.copy(machine, into: &run, now: now, secrets: self.secrets)
            try run.updateRow(db)
            guard var upload = try UploadRecord.filter({ $0.runId == runID }).fetchOne(db) else {
                throw StateStoreError.inconsistentRun(runID: runID, detail: "upload run without an uploads row")
            }
            upload.state = UploadState.uploaded.rawValue
            upload.operationId = op.id
            upload.updatedAt = now
            try upload.update(db)
            return RunDecision(run: StoredRun(run, id: runID), action: action)
        }
    }

    /// Uploads of `job` whose run has ended (`done` or `failed`) while the row still says
    /// `pending` or `uploaded`: the engine settles each (state, and the file's move).
    public func finishedUploads(job: String) async throws -> [FinishedUpload] {
        try await read { db in
            let ended = [RunPhase.done, .failed].map(\.rawValue)
            let unsettled = [UploadState.pending, .uploaded].map(\.rawValue)
            let records = try UploadRecord
                .joining(required: UploadRecord.run.filter { $0.job == job && ended.contains($0.phase) })
                .filter { unsettled.contains($0.state) }
                .order(\.id)
                .fetchAll(db)
            var result: [FinishedUpload] = []
            for record in records {
                guard let uploadID = record.id, let runID = record.runId else { continue }
                let (run, operation) = try Self.loadRun(db, runID)
                let stored = try operation.map { StoredOperation($0, id: try Self.id(of: $0)) }
                result.append(FinishedUpload(upload: StoredUpload(record, id: uploadID), run: StoredRun(run, id: runID), operation: stored))
            }
            return result
        }
    }

    /// Settles an upload row once its run ended: `confirmed` (the run is `done`; the operation
    /// that accepted it is recorded) or `failed` (the content may be claimed again).
    public func recordUploadSettled(upload uploadID: Int64, state: UploadState, at now: Date) async throws {
        try await write { db in
            guard var upload = try UploadRecord.fetchOne(db, key: uploadID) else {
                throw StateStoreError.inconsistentRun(runID: 0, detail: "upload \(uploadID) not found")
            }
            if let runID = upload.runId, let run = try RunRecord.fetch(db, id: runID), upload.operationId == nil {
                upload.operationId = run.operationId
            }
            upload.state = state.rawValue
            upload.updatedAt = now
            try upload.update(db)
        }
    }
}
