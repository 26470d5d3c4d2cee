/// A ZIP archive with stored (uncompressed) entries and no data descriptors: sizes and CRC-32s
/// are in the local headers, so every reader (including streaming ones) accepts it.
enum ZIPLayout {
    struct Entry {
        let name: String
        let segments: [ContentSegment]
    }

    /// 2026-01-01 00:00 in MS-DOS format.
    private static let dosTime: UInt16 = 0
    private static let dosDate: UInt16 = UInt16((2026 - 1980) << 9 | 1 << 5 | 1)

    static func segments(entries: [Entry]) -> [ContentSegment] {
        var result: [ContentSegment] = []
        var central: [UInt8] = []
        var offset = 0
        for entry in entries {
            let size = entry.segments.reduce(0) { $0 + $1.length }
            let crc = checksum(entry.segments)
            let name = Array(entry.name.utf8)
            var local: [UInt8] = []
            local.append(le32: 0x0403_4B50)
            local.append(le16: 10)  // version needed: 1.0 (stored)
            local.append(le16: 0)  // flags
            local.append(le16: 0)  // method: stored
            local.append(le16: dosTime)
            local.append(le16: dosDate)
            local.append(le32: crc)
            local.append(le32: UInt32(truncatingIfNeeded: size))
            local.append(le32: UInt32(truncatingIfNeeded: size))
            local.append(le16: UInt16(name.count))
            local.append(le16: 0)
            local += name
            result.append(.literal(local))
            result += entry.segments

            central.append(le32: 0x0201_4B50)
            central.append(le16: 20)  // made by: MS-DOS, 2.0
            central.append(le16: 10)
            central.append(le16: 0)
            central.append(le16: 0)
            central.append(le16: dosTime)
            central.append(le16: dosDate)
            central.append(le32: crc)
            central.append(le32: UInt32(truncatingIfNeeded: size))
            central.append(le32: UInt32(truncatingIfNeeded: size))
            central.append(le16: UInt16(name.count))
            central.append(le16: 0)  // extra
            central.append(le16: 0)  // comment
            central.append(le16: 0)  // disk
            central.append(le16: 0)  // internal attributes
            central.append(le32: 0)  // external attributes
            central.append(le32: UInt32(truncatingIfNeeded: offset))
            central += name
            offset += local.count + size
        }
        var end: [UInt8] = []
        end.append(le32: 0x0605_4B50)
        end.append(le16: 0)
        end.append(le16: 0)
        end.append(le16: UInt16(entries.count))
        end.append(le16: UInt16(entries.count))
        end.append(le32: UInt32(truncatingIfNeeded: central.count))
        end.append(le32: UInt32(truncatingIfNeeded: offset))
        end.append(le16: 0)
        result.append(.literal(central + end))
        return result
    }

    private static func checksum(_ segments: [ContentSegment]) -> UInt32 {
        var crc = CRC32()
        var stream = ContentStream(segments: segments)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { stream.read(into: $0) }
            if count == 0 { break }
            buffer.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return crc.value
    }
}

extension [UInt8] {
    mutating func append(le16 value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func append(le32 value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
