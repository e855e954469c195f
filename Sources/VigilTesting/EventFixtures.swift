import VigilCore

/// Realistic audit events for tests and benchmarks, in the table shape.
public enum EventFixtures {
    static let services = ["accounts", "clusters", "jobs", "notebook", "unityCatalog", "databrickssql", "apps", "secrets"]
    static let actions = ["login", "getTable", "createCluster", "runNow", "commandSubmit", "createApp", "changeAppsAcl", "getSecret"]

    /// Event number `n` of a deterministic stream: `userCount` users, times spread backwards from `endMillis`
    /// one `spacingMillis` apart, ~450 bytes each in JSON (the size of typical Databricks rows).
    public static func tableJSON(_ n: Int, endMillis: Int64, spacingMillis: Int64 = 1000, userCount: Int = 1000,
                                 eventID: String? = nil) -> String {
        var writer = JSONWriter(reservingCapacity: 600)
        write(n, into: &writer, endMillis: endMillis, spacingMillis: spacingMillis, userCount: userCount, eventID: eventID)
        return writer.string
    }

    public static func write(_ n: Int, into writer: inout JSONWriter, endMillis: Int64, spacingMillis: Int64 = 1000,
                             userCount: Int = 1000, eventID: String? = nil) {
        let event = event(n, endMillis: endMillis, spacingMillis: spacingMillis, userCount: userCount, eventID: eventID)
        event.writeTableJSON(into: &writer)
    }

    public static func event(_ n: Int, endMillis: Int64, spacingMillis: Int64 = 1000, userCount: Int = 1000,
                             eventID: String? = nil) -> AuditEvent {
        let service = services[n % services.count]
        return AuditEvent(
            accountID: "23e22ba4-87b9-4cc2-9770-d10b894b0001", workspaceID: String(1_000_000 + n % 4), version: "2.0",
            eventTimeMillis: endMillis - Int64(n) * spacingMillis,
            sourceIPAddress: "10.30.\(n % 200).\(n % 250)",
            userAgent: "Apache-HttpClient/4.5.13 (Java/1.8.0_345)", sessionID: "session-\(n % 5000)",
            userIdentity: UserIdentity(email: "user\(n % userCount)@example.com"),
            serviceName: service, actionName: actions[n % actions.count], requestID: "ServiceMain-\(4_529_754_264 + n)",
            requestParams: requestParams(n),
            response: EventResponse(statusCode: n % 50 == 0 ? 403 : 200, errorMessage: n % 50 == 0 ? "PERMISSION_DENIED" : nil),
            auditLevel: "WORKSPACE_LEVEL", eventID: eventID ?? String(format32Hex: n)
        )
    }
}

extension EventFixtures {
    /// Parameters shaped like Databricks' for the action of event `n`: the app actions carry the JSON text the
    /// seed SQL queries take apart (an ACL list, an App object).
    static func requestParams(_ n: Int) -> [(String, String)] {
        switch actions[n % actions.count] {
        case "changeAppsAcl":
            return [("request_object_type", "apps"), ("request_object_id", "app-\(n % 50)"),
                    ("access_control_list", #"[{"user_name":"user\#(n % 1000)@example.com","permission_level":"CAN_USE"},{"group_name":"team-\#(n % 9)","permission_level":"CAN_MANAGE"}]"#)]
        case "createApp":
            let scopes = n % 3 == 0 ? #","user_api_scopes":["sql","iam.current-user:read"]"# : ""
            return [("app", #"{"name":"app-\#(n % 50)","description":"fixture app"\#(scopes)}"#)]
        default:
            return [("full_name_arg", "main.sales.orders_\(n % 97)"), ("workspace_id", String(1_000_000 + n % 4)),
                    ("metastore_id", "abc-\(n % 7)")]
        }
    }
}

extension String {
    /// A deterministic 32-hex-character id for fixture event `n`.
    init(format32Hex n: Int) {
        let hex = String(n, radix: 16)
        self = "f1" + String(repeating: "0", count: 30 - hex.count) + hex
    }
}
