import AsyncHTTPClient
import ExportSyncConfig
import ExportSyncCore
import ExportSyncProviders
import ExportSyncStore
import Foundation
import Logging

extension ExportEngine {
    /// Downloads a completed operation's result into the output tree, then records the file.
    ///
    /// - Parameter fileSync: where the file's fsync and rename run.
    nonisolated func performDownload(_ recovered: RecoveredRun, fileSync: FileSyncPool) async {
        let run = recovered.run
        var log = logger
        log[metadataKey: "job"] = "\(run.job)"
        log[metadataKey: "run_id"] = "\(run.id)"
        guard let (job, client) = await configured(job: run.job), let template = job.output,
              let operation = recovered.operation
        else {
            await fail(run: run.id, reason: "job \(run.job) is no longer configured for export", retryable: false, logger: log)
            return
        }
        log[metadataKey: "operation_id"] = "\(operation.id)"
        if Date() > run.deadline {
            await fail(run: run.id, reason: "the run's deadline passed before its file was downloaded", retryable: true, logger: log)
            return
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                let stream = try await openDownload(client: client, operation: operation)
                let values = OutputNaming.templateValues(job: job, runID: run.id, scheduledFor: run.scheduledFor,
                                                         serverFileName: stream.fileName, contentType: stream.contentType)
                let relative = template.resolve(values)
                let result = try await write(stream, to: relative, under: await outputRoot, run: run.id, fileSync: fileSync)
                let file: StoredFile
                do {
                    file = try await store.recordFileWritten(run: run.id, path: relative, size: result.size, sha256: result.sha256)
                } catch {
                    // The file is in place but not recorded: the run stays `downloading` and a
                    // later pass (or a restart) downloads it again in a slot of its own, as after
                    // a kill between the rename and the commit.
                    log.error("cannot record the file \(relative) of run \(run.id): \(error)")
                    await postpone(run: run.id, seconds: 5)
                    return
                }
                await forget(resourceURLOf: operation.id)
                await noteFileWritten(at: file.writtenAt)
                log.notice("wrote \(relative) (\(result.size) bytes)",
                           metadata: ["path": "\(relative)", "size": "\(result.size)", "sha256": "\(result.sha256)"])
                return
            } catch let failure as ProviderFailure where failure.isTransient && attempt < 3 {
                log.warning("download attempt \(attempt) failed, trying again: \(failure)")
                try? await Task.sleep(for: .seconds(await pollBackoff(afterPolls: attempt)))
            } catch let failure as ProviderFailure {
                await fail(run: run.id, reason: "downloading failed: \(failure)", retryable: failure.isTransient || failure == .expiredURL, logger: log)
                return
            } catch let failure as AtomicFileWriter.Failure {
                if case .lengthMismatch = failure, attempt < 3 {
                    log.warning("download attempt \(attempt) was cut short, trying again: \(failure)")
                    continue
                }
                await fail(run: run.id, reason: failure.description, retryable: true, logger: log)
                return
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                if attempt < 3 {
                    log.warning("download attempt \(attempt) failed, trying again: \(error)")
                    continue
                }
                await fail(run: run.id, reason: "downloading failed: \(error)", retryable: true, logger: log)
                return
            }
        }
    }

    /// Opens the result: Workiva's `resourceUrl` (learned again from the operation after a
    /// restart), or a WebAdMIT `download_url` fetched fresh right now and never stored.
    private nonisolated func openDownload(client: SourceClient, operation: StoredOperation) async throws -> DownloadStream {
        switch client {
        case .workiva(let workiva, let spec):
            let xVersion = operation.xVersion ?? spec.apiVersion.defaultFlavour.xVersion
            var resource = await resourceURL(of: operation.id)
            if resource == nil {
                resource = try await workiva.poll(operationURL: operation.location, xVersion: xVersion).resourceURL
            }
            guard let resource, !resource.isEmpty else {
                throw ProviderFailure.malformedResponse("the completed operation has no resourceUrl")
            }
            return try await workiva.openDownload(resourceURL: resource, xVersion: xVersion)
        case .webadmit(let webadmit, _):
            guard let ids = operation.providerIDs else { throw ProviderFailure.malformedResponse("no export file id recorded") }
            for _ in 0..<2 {
                let state = try await webadmit.exportFile(exportID: ids.exportID, fileID: ids.exportFileID)
                guard let url = state.downloadURL else {
                    throw ProviderFailure.malformedResponse("WebAdMIT reports \(state.status) but gives no download_url")
                }
                let opened: Result<DownloadStream, ProviderFailure>
                do {
                    opened = .success(try await webadmit.openDownload(url: url))
                } catch {
                    opened = .failure(error)
                }
                switch opened {
                case .success(let stream): return stream
                case .failure(.expiredURL): logger.info("download_url expired before use; fetching a fresh one")
                case .failure(let failure): throw failure
                }
            }
            throw ProviderFailure.expiredURL
        }
    }

    /// Streams the body into an ``AtomicFileWriter`` below the output root; once the last byte is
    /// in, frees the download slot and makes the file durable on `fileSync`'s threads.
    private nonisolated func write(_ stream: DownloadStream, to relative: String, under root: String, run: Int64,
                                   fileSync: FileSyncPool) async throws -> AtomicFileWriter.Result {
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
                try writer.write(chunk)
                if writer.bytesWritten - reported >= 8 << 20 {
                    await noteDownloadBytes(delta: writer.bytesWritten - reported, total: 0)
                    reported = writer.bytesWritten
                }
            }
        } catch {
            writer.discard()
            await noteDownloadBytes(delta: -reported, total: -(stream.contentLength ?? 0))
            if error is AtomicFileWriter.Failure || error is CancellationError { throw error }
            throw ProviderFailure.transient(reason: "the download was cut off: \(error)", retryAfter: nil)
        }
        await noteDownloadBytes(delta: -reported, total: -(stream.contentLength ?? 0))
        let pending = try writer.prepareCommit()
        await transferFinished(run: run)
        return try await fileSync.complete(pending)
    }
}
