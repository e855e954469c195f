import Hummingbird
import VigilCore
import VigilLogs

/// `GET /api/2.0/vigil/host-logs`: the lines hosts sent to the syslog source that are not authentication events
/// (those are audit events), newest first. Filters: `host`, `app_name`, `severity` (that level and more severe, as
/// `journalctl -p`: `warning` is emerg to warning), `search` (a case-insensitive substring of the message),
/// `start_time`/`end_time` (RFC 3339 or epoch ms, `[start, end)`), `limit` (1 to 10,000; 100). Readers of the whole
/// audit log only: host lines belong to no workspace.
struct HostLogsController {
    let store: HostLogStore

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/host-logs"), use: list)
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let parameters = try QueryParameters(request, allowed: ["host", "app_name", "severity", "search", "start_time", "end_time", "limit"])
        var query = HostLogQuery()
        query.host = try parameters.string("host")
        query.appName = try parameters.string("app_name")
        if let severity = try parameters.string("severity") {
            guard let level = HostLogLine.severity(named: severity) else {
                throw VigilError(.invalidParameter, "severity must be one of \(HostLogLine.severityNames.joined(separator: ", ")) or 0 to 7, got '\(severity.prefix(32))'")
            }
            query.maxSeverity = level
        }
        query.search = try parameters.string("search") ?? ""
        query.startMillis = try parameters.instant("start_time")
        query.endMillis = try parameters.instant("end_time")
        if let start = query.startMillis, let end = query.endMillis, end <= start {
            throw VigilError(.invalidParameter, "end_time must be after start_time")
        }
        query.limit = try parameters.integer("limit", range: 1...10_000) ?? 100
        let (lines, more) = try await store.lines(query)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("lines"); writer.beginArray()
            for (position, line) in lines.enumerated() {
                if position > 0 { writer.comma() }
                Self.write(line, into: &writer)
            }
            writer.endArray(); writer.comma()
            writer.key("has_more"); writer.bool(more)
            writer.endObject()
        }
    }

    static func write(_ line: HostLogLine, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("timestamp"); writer.string(Timestamp.formatRFC3339(millis: line.timestampMillis)); writer.comma()
        writer.key("received"); writer.string(Timestamp.formatRFC3339(millis: line.receivedMillis)); writer.comma()
        if let host = line.host { writer.key("host"); writer.string(host); writer.comma() }
        if let appName = line.appName { writer.key("app_name"); writer.string(appName); writer.comma() }
        if let procID = line.procID { writer.key("proc_id"); writer.string(procID); writer.comma() }
        writer.key("facility"); writer.string(HostLogLine.facilityNames[min(max(line.facility, 0), 23)]); writer.comma()
        writer.key("severity"); writer.string(HostLogLine.severityNames[min(max(line.severity, 0), 7)]); writer.comma()
        if let sender = line.sender { writer.key("sender"); writer.string(sender); writer.comma() }
        writer.key("message"); writer.string(line.message)
        writer.endObject()
    }
}
