import VigilCore

/// An audit event as one RFC 5424 syslog message (reference interop-formats.md §6), pure:
///
///     <PRI>1 <event_time> <hostname> vigil - audit [audit@32473 eventId="…" service="…" action="…" user="…"
///     sourceIp="…" status="…" workspace="…"] BOM<the event as table-shape JSON>
///
/// Facility 13 (log audit); severity error (3) for a status ≥ 500, warning (4) for ≥ 400, else informational (6).
/// 32473 is the private enterprise number RFC 5424 reserves for examples; a SIEM parses the structured data by
/// name. Values are escaped as RFC 5424 §6.3.3 requires (`"`, `\` and `]`).
public enum SyslogFormat {
    public static let facility = 13

    public static func message(_ event: AuditEvent, hostname: String) -> [UInt8] {
        let status = event.response?.statusCode.map(Int.init)
        let severity = status.map { $0 >= 500 ? 3 : $0 >= 400 ? 4 : 6 } ?? 6
        var text = "<\(facility * 8 + severity)>1 \(Timestamp.formatRFC3339(millis: event.eventTimeMillis)) \(header(hostname, 255)) vigil - audit "
        var sd = "[audit@32473"
        let params: [(String, String?)] = [
            ("eventId", event.eventID), ("service", event.serviceName), ("action", event.actionName), ("user", event.userIdentity?.email),
            ("sourceIp", event.sourceIPAddress), ("status", status.map(String.init)), ("workspace", event.workspaceID),
        ]
        for case let (name, value?) in params { sd += " \(name)=\"\(escape(value))\"" }
        text += sd + "] "
        return Array(text.utf8) + [0xEF, 0xBB, 0xBF] + event.canonicalBytes()
    }

    /// A header field: printable US-ASCII only, at most `limit` characters, `-` when nothing is left.
    static func header(_ value: String, _ limit: Int) -> String {
        let kept = String(value.unicodeScalars.filter { (33...126).contains($0.value) }.prefix(limit).map(Character.init))
        return kept.isEmpty ? "-" : kept
    }

    /// PARAM-VALUE escaping: `"`, `\` and `]` get a backslash.
    public static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            if character == "\"" || character == "\\" || character == "]" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// RFC 6587 octet counting: `<byte length> <message>`.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        Array("\(message.count) ".utf8) + message
    }
}
