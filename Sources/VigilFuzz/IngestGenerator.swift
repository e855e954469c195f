import VigilCore

/// Ingest bodies in both Databricks shapes (table and delivery), nearly valid: the fields Vigil reads, with
/// values of the wrong type, at the edges of their range, nested, repeated or missing, in every envelope the
/// endpoint accepts (array, `{"events": …}`, one object, NDJSON).
struct IngestGenerator {
    var random: SplitMix

    static let tableFields = [
        "account_id", "workspace_id", "version", "event_time", "event_date", "source_ip_address", "user_agent", "session_id",
        "user_identity", "service_name", "action_name", "request_id", "request_params", "response", "audit_level", "event_id",
        "identity_metadata",
    ]
    static let deliveryFields = [
        "version", "timestamp", "orgId", "sourceIPAddress", "userAgent", "sessionId", "userIdentity", "serviceName", "actionName",
        "requestId", "requestParams", "response", "auditLevel", "accountId",
    ]
    static let nodeFields = [
        "account_id", "workspace_id", "cluster_id", "instance_id", "start_time", "end_time", "driver", "cpu_user_percent",
        "cpu_system_percent", "cpu_wait_percent", "mem_used_percent", "mem_swap_percent", "network_sent_bytes",
        "network_received_bytes", "disk_free_bytes_per_mount_point", "node_type",
    ]

    mutating func scalar() -> String {
        switch random.below(7) {
        case 0: return random.pick(Mutator.edgeNumbers)
        case 1:
            // Mostly encoded as a JSON string should be; now and then embedded raw (control characters, quotes).
            let text = random.pick(Mutator.edgeStrings)
            return random.chance(85) ? JSONWriter.text(of: .string(text)) : "\"" + text + "\""
        case 2: return random.pick(["true", "false", "null"])
        case 3: return "\"" + random.pick([
            "2026-11-20T12:00:00Z", "2026-11-20T12:00:00.123456+05:30", "2026-02-30T00:00:00Z", "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z", "10000-01-01T00:00:00Z", "2026-11-20", "1795176000000", "", "not a time",
        ]) + "\""
        case 4: return "\"" + random.pick(["accounts", "login", "10.0.0.7", "::1", "alice@example.com", "a".padding(toLength: 300, withPad: "b", startingAt: 0)]) + "\""
        case 5: return "\"" + String(repeating: "x", count: random.pick([0, 1, 255, 256, 4096, random.chance(5) ? 70000 : 300])) + "\""
        default: return String(random.below(1_000_000))
        }
    }

    mutating func value(depth: Int) -> String {
        if depth > 3 || random.chance(60) { return scalar() }
        if random.chance(50) {
            let members = (0..<random.below(5)).map { _ in "\"\(random.pick(["email", "status_code", "subject_name", "k", "error_message", "run_by", ""]))\":\(value(depth: depth + 1))" }
            return "{" + members.joined(separator: ",") + "}"
        }
        if random.chance(3) { return String(repeating: "[", count: 100) + String(repeating: "]", count: 100) }
        return "[" + (0..<random.below(4)).map { _ in value(depth: depth + 1) }.joined(separator: ",") + "]"
    }

    /// A value the field would plausibly hold, so that most events get past the first check and reach the rest.
    mutating func plausible(_ field: String) -> String? {
        guard random.chance(70) else { return nil }
        switch field {
        case "service_name", "serviceName": return random.pick(["\"accounts\"", "\"clusters\"", "\"apps\""])
        case "action_name", "actionName": return random.pick(["\"login\"", "\"createApp\"", "\"changeAppsAcl\""])
        case "event_time", "start_time", "end_time": return "\"2026-11-20T1\(random.below(2)):0\(random.below(10)):00.\(random.below(1000))Z\""
        case "timestamp": return String(1_795_176_000_000 - Int64(random.below(86_400_000)))
        case "cluster_id", "instance_id", "workspace_id", "orgId", "event_id": return "\"id\(random.below(50))\""
        case "user_identity", "userIdentity": return #"{"email":"user\#(random.below(9))@x.com"}"#
        case "response": return #"{"status_code":\#(random.pick([200, 403, 500]))}"#
        case "request_params", "requestParams": return #"{"k":"v","n":\#(random.below(100))}"#
        case "cpu_user_percent", "mem_used_percent": return String(Double(random.below(10000)) / 100)
        default: return nil
        }
    }

    mutating func object(fields: [String]) -> String {
        var members: [String] = []
        for field in fields where random.chance(70) {
            members.append("\"\(field)\":\(plausible(field) ?? value(depth: 1))")
            if random.chance(3) { members.append("\"\(field)\":\(value(depth: 1))") }
        }
        if random.chance(5) { members.append("\"unknown_field\":1") }
        members.shuffle(using: &random)
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A body of audit events or node timeline rows, and its content type.
    mutating func body(nodes: Bool) -> (bytes: [UInt8], contentType: String?) {
        let fields = nodes ? Self.nodeFields : (random.chance(70) ? Self.tableFields : Self.deliveryFields)
        // Now and then a body of many items (past the per-request limit); those items are small, so the body is too.
        let count = random.chance(1) ? random.pick([1001, 10001]) : 1 + random.below(6)
        let items = count > 100
            ? Array(repeating: #"{"service_name":"a","action_name":"b","event_time":"2026-11-20T12:00:00Z"}"#, count: count)
            : (0..<count).map { _ in object(fields: fields) }
        switch random.below(5) {
        case 0: return (Array(("[" + items.joined(separator: ",") + "]").utf8), "application/json")
        case 1: return (Array(("{\"events\":[" + items.joined(separator: ",") + "]}").utf8), nil)
        case 2: return (Array(items[0].utf8), "application/json")
        case 3: return (Array(items.joined(separator: random.pick(["\n", "\r\n", "\n\n"])).utf8), "application/x-ndjson")
        default: return (Array(items.joined(separator: "\n").utf8), random.pick([nil, "text/plain", "application/json; charset=utf-8"]))
        }
    }
}
