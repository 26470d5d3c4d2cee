extension SandboxScenario {
    /// The built-in demo: one Workiva client, one WebAdMIT key, a few resources of every kind,
    /// timings slow enough to watch with curl. `config/sandbox-demo.toml` is the same scenario
    /// as a file.
    public static var demo: SandboxScenario {
        SandboxScenario(
            workiva: WorkivaScenario(
                clients: [WorkivaClient(clientId: "demo-client", clientSecret: "demo-secret")],
                defaultTimeline: OperationTimeline(polls: 2, seconds: 3, kickoffRetryAfter: 2, retryAfter: [2, 1]),
                resources: [
                    WorkivaResource(id: "attachment-1", kind: .attachment, name: "Sample evidence", size: 48_000),
                    WorkivaResource(id: "file-1", kind: .file, name: "Annual report", size: 200_000),
                    WorkivaResource(id: "document-1", kind: .document, name: "Board memo", size: 64_000),
                    WorkivaResource(id: "spreadsheet-1", kind: .spreadsheet, name: "Trial balance", size: 90_000, sheets: 3),
                    WorkivaResource(id: "presentation-1", kind: .presentation, name: "Quarterly deck"),
                    WorkivaResource(id: "sample-1", kind: .sample),
                    WorkivaResource(
                        id: "attachment-broken", kind: .attachment, name: "Broken evidence",
                        timeline: OperationTimeline(outcome: .failed, polls: 1)
                    ),
                ]
            ),
            webadmit: WebAdmitScenario(
                apiKeys: [WebAdmitAPIKey(key: "demo-api-key")],
                identities: [WebAdmitIdentity(id: 1001)],
                exports: [
                    WebAdmitExport(id: 86446, identityId: 1001, name: "Nightly Banner Export", size: 120_000),
                    WebAdmitExport(
                        id: 86447, identityId: 1001, name: "Program Documents", format: .csvMultipleFiles,
                        size: 60_000, files: 2
                    ),
                    WebAdmitExport(
                        id: 86448, identityId: 1001, name: "Empty Clipboard", listType: "clipboard",
                        timeline: ExportFileTimeline(outcome: .emptyList, polls: 1)
                    ),
                ],
                defaultTimeline: ExportFileTimeline(outcome: .available, polls: 2, seconds: 3)
            )
        )
    }
}
