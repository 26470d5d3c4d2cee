public import AsyncHTTPClient
public import ExportSyncCore
public import NIOCore

/// Per-request behaviour shared by both clients: retries (layer 1), timeouts, redirects.
public struct ProviderSettings: Sendable {
    /// Backoff between tries when the server gave no `Retry-After`; `maximumAttempts` bounds the tries.
    public var retryPolicy: RetryPolicy
    /// Total seconds one call may spend on retries (waits included) before it gives up.
    public var retryBudgetSeconds: Double
    /// Longest `Retry-After` honoured inside one call; a longer one ends the call as `.transient`
    /// with that wait, so the engine schedules it instead of holding a task.
    public var maximumRetryAfterSeconds: Double
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

    /// Creates settings; the defaults suit production.
    public init(
        retryPolicy: RetryPolicy = RetryPolicy(initialDelay: 0.5, multiplier: 2, maximumDelay: 10, maximumAttempts: 4),
        retryBudgetSeconds: Double = 60, maximumRetryAfterSeconds: Double = 60, requestTimeoutSeconds: Double = 30,
        uploadTimeoutSeconds: Double = 300, maximumRedirects: Int = 5, tokenRefreshMarginSeconds: Double = 60,
        maximumJSONBytes: Int = 4 << 20
    ) {
        self.retryPolicy = retryPolicy
        self.retryBudgetSeconds = retryBudgetSeconds
        self.maximumRetryAfterSeconds = maximumRetryAfterSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.uploadTimeoutSeconds = uploadTimeoutSeconds
        self.maximumRedirects = maximumRedirects
        self.tokenRefreshMarginSeconds = tokenRefreshMarginSeconds
        self.maximumJSONBytes = maximumJSONBytes
    }

    /// The `HTTPClient` configuration the providers expect: redirects disabled (they follow
    /// redirects themselves to scope credentials), a connect timeout and an idle read timeout.
    public static func httpClientConfiguration(
        connectTimeout: TimeAmount = .seconds(10), readTimeout: TimeAmount = .seconds(60)
    ) -> HTTPClient.Configuration {
        HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: connectTimeout, read: readTimeout),
            decompression: .disabled)
    }
}
