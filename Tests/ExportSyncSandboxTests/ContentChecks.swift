import Foundation
import Testing

struct ContentCheckFailure: Error, CustomStringConvertible {
    let description: String
}

/// Independent structural checks of a PDF: header, trailer, and that every xref offset points
/// at the object it names.
enum PDFCheck {
    static func validate(_ bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        guard bytes.starts(with: Array("%PDF-1.".utf8)) else { throw ContentCheckFailure(description: "no %PDF header") }
        guard text.hasSuffix("%%EOF\n") else { throw ContentCheckFailure(description: "no %%EOF") }
        guard let marker = text.range(of: "startxref\n", options: .backwards) else {
            throw ContentCheckFailure(description: "no startxref")
        }
        let offsetText = text[marker.upperBound...].prefix { $0.isNumber }
        guard let xrefOffset = Int(offsetText), xrefOffset < bytes.count,
            bytes[xrefOffset...].starts(with: Array("xref\n".utf8))
        else { throw ContentCheckFailure(description: "startxref does not point at xref") }
        let xref = String(decoding: bytes[xrefOffset...], as: UTF8.self).split(separator: "\n")
        let header = xref[1].split(separator: " ")
        guard header.count == 2, let count = Int(header[1]) else { throw ContentCheckFailure(description: "bad xref header") }
        for object in 1..<count {
            let entry = xref[2 + object]
            guard entry.hasSuffix(" n "), let offset = Int(entry.prefix(10)), offset < bytes.count,
                bytes[offset...].starts(with: Array("\(object) 0 obj".utf8))
            else { throw ContentCheckFailure(description: "xref entry \(object) is wrong: \(entry)") }
        }
    }
}

/// Independent reading of a stored ZIP: local headers, data, CRC-32 (bitwise, not the
/// sandbox's table implementation) and the end-of-central-directory record.
enum ZIPCheck {
    struct Entry {
        let name: String
        let data: [UInt8]
    }

    static func entries(_ bytes: [UInt8]) throws -> [Entry] {
        func le16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func le32(_ at: Int) -> Int { le16(at) | le16(at + 2) << 16 }
        var entries: [Entry] = []
        var offset = 0
        while offset + 30 <= bytes.count, le32(offset) == 0x0403_4B50 {
            guard le16(offset + 8) == 0 else { throw ContentCheckFailure(description: "not stored") }
            let crc = UInt32(le32(offset + 14))
            let size = le32(offset + 18)
            let nameLength = le16(offset + 26)
            let extraLength = le16(offset + 28)
            let nameStart = offset + 30
            let dataStart = nameStart + nameLength + extraLength
            guard dataStart + size <= bytes.count else { throw ContentCheckFailure(description: "entry overruns archive") }
            let data = Array(bytes[dataStart..<(dataStart + size)])
            guard crc32(data) == crc else { throw ContentCheckFailure(description: "CRC mismatch") }
            entries.append(Entry(name: String(decoding: bytes[nameStart..<(nameStart + nameLength)], as: UTF8.self), data: data))
            offset = dataStart + size
        }
        guard bytes.count >= 22, le32(bytes.count - 22) == 0x0605_4B50 else {
            throw ContentCheckFailure(description: "no end of central directory")
        }
        guard le16(bytes.count - 12) == entries.count, le32(bytes.count - 6) == offset else {
            throw ContentCheckFailure(description: "central directory does not match the entries")
        }
        return entries
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
