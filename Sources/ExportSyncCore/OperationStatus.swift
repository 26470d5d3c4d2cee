import Foundation

/// What a server-reported status means for the run, whatever the vendor's spelling.
public enum OperationOutcome: Sendable, Hashable {
    /// Still working: poll again.
    case pending
    /// Done, with a result to fetch.
    case succeeded
    /// Done with a result, but the server reported problems (WebAdMIT `Success With Errors`).
    case succeededWithWarnings
    /// Done, with nothing to fetch (WebAdMIT `Empty List`).
    case succeededEmpty
    /// Ended without a result (`failed`, `Failed`).
    case failed
    /// Cancelled on the server (Workiva `cancelled`).
    case cancelled
    /// A status this build does not know; treated as pending, within the run's deadline.
    case unknown(String)

    /// Whether polling ends here.
    public var isTerminal: Bool {
        switch self {
        case .pending, .unknown: false
        default: true
        }
    }
}

/// Maps vendor status strings to ``OperationOutcome``.
public enum OperationStatus {
    /// Lower case with spaces and dashes as underscores: `"In Progress"` → `"in_progress"`.
    public static func normalise(_ status: String) -> String {
        status.trimmingSpaces().lowercased()
            .replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// Workiva's Operation `status`: `acknowledged`, `queued`, `started`, `completed`, `failed`, `cancelled`.
    public static func workiva(_ status: String) -> OperationOutcome {
        switch normalise(status) {
        case "acknowledged", "queued", "started": .pending
        case "completed": .succeeded
        case "failed": .failed
        case "cancelled", "canceled": .cancelled
        default: .unknown(status)
        }
    }

    /// WebAdMIT's export file `status`, in the current capitalised or the legacy snake_case spelling.
    public static func webAdmit(_ status: String) -> OperationOutcome {
        switch normalise(status) {
        case "initializing", "queued", "in_progress": .pending
        case "available": .succeeded
        case "success_with_errors": .succeededWithWarnings
        case "empty_list": .succeededEmpty
        case "failed": .failed
        default: .unknown(status)
        }
    }
}
