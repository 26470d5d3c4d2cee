/// Parsing of the human duration strings used in the configuration (`"6h"`, `"1h30m"`, `"90s"`).
public enum ConfigDuration {
    /// Units accepted in a duration string, in seconds.
    static let unitSeconds: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]

    /// Parses `"6h"`, `"1h30m"`, `"45s"`, `"2d"`, `"1w"` into seconds.
    ///
    /// Returns `nil` for anything else: an empty string, a bare number, an unknown unit, a unit
    /// repeated or out of order, or a total of zero or more than ten years.
    public static func seconds(_ text: String) -> Int64? {
        let order: [Character] = ["w", "d", "h", "m", "s"]
        var total: Int64 = 0
        var digits = ""
        var lastUnitIndex = -1
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 9 else { return nil }
                continue
            }
            guard let unit = unitSeconds[character], let amount = Int64(digits),
                  let unitIndex = order.firstIndex(of: character), unitIndex > lastUnitIndex
            else { return nil }
            total += amount * unit
            lastUnitIndex = unitIndex
            digits = ""
        }
        guard digits.isEmpty, lastUnitIndex >= 0, total > 0, total <= 10 * 366 * 86_400 else { return nil }
        return total
    }

    /// Formats seconds back into the shortest duration string (`5400` → `"1h30m"`).
    public static func format(_ seconds: Int64) -> String {
        guard seconds > 0 else { return "0s" }
        var remaining = seconds
        var result = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60), ("s", 1)] where remaining >= size {
            result += "\(remaining / size)\(unit)"
            remaining %= size
        }
        return result
    }
}
