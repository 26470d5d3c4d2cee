/// One journal entry in journald's native protocol (see systemd's `JOURNAL_NATIVE_PROTOCOL`).
///
/// Each field is `NAME=value\n`; a value containing a newline is sent in the binary form
/// `NAME\n` + its length as a little-endian 64-bit integer + the bytes + `\n`.
struct JournalEntry: Sendable {
    private(set) var fields: [(name: String, value: String)] = []

    /// Appends a field; `name` must already be a valid journald field name.
    mutating func append(_ name: String, _ value: String) {
        self.fields.append((name, value))
    }

    /// The datagram payload.
    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(self.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 10 })
        for field in self.fields {
            bytes.append(contentsOf: field.name.utf8)
            if field.value.utf8.contains(UInt8(ascii: "\n")) {
                bytes.append(UInt8(ascii: "\n"))
                withUnsafeBytes(of: UInt64(field.value.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: field.value.utf8)
            } else {
                bytes.append(UInt8(ascii: "="))
                bytes.append(contentsOf: field.value.utf8)
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}
