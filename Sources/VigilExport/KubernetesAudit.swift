import VigilCore

/// Maps the Kubernetes API server's audit events (`audit.k8s.io/v1`, reference interop-formats.md §5) to
/// `system.access.audit` rows, as table-shape JSON objects that then take the ingest path's own validation. Pure.
///
/// | audit field | column |
/// |---|---|
/// | (constant) | `service_name` `kubernetes` |
/// | `verb` + `objectRef.resource` + `objectRef.subresource` | `action_name`, camelCase: `create` `pods` → `createPods`, `get` `pods/log` → `getPodsLog`, a non-resource URL → `getNonResourceURL` |
/// | `requestReceivedTimestamp` (else `stageTimestamp`) | `event_time` (to the millisecond) |
/// | `auditID`, `stage` | `event_id` `k8s-<auditID>-<stage>` (one request has an event per stage); `request_id` the auditID |
/// | `user.username` | `user_identity.email` and `identity_metadata.run_by` |
/// | `impersonatedUser.username` | `identity_metadata.run_as` |
/// | `sourceIPs` (last) | `source_ip_address`: the connection's address (the ones before it come from headers the caller sets; the list is in `request_params.source_ips`) |
/// | `userAgent` | `user_agent` |
/// | `responseStatus.code`, `.message` (for ≥ 400), `.reason` | `response.status_code`, `.error_message`, `.result` |
/// | `requestURI`, `verb`, `objectRef.*`, `stage`, `level`, `user.groups`, the authorization annotations | `request_params` (`request_uri`, `verb`, `resource`, `subresource`, `namespace`, `name`, `api_group`, `api_version`, `stage`, `level`, `groups`, `decision`, `reason`, `source_ips`) |
///
/// Request and response bodies (levels Request and RequestResponse) are not kept: an audit row says who did what,
/// and a Secret's body must not land in the audit log.
public enum KubernetesAudit {
    /// The items of an `EventList` (or one `Event`), each as a table-shape object with its index in the list, or a
    /// problem per item that is not an audit event (by index). `structural` is set when the body as a whole is not
    /// an audit event list (nothing in it can be kept).
    public static func tableEvents(_ body: JSONValue, workspaceID: String?, problems: inout [ValidationProblem], structural: inout Bool)
        -> [(index: Int, value: JSONValue)]
    {
        let items: [JSONValue]
        if case .string(let kind)? = body["kind"], kind == "EventList" {
            guard case .array(let list)? = body["items"] else {
                problems.append(.init(index: 0, field: "items", reason: .wrongType, detail: "an EventList needs an items array"))
                structural = true
                return []
            }
            items = list
        } else if case .object = body {
            items = [body]
        } else {
            problems.append(.init(index: 0, field: "", reason: .notAnObject, detail: "want an audit.k8s.io/v1 EventList or Event"))
            structural = true
            return []
        }
        if case .string(let version)? = body["apiVersion"], version != "audit.k8s.io/v1" {
            problems.append(.init(index: 0, field: "apiVersion", reason: .wrongType, detail: "got \(version), want audit.k8s.io/v1 (--audit-webhook-version)"))
            structural = true
            return []
        }
        var events: [(index: Int, value: JSONValue)] = []
        for (index, item) in items.enumerated() {
            if let event = tableEvent(item, index: index, workspaceID: workspaceID, problems: &problems) { events.append((index, event)) }
        }
        return events
    }

    static func tableEvent(_ item: JSONValue, index: Int, workspaceID: String?, problems: inout [ValidationProblem]) -> JSONValue? {
        guard case .object = item else {
            problems.append(.init(index: index, field: "", reason: .notAnObject, detail: "an audit event is an object"))
            return nil
        }
        func text(_ value: JSONValue?) -> String? { if case .string(let text)? = value, !text.isEmpty { text } else { nil } }
        guard let auditID = text(item["auditID"]), let stage = text(item["stage"]), let verb = text(item["verb"]) else {
            problems.append(.init(index: index, field: "auditID", reason: .missingField, detail: "an audit event needs auditID, stage and verb"))
            return nil
        }
        guard let time = text(item["requestReceivedTimestamp"]) ?? text(item["stageTimestamp"]) else {
            problems.append(.init(index: index, field: "requestReceivedTimestamp", reason: .missingEventTime, detail: "missing"))
            return nil
        }
        guard let millis = Timestamp.parseRFC3339(time) else {
            problems.append(.init(index: index, field: "requestReceivedTimestamp", reason: .invalidEventTime, detail: "\(time) is not RFC 3339"))
            return nil
        }
        let object = item["objectRef"]
        let resource = text(object?["resource"])
        let subresource = text(object?["subresource"])
        let action = resource.map { verb + camel($0) + (subresource.map(camel) ?? "") } ?? verb + "NonResourceURL"
        let user = text(item["user"]?["username"])
        let impersonated = text(item["impersonatedUser"]?["username"])
        var sourceIPs: [String] = []
        if case .array(let list)? = item["sourceIPs"] { sourceIPs = list.compactMap(text) }
        var groups: [String] = []
        if case .array(let list)? = item["user"]?["groups"] { groups = list.compactMap(text) }
        let status = item["responseStatus"]
        var code: Int?
        if case .number(let number)? = status?["code"] { code = Int(number) }

        var params: [(String, String?)] = [
            ("request_uri", text(item["requestURI"])), ("verb", verb), ("resource", resource), ("subresource", subresource),
            ("namespace", text(object?["namespace"])), ("name", text(object?["name"])), ("api_group", text(object?["apiGroup"])),
            ("api_version", text(object?["apiVersion"])), ("stage", stage), ("level", text(item["level"])),
            ("decision", text(item["annotations"]?["authorization.k8s.io/decision"])),
            ("reason", text(item["annotations"]?["authorization.k8s.io/reason"])),
        ]
        if !groups.isEmpty { params.append(("groups", JSONWriter.text(of: .array(groups.map(JSONValue.string))))) }
        if sourceIPs.count > 1 { params.append(("source_ips", sourceIPs.joined(separator: ","))) }

        var members: [JSONMember] = [
            JSONMember("service_name", .string("kubernetes")),
            JSONMember("action_name", .string(action)),
            JSONMember("event_time", .string(Timestamp.formatRFC3339(millis: millis))),
            JSONMember("event_id", .string(eventID(auditID: auditID, stage: stage))),
            JSONMember("request_id", .string(String(auditID.prefix(128)))),
            JSONMember("audit_level", .string("WORKSPACE_LEVEL")),
            JSONMember("request_params", .object(params.compactMap { key, value in value.map { JSONMember(key, .string($0)) } })),
        ]
        if let workspaceID { members.append(JSONMember("workspace_id", .string(workspaceID))) }
        if let user { members.append(JSONMember("user_identity", .object([JSONMember("email", .string(user))]))) }
        if user != nil || impersonated != nil {
            members.append(JSONMember("identity_metadata", .object(
                [("run_by", user), ("run_as", impersonated)].compactMap { key, value in value.map { JSONMember(key, .string($0)) } })))
        }
        // The API server lists X-Forwarded-For and X-Real-Ip first and the connection's address last: only the last
        // one is not the caller's to choose.
        if let last = sourceIPs.last { members.append(JSONMember("source_ip_address", .string(last))) }
        if let agent = text(item["userAgent"]) { members.append(JSONMember("user_agent", .string(agent))) }
        if let code {
            var response = [JSONMember("status_code", .number(String(code)))]
            if code >= 400, let message = text(status?["message"]) { response.append(JSONMember("error_message", .string(message))) }
            if let reason = text(status?["reason"]) { response.append(JSONMember("result", .string(reason))) }
            members.append(JSONMember("response", .object(response)))
        }
        return .object(members)
    }

    /// `k8s-<auditID>-<stage>`, kept to the event id alphabet ([A-Za-z0-9._:-], at most 128).
    static func eventID(auditID: String, stage: String) -> String {
        let raw = "k8s-\(auditID)-\(stage)"
        let kept = raw.unicodeScalars.map { scalar -> Character in
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".:-".unicodeScalars.contains(scalar))
            return allowed ? Character(scalar) : "-"
        }
        return String(String(kept).prefix(128))
    }

    /// `pods` → `Pods`, `horizontalpodautoscalers` → `Horizontalpodautoscalers`, `cluster-roles` → `ClusterRoles`.
    static func camel(_ word: String) -> String {
        word.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
