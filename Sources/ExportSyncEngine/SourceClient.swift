public import AsyncHTTPClient
public import ExportSyncConfig
public import ExportSyncCore
public import ExportSyncProviders
public import Logging

/// The provider client of one configured source; one per source, shared by all its jobs, so
/// its token cache and rate limits are global to the source.
public enum SourceClient: Sendable {
    case workiva(WorkivaClient, WorkivaSourceSpec)
    case webadmit(WebAdmitClient, WebAdmitSourceSpec)

    /// Builds a client for every source of `configuration` with the resolved `secrets`; every
    /// token expiry, rate limit and retry wait reads `clock`.
    public static func makeAll(configuration: Configuration, secrets: [String: Secret], httpClient: HTTPClient,
                               settings: ProviderSettings, clock: any ProviderClock, logger: Logger) -> [String: SourceClient] {
        var clients: [String: SourceClient] = [:]
        for (name, source) in configuration.sources {
            guard let secret = secrets[name] else { continue }
            var sourceLogger = logger
            sourceLogger[metadataKey: "source"] = "\(name)"
            switch source {
            case .workiva(let spec):
                clients[name] = .workiva(WorkivaClient(source: spec, clientSecret: secret, httpClient: httpClient,
                                                       logger: sourceLogger, clock: clock, settings: settings), spec)
            case .webadmit(let spec):
                clients[name] = .webadmit(WebAdmitClient(source: spec, apiKey: secret, httpClient: httpClient,
                                                         logger: sourceLogger, clock: clock, settings: settings), spec)
            }
        }
        return clients
    }
}
