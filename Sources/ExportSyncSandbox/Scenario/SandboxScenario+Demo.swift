extension SandboxScenario {
    /// The built-in demo: one Workiva client, one WebAdMIT key, a few resources of every kind,
    /// timings slow enough to watch with curl, and a test form (`tf-audit-2026`) with 15
    /// attachments over two test phases, two matrices and all three levels, listed in pages of 3. `config/sandbox-demo.toml` is the same scenario
    /// as a file.
    public static var demo: SandboxScenario {
        // The audit test form's evidence: quick to export, so the demo's discovery job is brisk.
        let quick = OperationTimeline(polls: 1, seconds: 0, kickoffRetryAfter: 1, retryAfter: [1])
        return SandboxScenario(
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
                    WorkivaResource(id: "ev-plan-memo", kind: .attachment, name: "Planning memo", size: 6_000, timeline: quick),
                    WorkivaResource(id: "ev-plan-risk", kind: .attachment, name: "Risk assessment", size: 6_500, timeline: quick),
                    WorkivaResource(id: "ev-rev-walkthrough", kind: .attachment, name: "Revenue walkthrough", size: 7_000, timeline: quick),
                    WorkivaResource(id: "ev-rev-1a", kind: .attachment, name: "Invoice 1001", size: 7_500, timeline: quick),
                    WorkivaResource(id: "ev-rev-1b", kind: .attachment, name: "Delivery note 1001", size: 8_000, timeline: quick),
                    WorkivaResource(id: "ev-rev-2a", kind: .attachment, name: "Invoice 1002", size: 8_500, timeline: quick),
                    WorkivaResource(id: "ev-field-summary", kind: .attachment, name: "Fieldwork summary", size: 9_000, timeline: quick),
                    WorkivaResource(id: "ev-pay-walkthrough", kind: .attachment, name: "Payroll walkthrough", size: 9_500, timeline: quick),
                    WorkivaResource(id: "ev-pay-controls", kind: .attachment, name: "Payroll controls", size: 10_000, timeline: quick),
                    WorkivaResource(id: "ev-pay-1a", kind: .attachment, name: "Payslip March", size: 10_500, timeline: quick),
                    WorkivaResource(id: "ev-pay-1b", kind: .attachment, name: "Timesheet March", size: 11_000, timeline: quick),
                    WorkivaResource(id: "ev-pay-1c", kind: .attachment, name: "Bank transfer March", size: 11_500, timeline: quick),
                    WorkivaResource(id: "ev-pay-1d", kind: .attachment, name: "Approval March", size: 12_000, timeline: quick),
                    WorkivaResource(id: "ev-pay-2a", kind: .attachment, name: "Payslip April", size: 12_500, timeline: quick),
                    WorkivaResource(id: "ev-pay-3a", kind: .attachment, name: "Payslip May", size: 13_000, timeline: quick),
                    WorkivaResource(
                        id: "attachment-broken", kind: .attachment, name: "Broken evidence",
                        timeline: OperationTimeline(outcome: .failed, polls: 1)
                    ),
                ],
            testForms: [
                SandboxTestForm(id: "tf-audit-2026", name: "Audit 2026", testPhases: [
                    SandboxTestPhase(id: "tp-planning", name: "Planning", attachments: ["ev-plan-memo", "ev-plan-risk"], matrices: [
                        SandboxMatrix(id: "mx-revenue", name: "Revenue", attachments: ["ev-rev-walkthrough"], samples: [
                            SandboxSample(id: "s-rev-1", attachments: ["ev-rev-1a", "ev-rev-1b"]),
                            SandboxSample(id: "s-rev-2", attachments: ["ev-rev-2a"]),
                        ]),
                    ]),
                    SandboxTestPhase(id: "tp-fieldwork", name: "Fieldwork", attachments: ["ev-field-summary"], matrices: [
                        SandboxMatrix(id: "mx-payroll", name: "Payroll", attachments: ["ev-pay-walkthrough", "ev-pay-controls"], samples: [
                            SandboxSample(id: "s-pay-1", attachments: ["ev-pay-1a", "ev-pay-1b", "ev-pay-1c", "ev-pay-1d"]),
                            SandboxSample(id: "s-pay-2", attachments: ["ev-pay-2a"]),
                            SandboxSample(id: "s-pay-3", attachments: ["ev-pay-3a"]),
                        ]),
                    ]),
                ]),
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
