import ExportSyncCore
import Foundation
import Testing

/// Output templates of two jobs and whether they may name the same file.
struct OverlapCase: Sendable, CustomTestStringConvertible {
    var first: String
    var firstValues: [String: String]
    var second: String
    var secondValues: [String: String]
    var overlaps: Bool

    var testDescription: String { "\(first) \(firstValues) vs \(second) \(secondValues): \(overlaps)" }

    static let identifiers = ["test_form", "test_phase", "matrix", "sample", "attachment", "format"]

    func patterns() throws -> (OutputPattern, OutputPattern) {
        (OutputPattern(template: try PathTemplate(first, extraPlaceholders: Self.identifiers), fixedValues: firstValues),
         OutputPattern(template: try PathTemplate(second, extraPlaceholders: Self.identifiers), fixedValues: secondValues))
    }
}

@Suite("Output patterns: which two jobs can write the same file")
struct OutputPatternTests {
    static let a1: [String: String] = ["job": "j1", "attachment": "a1", "test_form": "tf"]
    static let a2: [String: String] = ["job": "j2", "attachment": "a2", "test_form": "tf"]

    static let cases: [OverlapCase] = [
        // Fixed values are literals.
        OverlapCase(first: "out/{attachment}.pdf", firstValues: a1, second: "out/a1.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "out/{attachment}.pdf", firstValues: a1, second: "out/{attachment}.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "out/{attachment}.pdf", firstValues: a1, second: "out/{attachment}.pdf", secondValues: a1, overlaps: true),
        OverlapCase(first: "{job}/{filename}", firstValues: a1, second: "{job}/{filename}", secondValues: a2, overlaps: false),
        OverlapCase(first: "{job}/{filename}", firstValues: a1, second: "j1/{filename}", secondValues: a2, overlaps: true),
        // A value the job leaves unset resolves to "_"; values are sanitised as resolve() does.
        OverlapCase(first: "{sample}/x.pdf", firstValues: a1, second: "_/x.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "{attachment}.pdf", firstValues: ["attachment": "a/b"], second: "a_b.pdf", secondValues: [:], overlaps: true),
        // Run-dependent placeholders match what they can produce.
        OverlapCase(first: "daily/a-{date}.pdf", firstValues: a1, second: "daily/b-{date}.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "daily/{date}.pdf", firstValues: a1, second: "daily/{date}.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "reports/{date}.pdf", firstValues: a1, second: "reports/{filename}", secondValues: a2, overlaps: true),
        OverlapCase(first: "reports/{date}.pdf", firstValues: a1, second: "reports/2026-03-01.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "reports/{date}.pdf", firstValues: a1, second: "reports/2026-3-1.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "reports/{date}.pdf", firstValues: a1, second: "reports/{run}.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "reports/{date}.pdf", firstValues: a1, second: "reports/{datetime}.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "s/{date}T{time}.pdf", firstValues: a1, second: "s/{datetime}.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "s/{date}T{time}Z.pdf", firstValues: a1, second: "s/2026-03-01T060000Z.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "a/{attachment}.{ext}", firstValues: a1, second: "a/a1.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "a/{ext}", firstValues: a1, second: "a/{filename}", secondValues: a2, overlaps: true),
        // A wildcard never holds "/": different depths never meet.
        OverlapCase(first: "deep/{filename}", firstValues: a1, second: "deep/x/{filename}", secondValues: a2, overlaps: false),
        OverlapCase(first: "deep/{filename}", firstValues: a1, second: "deep/x", secondValues: a2, overlaps: true),
        // A wildcard is never empty.
        OverlapCase(first: "x{filename}.pdf", firstValues: a1, second: "x.pdf", secondValues: a2, overlaps: false),
        // Run ids are unique across jobs: where the id can be read back from the name, one
        // template serves several jobs; where it cannot, the names may meet.
        OverlapCase(first: "runs/{run}.pdf", firstValues: a1, second: "runs/{run}.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "runs/r{run}", firstValues: a1, second: "runs/r{run}", secondValues: a2, overlaps: false),
        OverlapCase(first: "runs/{date}-{run}.pdf", firstValues: a1, second: "runs/{date}-{run}.pdf", secondValues: a2, overlaps: false),
        OverlapCase(first: "runs/{run}-{date}", firstValues: a1, second: "runs/{run}-{date}", secondValues: a2, overlaps: false),
        OverlapCase(first: "runs/x{run}.pdf", firstValues: a1, second: "runs/x1{run}.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "runs/{filename}{run}.pdf", firstValues: a1, second: "runs/{filename}{run}.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "runs/{run}.pdf", firstValues: a1, second: "runs/7.pdf", secondValues: a2, overlaps: true),
        OverlapCase(first: "runs/{run}{run}.pdf", firstValues: a1, second: "runs/{run}.pdf", secondValues: a2, overlaps: true),
    ]

    @Test("two templates overlap exactly when some resolution of each can be equal", arguments: cases)
    func overlap(_ item: OverlapCase) throws {
        let (first, second) = try item.patterns()
        #expect(first.canOverlap(second) == item.overlaps)
        #expect(second.canOverlap(first) == item.overlaps, "the relation is symmetric")
    }

    /// The check must be sound: whenever real resolutions of two templates are equal, it says
    /// they overlap. Tried over every pair of templates and a spread of run values (each job
    /// with its own run ids).
    @Test("whenever two resolutions are equal, the patterns overlap")
    func soundAgainstResolve() throws {
        let templates = ["out/{date}.pdf", "out/{filename}", "out/{run}.pdf", "out/{filename}.{ext}", "out/2026-03-01.pdf",
                         "out/{attachment}.pdf", "out/a1.pdf", "out/{run}-{date}.pdf", "out/1-2026-03-01.pdf", "out/{date}{run}.pdf",
                         "out/{datetime}.pdf", "out/{date}T{time}Z.pdf", "out/{job}.pdf", "out/j1.pdf", "out/x{run}.pdf", "out/x1{run}.pdf"]
        let fileNames = ["2026-03-01.pdf", "a1.pdf", "1-2026-03-01.pdf", "x.pdf", "j1.pdf", "20260301T060000Z.pdf", "x12.pdf"]
        func resolutions(_ text: String, job: String, runs: [Int64]) throws -> Set<String> {
            let template = try PathTemplate(text, extraPlaceholders: OverlapCase.identifiers)
            var names: Set<String> = []
            for run in runs {
                for fileName in fileNames {
                    var values: [String: String] = ["job": job, "attachment": "a1", "run": String(run), "filename": fileName,
                                                    "date": "2026-03-01", "time": "060000", "datetime": "20260301T060000Z"]
                    values["ext"] = OutputNaming.fileExtension(fileName: fileName, contentType: nil, fallback: "pdf")
                    names.insert(template.resolve(values))
                }
            }
            return names
        }
        var meetings = 0
        for first in templates {
            for second in templates {
                let left = try resolutions(first, job: "j1", runs: [1, 12, 2026])
                let right = try resolutions(second, job: "j2", runs: [2, 3, 1226])
                let (a, b) = try OverlapCase(first: first, firstValues: ["job": "j1", "attachment": "a1"],
                                             second: second, secondValues: ["job": "j2", "attachment": "a1"], overlaps: true).patterns()
                if !left.isDisjoint(with: right) {
                    meetings += 1
                    #expect(a.canOverlap(b), "\(first) and \(second) both resolve to \(left.intersection(right).sorted())")
                }
            }
        }
        #expect(meetings > 20, "the sample values make many pairs meet")
    }

    @Test("a name the daemon may shorten to fit matches any name")
    func shortenedNames() throws {
        let first = try PathTemplate("{filename}{filename}-a.pdf")
        let second = try PathTemplate("{filename}{filename}-b.pdf")
        let long = String(repeating: "n", count: 150)
        #expect(first.resolve(["filename": long]) == second.resolve(["filename": long]), "both lose their distinguishing letter")
        #expect(OutputPattern(template: first, fixedValues: [:]).canOverlap(OutputPattern(template: second, fixedValues: [:])))
        let short = try PathTemplate("{filename}-b.pdf")
        #expect(!OutputPattern(template: try PathTemplate("{filename}-a.pdf"), fixedValues: [:])
            .canOverlap(OutputPattern(template: short, fixedValues: [:])), "names that always fit keep their literals")
    }

    @Test("a value that completes the temp-file marker is matched as the name it is rewritten to")
    func markerRewrite() throws {
        let marker = PathTemplate.temporaryFileMarker
        let dash = try #require(marker.firstIndex(of: "-"))
        let head = String(marker[..<dash])
        let tail = String(marker[marker.index(after: dash)...])
        let completed = try PathTemplate(head + "-{filename}")
        let rewritten = completed.resolve(["filename": tail + ".pdf"])
        #expect(rewritten != marker + ".pdf", "resolve rewrote the marker: \(rewritten)")
        let literal = try PathTemplate(rewritten)
        #expect(OutputPattern(template: completed, fixedValues: [:]).canOverlap(OutputPattern(template: literal, fixedValues: [:])))
        #expect(!OutputPattern(template: try PathTemplate("other-{filename}"), fixedValues: [:])
            .canOverlap(OutputPattern(template: literal, fixedValues: [:])))
    }

    @Test("the description shows fixed values filled in and run-dependent placeholders kept")
    func description() throws {
        let template = try PathTemplate("forms/{test_form}/{sample}/{attachment}-{date}.{ext}", extraPlaceholders: OverlapCase.identifiers)
        #expect(OutputPattern(template: template, fixedValues: ["test_form": "../tf", "attachment": "a1"]).description
            == "forms/_tf/_/a1-{date}.{ext}")
    }

    @Test("the run-dependent placeholders are exactly what a run adds to the job's fixed values")
    func runDependentMatchesTemplateValues() throws {
        let job = JobSpec(name: "j1", source: "wk", kind: .sampleAttachmentExport,
                          payload: .sampleAttachmentExport(flavour: .v2026, locator: SampleLocator(testForm: "tf", testPhase: "tp", matrix: nil, sample: nil), attachment: "a1"),
                          schedule: Schedule(everySeconds: 3_600), output: try PathTemplate("{job}/{attachment}.pdf", extraPlaceholders: OverlapCase.identifiers),
                          deadlineSeconds: 3_600, templateValues: ["test_form": "tf", "test_phase": "tp", "attachment": "a1", "format": "pdf"], fingerprint: "f")
        let fixed = OutputNaming.fixedTemplateValues(job: job)
        let all = OutputNaming.templateValues(job: job, runID: 7, scheduledFor: Date(timeIntervalSince1970: 0), serverFileName: nil, contentType: nil)
        #expect(Set(all.keys).subtracting(fixed.keys) == OutputNaming.runDependentPlaceholders)
        #expect(fixed.allSatisfy { all[$0.key] == $0.value })
        let pattern = try #require(OutputPattern(job: job))
        #expect(pattern.description == "j1/a1.pdf")
    }

    @Test("the index finds exactly the earliest overlapping pattern a full comparison finds (seeded random templates)")
    func indexAgreesWithFullComparison() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["EXPORTSYNC_INDEX_SEED"] ?? "") ?? 20261203
        print("output pattern index: seed \(seed) (EXPORTSYNC_INDEX_SEED=N picks another)")
        var random = SeededRandomNumberGenerator(seed: seed)
        let pieces = ["out", "daily", "{job}", "{attachment}", "{date}", "{run}", "x-{run}.pdf", "{date}.pdf", "{filename}", "a1.pdf", "j1", "_"]
        var index = OutputPatternIndex()
        var all: [OutputPattern] = []
        var overlaps = 0
        for number in 0..<400 {
            let depth = Int.random(in: 1...3, using: &random)
            let text = (0..<depth).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &random)] }.joined(separator: "/")
            let values = ["job": "j\(Int.random(in: 0..<6, using: &random))", "attachment": "a\(Int.random(in: 0..<4, using: &random))"]
            let pattern = OutputPattern(template: try PathTemplate(text, extraPlaceholders: OverlapCase.identifiers), fixedValues: values)
            let expected = all.firstIndex { $0.canOverlap(pattern) }
            #expect(index.firstOverlap(with: pattern) == expected, "pattern \(number) \(pattern), seed \(seed)")
            if expected != nil { overlaps += 1 }
            index.insert(pattern)
            all.append(pattern)
        }
        #expect(overlaps > 20 && overlaps < 380, "the sample holds both outcomes (\(overlaps) of 400 overlap)")
        #expect(index.count == 400)
    }
}
