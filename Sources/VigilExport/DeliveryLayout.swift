import VigilCore

/// Where delivered objects go under a destination's root, in Databricks' layout (reference databricks.md §2):
///
///     workspaceId=<id>/date=<yyyy-mm-dd>/auditlogs_<first seq>-<last seq>.json   (JSON Lines)
///     _digests/<yyyy>/<mm>/<dd>/vigil-digest_<yyyymmddThhmmssZ>.json            (+ .sig beside it)
///
/// Account-level events (no workspace) go under `workspaceId=0`. A file is named by the seq range of its batch, so
/// a batch redone after a crash rewrites the same names with the same bytes. Digests sit one level deeper, under a
/// folder whose name starts with `_` (Spark's file listing skips it), so a reader's `*/*/*.json` glob or
/// `spark.read.json(root)` over the log files never picks them up.
public enum DeliveryLayout {
    public static let digestFolder = "_digests"
    public static let signatureSuffix = ".sig"

    /// The `workspaceId=` value for an event: its workspace, or 0 for account-level events. Characters outside
    /// `[A-Za-z0-9._-]` are percent-encoded so a workspace id can never make a path of its own.
    public static func partition(workspaceID: String?) -> String {
        guard let workspaceID, !workspaceID.isEmpty else { return "0" }
        var out = ""
        for byte in workspaceID.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return out
    }

    public static func logKey(workspace: String, date: String, batch: ClosedRange<Int64>) -> String {
        "workspaceId=\(workspace)/date=\(date)/auditlogs_\(batch.lowerBound)-\(batch.upperBound).json"
    }

    /// The parts of a log file's key, or nil when the key is not one Vigil writes.
    public static func parseLogKey(_ key: String) -> (workspace: String, date: String, batch: ClosedRange<Int64>)? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasPrefix("workspaceId="), parts[1].hasPrefix("date="),
              parts[2].hasPrefix("auditlogs_"), parts[2].hasSuffix(".json") else { return nil }
        let range = parts[2].dropFirst("auditlogs_".count).dropLast(".json".count).split(separator: "-")
        guard range.count == 2, let first = Int64(range[0]), let last = Int64(range[1]), first <= last else { return nil }
        return (String(parts[0].dropFirst("workspaceId=".count)), String(parts[1].dropFirst("date=".count)), first...last)
    }

    /// The digest written at `endMillis`.
    public static func digestKey(endMillis: Int64) -> String {
        let date = Timestamp.formatDate(millis: endMillis)  // yyyy-mm-dd
        let parts = date.split(separator: "-")
        return "\(digestFolder)/\(parts[0])/\(parts[1])/\(parts[2])/vigil-digest_\(compactTime(endMillis)).json"
    }

    public static func isDigestKey(_ key: String) -> Bool {
        key.hasPrefix(digestFolder + "/") && key.hasSuffix(".json")
    }

    /// `20261203T101500Z`: the digest's end time in its name, as CloudTrail names digests.
    static func compactTime(_ millis: Int64) -> String { Timestamp.formatBasic(millis: millis) }
}
