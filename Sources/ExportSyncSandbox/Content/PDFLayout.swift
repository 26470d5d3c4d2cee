/// A minimal one-page PDF (catalog, pages, page, content stream, font) followed by an
/// unreferenced padding stream that brings the file to the requested size, then a correct
/// cross-reference table whose offsets the tests verify.
enum PDFLayout {
    static func segments(title: String, seed: UInt64, targetSize: Int) -> [ContentSegment] {
        let text = "BT /F1 18 Tf 72 720 Td (Sandbox export: \(title)) Tj ET\n"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(text.utf8.count) >>\nstream\n\(text)endstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var head: [UInt8] = Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(head.count)
            head += Array("\(index + 1) 0 obj\n\(object)\nendobj\n".utf8)
        }
        offsets.append(head.count)
        let paddingObjectStart = "6 0 obj\n<< /Length "
        let paddingObjectEnd = " >>\nstream\n"
        let afterPadding = Array("\nendstream\nendobj\n".utf8)

        func tail(xrefOffset: Int) -> [UInt8] {
            var xref = "xref\n0 7\n0000000000 65535 f \n"
            for offset in offsets { xref += pad(offset, width: 10) + " 00000 n \n" }
            xref += "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n\(xrefOffset)\n%%EOF\n"
            return Array(xref.utf8)
        }
        // Everything but the padding and the startxref digits has a fixed length (the padding
        // length is written with 12 zero-padded digits), so solve for the padding length.
        let fixed = head.count + paddingObjectStart.utf8.count + 12 + paddingObjectEnd.utf8.count + afterPadding.count
        let tailWithoutDigits = tail(xrefOffset: 0).count - 1
        var solved: Int?
        var fallback = 0
        for digits in 1...18 {
            let candidate = targetSize - fixed - tailWithoutDigits - digits
            guard candidate >= 0 else { continue }
            if String(fixed + candidate).count == digits {
                solved = candidate
                break
            }
            // At a digit-count boundary no length fits exactly; be one byte off.
            fallback = max(fallback, candidate - 1)
        }
        let paddingLength = solved ?? fallback
        let xrefOffset = fixed + paddingLength
        let objectHead = Array((paddingObjectStart + pad(paddingLength, width: 12) + paddingObjectEnd).utf8)
        return [
            .literal(head + objectHead),
            .filler(seed: seed, length: paddingLength),
            .literal(afterPadding + tail(xrefOffset: xrefOffset)),
        ]
    }

    private static func pad(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
