import Foundation
import HTTPTypes
import Hummingbird

/// Records every request in the journal and turns unmatched routes into the 404 body of the
/// service the path belongs to.
struct JournalMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let environment: SandboxEnvironment
    let listener: JournalEntry.Listener

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if listener == .api, request.uri.path.hasPrefix("/_sandbox/") {
            return try await next(request, context)
        }
        let journal = environment.journal
        let id = journal.begin(request, listener: listener)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            response = notFound(request).response()
        } catch let error as HTTPError {
            // Hummingbird's own errors (e.g. 413 for an oversized body): keep status, vendor body.
            response = notFound(request).response()
            response.status = error.status
        } catch {
            journal.answered(id, status: nil)
            throw error
        }
        journal.answered(id, status: response.status.code)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            journal.finished(id)
        }
        return response
    }

    private func notFound(_ request: Request) -> Reply {
        switch listener {
        case .storage:
            return .s3Error(
                .notFound, code: "NoSuchKey", message: "The specified key does not exist.",
                extra: [("Key", String(request.uri.path.dropFirst()))], bodyless: request.method == .head)
        case .api:
            if request.uri.path.hasPrefix("/api/") {
                return .webadmitMessage(.notFound, "Not Found")
            }
            return .workivaError(.notFound, flavor: nil)
        }
    }
}
