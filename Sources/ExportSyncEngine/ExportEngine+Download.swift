import AsyncHTTPClient
import CoreMetrics
import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Downloads a completed operation's result into the output tree, then records the file.
    /// One attempt: a failure goes to the core, which schedules the next attempt (persisted) or
    /// fails the run.
    ///
    /// - Parameter fileWork: where the file's fsync and rename run.
    nonisolated func performDownload(_ recovered: UnfinishedRun, fileWork: FileWorkPool) async {
        let run = recovered.run
        var log = runLogger(run)
        guard let (job, client) = await configuredOrAbandon(run, logger: log) else { return }
        guard let template = job.output, let operation = recovered.operation else {
            await record(.abandoned(reason: "job \(run.job) is no longer configured for export"), run: run.id, policy: RunPolicy(), logger: log)
            return
        }
        log[metadataKey: "operation_id"] = "\(operation.id)"
        let policy = Self.policy(for: client)
        let relative: String
        let result: AtomicFileWriter.Result
        do {
            let stream = try await openDownload(client: client, operation: operation, logger: log)
            let values = OutputNaming.templateValues(job: job, runID: run.id, scheduledFor: run.scheduledFor,
                                                     serverFileName: stream.fileName, contentType: stream.contentType)
            relative = template.resolve(values)
            result = try await write(stream, to: relative, under: await outputRoot, run: run.id, received: metrics.downloadedBytes(job: job.name),
                                     fileWork: fileWork)
            if job.checksumFiles {
                // Before the record: a crash in between downloads (and writes both) again.
                _ = try await fileWork.run { try AtomicFileWriter.writeChecksumFile(for: result) }
            } else {
                // One left from when checksum_files was on would state the replaced file's digest.
                // (Usually one lstat that finds nothing: done here, not on the pool.)
                AtomicFileWriter.removeStaleChecksumFile(for: result)
            }
        } catch is CancellationError {
            return
        } catch {
            if Task.isCancelled { return }
            await record(Self.downloadEvent(error), run: run.id, policy: policy, logger: log)
            return
        }
        // The file is in place; if it cannot be recorded, the run stays `downloading` and is
        // downloaded again once the database takes writes, as after a kill between the rename
        // and the commit.
        guard let file = await committed({
            try await self.store.recordFileWritten(
                run: run.id, path: relative, size: result.size, sha256: result.sha256, policy: policy,
                hook: job.deliveryHook != nil, at: self.clock.now)
        }, logger: log) else { return }
        await forget(resultOf: operation.id)
        await noteFileWritten(at: file.writtenAt, job: run.job)
        log.notice("wrote \(relative) (\(result.size) bytes)",
                   metadata: ["path": "\(relative)", "size": "\(result.size)", "sha256": "\(result.sha256)"])
        wake.signal()
    }

    /// What a failed download means for the run: most failures are worth another attempt
    /// (cut short, reset, 5xx, an expired URL, a full or failing disk); a definite refusal of
    /// the result or a path that may not be written is terminal.
    nonisolated static func downloadEvent(_ error: any Error) -> RunEvent {
        let reason = "downloading failed: \(error)"
        switch error {
        case let failure as ProviderFailure:
            switch failure {
            case .transient(_, let wait): return .downloadTransient(reason: reason, serverWait: wait)
            case .ambiguous, .malformedResponse, .expiredURL: return .downloadTransient(reason: reason, serverWait: nil)
            case .rejected, .unauthorized, .sunset: return .downloadRefused(reason: reason)
            }
        case let failure as AtomicFileWriter.Failure:
            if case .cannotCreate(_, let code) = failure, code == EPERM || code == EACCES || code == ENAMETOOLONG || code == EISDIR {
                return .downloadRefused(reason: failure.description)
            }
            return .downloadTransient(reason: failure.description, serverWait: nil)
        default:
            return .downloadTransient(reason: reason, serverWait: nil)
        }
    }

    /// Opens the result: Workiva's `resourceUrl` (learned again from the operation after a
    /// restart), or a WebAdMIT `download_url`: the one the completing poll gave moments ago,
    /// else a fresh one; never stored. An expired URL is fetched fresh once, at once.
    private nonisolated func openDownload(client: SourceClient, operation: StoredOperation, logger log: Logger) async throws -> DownloadStream {
        let known = await result(of: operation.id)
        switch client {
        case .workiva(let workiva, let spec):
            let xVersion = operation.xVersion ?? spec.apiVersion.defaultFlavour.xVersion
            var resource: String?
            if case .workivaResource(let url) = known { resource = url }
            if resource == nil {
                resource = try await workiva.poll(operationURL: operation.location, xVersion: xVersion).resourceURL
            }
            guard let resource, !resource.isEmpty else {
                throw ProviderFailure.malformedResponse("the completed operation has no resourceUrl")
            }
            return try await workiva.openDownload(resourceURL: resource, xVersion: xVersion)
        case .webadmit(let webadmit, _):
            guard let ids = operation.providerIDs else { throw ProviderFailure.malformedResponse("no export file id recorded") }
            if case .webAdmitDownload(let url, let receivedAt) = known,
               clock.now.timeIntervalSince(receivedAt) < Self.webAdmitURLReuseSeconds {
                await forget(resultOf: operation.id)
                // (A Result, not `catch .expiredURL`: Swift 6.3's SILGen crashes on that pattern here.)
                let opened: Result<DownloadStream, ProviderFailure>
                do { opened = .success(try await webadmit.openDownload(url: url)) } catch { opened = .failure(error) }
                switch opened {
                case .success(let stream): return stream
                case .failure(.expiredURL): log.info("download_url expired before use; fetching a fresh one")
                case .failure(let failure): throw failure
                }
            }
            let state = try await webadmit.exportFile(exportID: ids.exportID, fileID: ids.exportFileID)
            guard let url = state.downloadURL, !url.isEmpty else {
                throw ProviderFailure.malformedResponse("WebAdMIT reports \(state.status) but gives no download_url")
            }
            return try await webadmit.openDownload(url: url)
        }
    }

    /// How long a `download_url` from a poll is used without asking again: WebAdMIT's pre-signed
    /// URLs live about 30 s.
    static let webAdmitURLReuseSeconds: Double = 20

    /// Streams the body into an ``AtomicFileWriter`` below the output root; once the last byte is
    /// in, frees the download slot and makes the file durable on `fileWork`'s threads.
    ///
    /// - Parameter received: counts the body's bytes as they arrive.
    private nonisolated func write(_ stream: DownloadStream, to relative: String, under root: String, run: Int64,
                                   received: Counter, fileWork: FileWorkPool) async throws -> AtomicFileWriter.Result {
        let target = root + "/" + relative
        // The template already refuses `..` and sanitises values; check once more where it lands.
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
            throw AtomicFileWriter.Failure.cannotCreate(path: target, errno: EPERM)
        }
        let writer = try AtomicFileWriter(targetPath: target, expectedLength: stream.contentLength)
        await noteDownloadBytes(delta: 0, total: stream.contentLength ?? 0)
        var reported: Int64 = 0
        do {
            for try await chunk in stream.body {
                let before = writer.bytesWritten
                try await writer.write(chunk, pipelinedOn: fileWork)
                received.increment(by: writer.bytesWritten - before)
                if writer.bytesWritten - reported >= 8 << 20 {
                    await noteDownloadBytes(delta: writer.bytesWritten - reported, total: 0)
                    reported = writer.bytesWritten
                }
            }
            try await writer.finishWrites()
        } catch {
            try? await writer.finishWrites()
            writer.discard()
            await noteDownloadBytes(delta: -reported, total: -(stream.contentLength ?? 0))
            if error is AtomicFileWriter.Failure || error is CancellationError { throw error }
            throw ProviderFailure.transient(reason: "the download was cut off: \(error)", retryAfter: nil)
        }
        await noteDownloadBytes(delta: -reported, total: -(stream.contentLength ?? 0))
        let pending = try writer.prepareCommit()
        await transferFinished(run: run)
        return try await fileWork.complete(pending)
    }
}
