import ExportSyncSandbox

/// Sandbox scenarios with short timings, built from the demo scenario (whose credentials are the
/// secrets in ``DaemonProcess/demoSecrets``).
enum DaemonScenario {
    /// The demo resources; every operation completes on its first poll, without waiting, and no
    /// rate limit gets in the way.
    static func instant() -> SandboxScenario {
        var scenario = SandboxScenario.demo
        scenario.workiva.pollsPerSecond = 0
        scenario.workiva.requestsPerSecond = 0
        scenario.workiva.defaultTimeline = OperationTimeline(polls: 0, seconds: 0, kickoffRetryAfter: 0, retryAfter: [0])
        scenario.webadmit.defaultTimeline = ExportFileTimeline(outcome: .available, polls: 0, seconds: 0)
        return scenario
    }

    /// `instant()`, except that operations on Workiva resource `id` follow `timeline`.
    static func instant(except id: String, timeline: OperationTimeline) -> SandboxScenario {
        var scenario = instant()
        if let index = scenario.workiva.resources.firstIndex(where: { $0.id == id }) {
            scenario.workiva.resources[index].timeline = timeline
        }
        return scenario
    }
}
