import Foundation

/// One run of a WebAdMIT export template (an "export file").
struct ExportFileRun: Sendable {
    enum Status: Sendable, Equatable {
        case initializing, queued, inProgress
        case finished(ExportFileTimeline.Outcome)

        var isTerminal: Bool {
            if case .finished = self { return true }
            return false
        }

        var rank: Int {
            switch self {
            case .initializing: 0
            case .queued: 1
            case .inProgress: 2
            case .finished: 3
            }
        }

        /// The wire spelling: current capitalised, or the pre-2018 snake_case.
        func text(legacy: Bool) -> String {
            let capitalised: String
            switch self {
            case .initializing: capitalised = "Initializing"
            case .queued: capitalised = "Queued"
            case .inProgress: capitalised = "In Progress"
            case .finished(let outcome): capitalised = outcome.rawValue
            }
            return legacy ? capitalised.lowercased().replacingOccurrences(of: " ", with: "_") : capitalised
        }

        /// Whether a file can be downloaded in this status.
        var hasFile: Bool {
            self == .finished(.available) || self == .finished(.successWithErrors)
        }
    }

    let id: Int
    let exportId: Int
    let identityId: Int
    let timeline: ExportFileTimeline
    let created: Date
    let callback: String?
    let content: SandboxContent
    var status: Status = .initializing
    var statusCalls = 0

    var href: String { "/api/v1/exports/\(exportId)/export_files/\(id)" }

    /// Advances the run as seen at `now`; callback runs progress on time alone.
    mutating func advance(now: Date) {
        guard !status.isTerminal else { return }
        let elapsed = now.timeIntervalSince(created)
        let requiredPolls = callback == nil ? timeline.polls : 0
        if statusCalls > requiredPolls && elapsed >= timeline.seconds || callback != nil && elapsed >= timeline.seconds {
            status = .finished(timeline.outcome)
            return
        }
        let pollProgress = requiredPolls == 0 ? 1 : Double(max(0, statusCalls - 1)) / Double(requiredPolls)
        let timeProgress = timeline.seconds <= 0 ? 1 : elapsed / timeline.seconds
        let progress = min(pollProgress, timeProgress)
        let next: Status = progress < 1.0 / 3 ? .initializing : progress < 2.0 / 3 ? .queued : .inProgress
        if next.rank > status.rank { status = next }
    }
}
