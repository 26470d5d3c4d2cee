import Logging

extension LogEvent {
    /// The metadata to write for this event, merged as swift-log's own handlers do: handler
    /// metadata, overridden by the metadata provider, overridden by the call's metadata; an
    /// attached error adds `error.message` and `error.type`.
    func effectiveMetadata(
        handlerMetadata: Logger.Metadata,
        provider: Logger.MetadataProvider?
    ) -> Logger.Metadata {
        var merged = handlerMetadata
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = self.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        if let error = self.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }
}

extension Logger.MetadataValue {
    /// The value as one string: strings as they are, lists and dictionaries as swift-log prints them.
    var flattened: String {
        switch self {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array, .dictionary: self.description
        }
    }
}
