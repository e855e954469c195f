/// The name rule of a Databricks app (reference databricks.md §4.7): 2–30 characters, lowercase letters, digits
/// and hyphens. The name is the app's key everywhere: its URL, its permissions object id, its log stream.
public enum AppName {
    public static let lengths = 2...30
    public static let rule = "an app name is 2 to 30 characters of lowercase letters (a-z), digits and hyphens"

    /// nil when `name` follows the rule, else what is wrong with it.
    public static func problem(_ name: String) -> String? {
        let count = name.utf8.count
        guard lengths.contains(count) else {
            return "\(rule); got \(count) character\(count == 1 ? "" : "s")"
        }
        if let bad = name.unicodeScalars.first(where: { !isAllowed($0) }) {
            return "\(rule); got '\(bad.escaped(asASCII: true))'"
        }
        return nil
    }

    public static func isValid(_ name: String) -> Bool { problem(name) == nil }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
    }
}
