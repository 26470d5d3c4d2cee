import ExportSyncCore
import Foundation
import Testing

@Suite("Trimming spaces without Foundation")
struct TrimmingSpacesTests {
    @Test("trimmingSpaces() answers what trimmingCharacters(in: .whitespaces) answers", arguments: [
        "", " ", "\t", "  completed  ", "\tpdf\t", " a b ", "\u{00A0}nbsp\u{3000}", "\u{2009}thin\u{2009}",
        "line\n", "\nline", " \r\n x \r\n ", "Ünïcödé ", "🙂 ", " 🙂🙂 ", "e\u{301} ", " \u{301}x",
        "x\u{200B}", "\u{FEFF}bom", "attachment; filename=\"a b.pdf\"",
    ])
    func matchesFoundation(_ text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(Substring(text).trimmingSpaces() == Substring(text).trimmingCharacters(in: .whitespaces))
    }

    @Test("the scalars trimmed are exactly CharacterSet.whitespaces, over every Unicode scalar")
    func sameSetAsFoundation() {
        let differing = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter { scalar in
            let text = "\(Character(scalar))x"
            return (text.trimmingSpaces() == "x") != CharacterSet.whitespaces.contains(scalar)
        }
        #expect(differing.isEmpty, "differ: \(differing.prefix(10).map { String($0.value, radix: 16) })")
    }
}
