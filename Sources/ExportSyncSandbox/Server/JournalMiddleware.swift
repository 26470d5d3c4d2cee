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
        } catch let error as HTTPError {
            // No route (404/405) or Hummingbird's own limits (413): the vendor's error body.
            response = errorReply(request, status: error.status == .methodNotAllowed ? .notFound : error.status).response()
        } catch {
            journal.answered(id, status: nil)
            throw error
        }
        if response.headers[.sandboxResetAfterEffect] != nil {
            // A `resetAfterEffect` fault: the request took effect, its answer is lost.
            journal.answered(id, status: nil)
            await environment.resetConnection(context.channel)
            throw ConnectionAborted()
        }
        if response.headers[.sandboxEchoCredentials] != nil {
            // An `echoCredentials` fault: the error message repeats what authenticated the request.
            let echoed = (request.headers[values: .authorization] + request.headers[values: .apiKey]).joined(separator: ", ")
            let body = ["code": "\(response.status.code)BadRequest", "message": "request rejected; credentials were: \(echoed)"]
            response = Reply.json(response.status, body).response()
        }
        journal.answered(id, status: response.status.code)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            journal.finished(id)
        }
        return response
    }

    private func errorReply(_ request: Request, status: HTTPResponse.Status) -> Reply {
        switch listener {
        case .storage where status == .notFound:
            return .s3Error(
                .notFound, code: "NoSuchKey", message: "The specified key does not exist.",
                extra: [("Key", String(request.uri.path.dropFirst()))], bodyless: request.method == .head)
        case .storage:
            return .s3Error(status, code: status.reasonPhrase.filter(\.isLetter), message: status.reasonPhrase, bodyless: request.method == .head)
        case .api:
            if request.uri.path.hasPrefix("/api/") {
                return .webadmitMessage(status, status == .notFound ? "Not Found" : status.reasonPhrase)
            }
            return .workivaError(status, flavor: nil)
        }
    }
}
