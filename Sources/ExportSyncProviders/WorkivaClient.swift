public import AsyncHTTPClient
public import ExportSyncCore
public import Logging

/// The Workiva Platform API for one source: token cache, kickoffs, polls, downloads, uploads.
///
/// Create one per source and share it between all of the source's jobs: the token and the rate
/// limits (``WorkivaSourceSpec/requestsPerSecond`` on every request, ``WorkivaSourceSpec/pollsPerSecond``
/// on operation polls) are per client. The `HTTPClient` must not follow redirects itself
/// (``ProviderSettings/httpClientConfiguration(connectTimeout:readTimeout:)``): this client
/// follows them so that the Bearer token and `X-Version` only go to the source's origin.
public actor WorkivaClient {
    let source: WorkivaSourceSpec
    let clientSecret: Secret
    let exchange: HTTPExchange
    let clock: any ProviderClock
    let settings: ProviderSettings
    /// scheme+host+port of `base_url`: the only origin that sees the Bearer token and `X-Version`.
    let apiOrigin: HTTPOrigin?
    /// Every Workiva request, token requests included.
    public nonisolated let requestLimiter: RequestRateLimiter
    /// Operation polls (on top of ``requestLimiter``).
    public nonisolated let pollLimiter: RequestRateLimiter

    var cachedToken: AccessToken?
    var tokenFetch: Task<Result<AccessToken, ProviderFailure>, Never>?
    /// Token requests sent so far (for tests and metrics).
    public internal(set) var tokenRequestCount = 0

    /// Creates the client for `source`.
    public init(
        source: WorkivaSourceSpec, clientSecret: Secret, httpClient: HTTPClient, logger: Logger,
        clock: any ProviderClock = SystemProviderClock(), settings: ProviderSettings = ProviderSettings()
    ) {
        var logger = logger
        logger[metadataKey: "source"] = "\(source.name)"
        self.source = source
        self.clientSecret = clientSecret
        self.clock = clock
        self.settings = settings
        self.apiOrigin = HTTPOrigin(url: source.baseURL)
        self.exchange = HTTPExchange(httpClient: httpClient, source: source.name, logger: logger, settings: settings, clock: clock)
        self.requestLimiter = RequestRateLimiter(ratePerSecond: source.requestsPerSecond, burst: max(1, source.requestsPerSecond), clock: clock)
        self.pollLimiter = RequestRateLimiter(ratePerSecond: source.pollsPerSecond, burst: 1, clock: clock)
    }

    /// Whether `url` is on the source's API origin (and so gets the Bearer token).
    func isAPIOrigin(_ url: String) -> Bool {
        guard let apiOrigin else { return false }
        return HTTPOrigin(url: url) == apiOrigin
    }
}
