/// `[[jobs]]` tables against the demo scenario's resources, with the paths their files land at.
enum DaemonJobs {
    /// Sample attachment `attachment-1` as PDF → `workiva/tf-1/sm-1/attachment-1.pdf`.
    static func evidencePDF(name: String = "evidence-pdf", every: String = "6h") -> String {
        """
        [[jobs]]
        name = "\(name)"
        source = "workiva"
        kind = "sample-attachment-export"
        test_form = "tf-1"
        test_phase = "tp-1"
        matrix = "mx-1"
        sample = "sm-1"
        attachment = "attachment-1"
        every = "\(every)"
        output = "workiva/{test_form}/{sample}/{attachment}.pdf"

        """
    }

    static let evidencePDFPath = "workiva/tf-1/sm-1/attachment-1.pdf"

    /// Document `document-1` as PDF → `workiva/documents/document-1.pdf`.
    static func boardMemoPDF(every: String = "1d") -> String {
        """
        [[jobs]]
        name = "board-memo-pdf"
        source = "workiva"
        kind = "document-export"
        flavour = "platform-v1"
        document = "document-1"
        format = "pdf"
        every = "\(every)"
        output = "workiva/documents/{document}.pdf"

        """
    }

    static let boardMemoPDFPath = "workiva/documents/document-1.pdf"

    /// Spreadsheet `spreadsheet-1`, every sheet as CSV (a ZIP) → `workiva/sheets/spreadsheet-1.zip`.
    static let trialBalanceCSV = """
        [[jobs]]
        name = "trial-balance-csv"
        source = "workiva"
        kind = "spreadsheet-export"
        spreadsheet = "spreadsheet-1"
        format = "csv"
        every = "1d"
        output = "workiva/sheets/{spreadsheet}.{ext}"

        """

    static let trialBalanceCSVPath = "workiva/sheets/spreadsheet-1.zip"

    /// File `file-1` (a Document) as PDF → `workiva/files/file-1.pdf`.
    static let annualReportFile = """
        [[jobs]]
        name = "annual-report-file"
        source = "workiva"
        kind = "file-export"
        file = "file-1"
        file_kind = "Document"
        format = "pdf"
        every = "1d"
        output = "workiva/files/{file}.{ext}"

        """

    static let annualReportFilePath = "workiva/files/file-1.pdf"

    /// WebAdMIT export 86446 → `webadmit/<today>/Nightly-Banner-Export.csv`.
    static let nightlyApplicantsCSV = """
        [[jobs]]
        name = "nightly-applicants-csv"
        source = "admissions"
        kind = "webadmit-export"
        export = 86446
        every = "1d"
        output = "webadmit/{date}/{filename}"

        """
}
