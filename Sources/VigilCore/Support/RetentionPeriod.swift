/// A retention as people write it: a positive number with s, m, h or d (`7d`, `36h`, `90m`), at most ten years.
public enum RetentionPeriod {
    public static let maxMillis: Int64 = 3650 * 86_400_000

    public static func millis(_ text: String) -> Int64? {
        guard let unit = text.last, let number = Int64(text.dropLast()), number > 0 else { return nil }
        let scale: Int64? =
            switch unit {
            case "s": 1000
            case "m": 60_000
            case "h": 3_600_000
            case "d": 86_400_000
            default: nil
            }
        guard let scale, number <= maxMillis / scale else { return nil }
        return number * scale
    }

    /// The shortest exact spelling: `604800000` → `7d`, `129600000` → `36h`.
    public static func text(_ millis: Int64) -> String {
        for (unit, scale) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where millis % scale == 0 {
            return "\(millis / scale)\(unit)"
        }
        return "\(millis / 1000)s"
    }
}
