import HTTPTypes

extension HTTPField.Name {
    /// Workiva's API version selector.
    static let xVersion = Self("X-Version")!
    /// WebAdMIT's API key.
    static let apiKey = Self("x-api-key")!
    /// WebAdMIT's hourly quota.
    static let rateLimitLimit = Self("X-RateLimit-Limit")!
    /// WebAdMIT's remaining calls this hour.
    static let rateLimitRemaining = Self("X-RateLimit-Remaining")!
}
