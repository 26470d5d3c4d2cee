extension Schedule {
    /// A short human description: `every 6h`, `at 06:00, 18:00 on mon, thu (UTC+01:00)`.
    public var summary: String {
        var parts: [String] = []
        if let everySeconds { parts.append("every \(ConfigDuration.format(everySeconds))") }
        if !timesOfDay.isEmpty {
            var text = "at " + timesOfDay.map(\.description).joined(separator: ", ")
            if !weekdays.isEmpty { text += " on " + weekdays.sorted().map { String($0.name.prefix(3)) }.joined(separator: ", ") }
            if utcOffsetSeconds != 0 {
                let sign = utcOffsetSeconds < 0 ? "-" : "+"
                let magnitude = abs(utcOffsetSeconds)
                let hours = magnitude / 3_600, minutes = (magnitude % 3_600) / 60
                text += " (UTC\(sign)\(hours < 10 ? "0" : "")\(hours):\(minutes < 10 ? "0" : "")\(minutes))"
            }
            parts.append(text)
        }
        return parts.joined(separator: " or ")
    }
}
