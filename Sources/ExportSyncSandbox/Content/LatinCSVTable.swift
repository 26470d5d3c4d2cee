/// Fixed-width CSV rows in ISO-8859-1, with non-ASCII Latin-1 letters (é, ü, ñ, ø, …) as
/// WebAdMIT exports contain them. Every row has the same length, so a size maps to a row count
/// and any byte offset to a row without generating what precedes it.
struct LatinCSVTable: Sendable, Hashable {
    let seed: UInt64

    static let header: [UInt8] = Array("\"cas_id\",\"full_name\",\"city\",\"submitted\",\"decision\"\r\n".utf8)

    private static let names = latin1Column(
        ["Zoë Müller", "José Núñez", "François Dubé", "Åsa Öberg", "Renée Lefèvre", "Søren Ærø", "Íñigo Ibáñez", "Chloé Rivière"],
        width: 16)
    private static let cities = latin1Column(
        ["Montréal", "Zürich", "São Paulo", "Reykjavík", "Málaga", "Köln", "Genève", "Tromsø"], width: 10)
    private static let month = Array("2026-01-".utf8)
    private static let decisions = latin1Column(["Accepté", "Refusé", "En attente", "Admis"], width: 10)

    /// `0000000001,"name",\"city\",2026-01-dd,"decision"\r\n`
    static let rowLength = 10 + 1 + (16 + 2) + 1 + (10 + 2) + 1 + 10 + 1 + (10 + 2) + 2

    /// Latin-1 bytes of each string, padded with spaces to `width` characters.
    private static func latin1Column(_ values: [String], width: Int) -> [[UInt8]] {
        values.map { value in
            var bytes = value.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            bytes += [UInt8](repeating: 0x20, count: max(0, width - bytes.count))
            return Array(bytes.prefix(width))
        }
    }

    /// Number of rows of a file of about `targetSize` bytes (header included), at least one.
    static func rowCount(forTargetSize targetSize: Int) -> Int {
        max(1, (targetSize - header.count) / rowLength)
    }

    /// Writes row `row` (0-based) into `out`, which must hold `rowLength` bytes.
    func writeRow(_ row: Int, into out: UnsafeMutableRawBufferPointer) {
        let random = StableRandom.mix(seed ^ UInt64(row))
        var position = 0
        func put(_ byte: UInt8) {
            out[position] = byte
            position += 1
        }
        func put(_ bytes: [UInt8]) {
            for byte in bytes { put(byte) }
        }
        // Ten zero-padded digits of the 1-based row number, written right to left.
        var number = row + 1
        for index in stride(from: 9, through: 0, by: -1) {
            out[index] = 0x30 + UInt8(number % 10)
            number /= 10
        }
        position = 10
        put(0x2C); put(0x22); put(Self.names[Int(random & 7)]); put(0x22)
        put(0x2C); put(0x22); put(Self.cities[Int((random >> 8) & 7)]); put(0x22)
        let day = Int((random >> 16) % 28) + 1
        put(0x2C); put(Self.month); put(0x30 + UInt8(day / 10)); put(0x30 + UInt8(day % 10))
        put(0x2C); put(0x22); put(Self.decisions[Int((random >> 24) & 3)]); put(0x22)
        put(0x0D); put(0x0A)
    }
}
