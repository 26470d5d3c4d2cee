import ExportSyncSandbox
import Foundation
import Testing

/// The shared test scenario plus samples accepting uploads: `sm-up` (completes after one poll)
/// and `sm-reject` (its upload operations fail), with extra `[workiva]` keys.
func uploadScenario(workivaKeys: String = "", faults: String = "") -> String {
    let resources = """
        [[workiva.resources]]
        id = "sm-up"
        kind = "sample"

        [[workiva.resources]]
        id = "sm-reject"
        kind = "sample"
        timeline = { outcome = "failed", polls = 1, seconds = 0, kickoffRetryAfter = 1, retryAfter = [1], failureDetails = [{ code = "VirusDetected", message = "The attachment was rejected by the scanner", target = "file" }] }

        """
    return testScenario(faults: faults, extraResources: resources)
        .replacingOccurrences(of: "downloadMode = \"redirect\"\n", with: "downloadMode = \"redirect\"\n\(workivaKeys)\n")
}

/// An upload job for `sample` reading `inbox`.
func uploadJob(_ name: String, inbox: URL, sample: String = "sm-up", extra: String = "") -> String {
    """
    [[jobs]]
    name = "\(name)"
    source = "workiva"
    kind = "sample-attachment-upload"
    test_form = "tf"
    test_phase = "tp"
    matrix = "mx"
    sample = "\(sample)"
    inbox = "\(inbox.path)"
    settle = "2s"
    every = "1s"
    deadline = "2m"
    \(extra)

    """
}

/// Inbox helpers for upload tests.
extension SandboxHarness {
    var inbox: URL { directory.appendingPathComponent("inbox") }

    /// Writes `bytes` as `name` in the inbox; `settled` dates its mtime a minute back.
    @discardableResult
    func drop(_ name: String, _ bytes: [UInt8], settled: Bool = true) throws -> String {
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let url = inbox.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        if settled { try backdate(name) }
        return SHA256Hex.of(Data(bytes))
    }

    func backdate(_ name: String) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)],
                                              ofItemAtPath: inbox.appendingPathComponent(name).path)
    }

    /// Names in the inbox itself, in `done/`, in `failed/`.
    func inboxNames(_ subfolder: String? = nil) -> Set<String> {
        let url = subfolder.map { inbox.appendingPathComponent($0) } ?? inbox
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return Set(names.filter { subfolder != nil || ($0 != "done" && $0 != "failed") })
    }

    func failedReport(_ name: String) -> String {
        (try? String(contentsOf: inbox.appendingPathComponent("failed/\(name).error.txt"), encoding: .utf8)) ?? ""
    }
}

/// Deterministic bytes for a test file.
func testBytes(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ ($0 >> 8)) }
}
