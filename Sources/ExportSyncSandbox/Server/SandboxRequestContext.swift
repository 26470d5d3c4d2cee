import Hummingbird
import Logging
import NIOCore

/// Request context that keeps the connection's channel, which the connection-level faults
/// (reset, hang, truncation) act on.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Kickoff bodies are at most 10 MiB in production too.
    var maxUploadSize: Int { 10 * 1024 * 1024 }
}
