public import AsyncHTTPClient
import ExportSyncCore
public import NIOCore

/// Per-request behaviour shared by both clients: timeouts, redirects, body limits. Retries are
/// not here: a client makes each call once, and the engine's run core decides every wait.
public struct ProviderSettings: Sendable {
    /// Called with every access token a client obtains, so the daemon can hide it wherever
    /// server text is logged, stored or printed (a server may echo it in an error body).
    public var tokenIssued: (@Sendable (String) -> Void)?
    /// Deadline for the response head of API calls and download opens (bodies are governed by
    /// the HTTP client's idle read timeout, so large downloads have no total deadline).
    public var requestTimeoutSeconds: Double
    /// Deadline for the response head of an upload (the whole request body is sent before it).
    public var uploadTimeoutSeconds: Double
    /// Redirect hops followed by hand (AsyncHTTPClient's own following must be disabled).
    public var maximumRedirects: Int
    /// A token is refreshed this many seconds before `expires_in` ends (half-life for short tokens).
    public var tokenRefreshMarginSeconds: Double
    /// Largest JSON or error body read into memory.
    public var maximumJSONBytes: Int
    /// Where every request is counted (``ExportMetrics/countHTTPRequest(source:endpoint:status:)``).
    public var metrics: ExportMetrics = .disabled

    /// Creates settings; the defaults suit production.
    public init(
        requestTimeoutSeconds: Double = 30,
        uploadTimeoutSeconds: Double = 300, maximumRedirects: Int = 5, tokenRefreshMarginSeconds: Double = 60,
        maximumJSONBytes: Int = 4 << 20
    ) {
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.uploadTimeoutSeconds = uploadTimeoutSeconds
        self.maximumRedirects = maximumRedirects
        self.tokenRefreshMarginSeconds = tokenRefreshMarginSeconds
        self.maximumJSONBytes = maximumJSONBytes
    }

    /// How a connection sizes its socket reads: as NIO's default, adapting to what each read
    /// returned, but up to 1 MiB instead of 64 KiB. A large download then costs a sixteenth of the
    /// reads and of the body parts handed to the writer (each part crosses from the event loop to
    /// the downloading task); small answers keep small buffers. Measured on a 2 GiB download:
    /// 3.2 s of CPU instead of 4.2 s, for up to 4 MiB more memory while a fast body streams
    /// (NIO reads up to four times per wake-up).
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 1 << 20)

    /// The `HTTPClient` configuration the providers expect: redirects disabled (they follow
    /// redirects themselves to scope credentials), a connect timeout and an idle read timeout.
    public static func httpClientConfiguration(
        connectTimeout: TimeAmount = .seconds(10), readTimeout: TimeAmount = .seconds(60)
    ) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: connectTimeout, read: readTimeout),
            decompression: .disabled)
        // No distributed tracing: with a tracer (the global no-op one by default) the client opens
        // a span per request and parses the URL once more through Foundation to label it; that
        // was 2–3 % of the CPU per run.
        configuration.tracing.tracer = nil
        configuration.http1_1ConnectionDebugInitializer = { channel in
            channel.setOption(ChannelOptions.recvAllocator, value: receiveAllocator)
        }
        return configuration
    }
}
