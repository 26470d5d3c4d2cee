/// One piece of a generated file: fixed bytes, or bytes computed on demand from a seed.
enum ContentSegment: Sendable, Hashable {
    /// Bytes given verbatim.
    case literal([UInt8])
    /// `length` printable filler bytes: 63 characters and a newline per 64-byte line.
    case filler(seed: UInt64, length: Int)
    /// `count` rows of a Latin-1 CSV table.
    case csvRows(LatinCSVTable, count: Int)

    var length: Int {
        switch self {
        case .literal(let bytes): bytes.count
        case .filler(_, let length): length
        case .csvRows(_, let count): count * LatinCSVTable.rowLength
        }
    }

    /// The 4 KiB block the filler of `seed` repeats.
    static func fillerBlock(seed: UInt64) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ".utf8)
        var block = [UInt8](repeating: 0, count: 4096)
        var state = seed
        for index in 0..<block.count {
            if index % 64 == 63 {
                block[index] = 0x0A
                continue
            }
            state = StableRandom.mix(state)
            block[index] = alphabet[Int(state % UInt64(alphabet.count))]
        }
        return block
    }
}

/// Reads a sequence of segments front to back into caller-provided buffers, without ever
/// holding more than one 4 KiB filler block and one CSV row.
struct ContentStream {
    private let segments: [ContentSegment]
    private var segmentIndex = 0
    private var offset = 0
    private var fillerBlock: [UInt8] = []
    private var fillerSeed: UInt64?
    private var row = [UInt8](repeating: 0, count: LatinCSVTable.rowLength)

    init(segments: [ContentSegment]) {
        self.segments = segments
    }

    /// Fills `buffer` from the current position; returns the number of bytes written, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var written = 0
        while written < buffer.count, segmentIndex < segments.count {
            let segment = segments[segmentIndex]
            let available = segment.length - offset
            if available <= 0 {
                segmentIndex += 1
                offset = 0
                continue
            }
            let count = min(available, buffer.count - written)
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[written..<(written + count)])
            copy(segment, from: offset, into: target)
            offset += count
            written += count
        }
        return written
    }

    private mutating func copy(_ segment: ContentSegment, from start: Int, into target: UnsafeMutableRawBufferPointer) {
        switch segment {
        case .literal(let bytes):
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + target.count)]))
            }
        case .filler(let seed, _):
            if fillerSeed != seed {
                fillerBlock = ContentSegment.fillerBlock(seed: seed)
                fillerSeed = seed
            }
            var done = 0
            fillerBlock.withUnsafeBytes { block in
                while done < target.count {
                    let position = (start + done) % block.count
                    let count = min(block.count - position, target.count - done)
                    UnsafeMutableRawBufferPointer(rebasing: target[done..<(done + count)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: block[position..<(position + count)]))
                    done += count
                }
            }
        case .csvRows(let table, _):
            let rowLength = LatinCSVTable.rowLength
            var done = 0
            while done < target.count {
                let position = start + done
                let rowIndex = position / rowLength
                let inRow = position % rowLength
                let count = min(rowLength - inRow, target.count - done)
                if inRow == 0 && count == rowLength {
                    table.writeRow(rowIndex, into: UnsafeMutableRawBufferPointer(rebasing: target[done..<(done + count)]))
                } else {
                    row.withUnsafeMutableBytes { scratch in
                        table.writeRow(rowIndex, into: scratch)
                        UnsafeMutableRawBufferPointer(rebasing: target[done..<(done + count)])
                            .copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[inRow..<(inRow + count)]))
                    }
                }
                done += count
            }
        }
    }
}
