import Foundation
import Testing
import VigilCore
import VigilTesting

/// `system.compute.node_timeline` from ingest to SQL, and `system.information_schema` as each caller may see it,
/// against a live server.
@Suite("Node timeline ingest and information_schema")
struct ComputeAndInformationSchemaTests {
    static let path = "/api/2.0/vigil/compute/node-timeline"

    /// A valid row of workspace `workspace` starting `minute` minutes before `end` (epoch ms).
    static func row(_ minute: Int, workspace: String = "1001", end: Int64, cpu: Double = 12.5) -> String {
        let start = Timestamp.formatRFC3339(millis: end - Int64(minute + 1) * 60_000)
        let stop = Timestamp.formatRFC3339(millis: end - Int64(minute) * 60_000)
        return #"""
            {"account_id":"acc-1","workspace_id":"\#(workspace)","cluster_id":"c-\#(workspace)","instance_id":"i-\#(minute % 2)",
            "start_time":"\#(start)","end_time":"\#(stop)","driver":\#(minute % 2 == 0),"cpu_user_percent":\#(cpu),
            "cpu_system_percent":2,"mem_used_percent":40.5,"network_sent_bytes":1024,
            "disk_free_bytes_per_mount_point":{"/local_disk0":\#(1 << 30),"/":\#(minute + 1)},"node_type":"i3.xlarge"}
            """#
    }

    static func rowsJSON(_ rows: [String]) -> String { "[" + rows.joined(separator: ",") + "]" }

    @Test("node timeline rows are stored once, are queryable by SQL, and a changed resend is a 409 that stores nothing")
    func ingestAndQuery() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            let rows = (0..<4).map { Self.row($0, end: end) }
            let first = try await server.request(.POST, Self.path, json: Self.rowsJSON(rows))
            #expect(first.status == 200, "\(first.text)")
            #expect(try first.json() == .object([.init("accepted", .number("4")), .init("duplicates", .number("0"))]))
            let again = try await server.request(.POST, Self.path, json: Self.rowsJSON(rows))
            #expect(try again.json() == .object([.init("accepted", .number("0")), .init("duplicates", .number("4"))]))

            let changed = [Self.row(9, end: end), Self.row(1, end: end, cpu: 99)]
            let conflict = try await server.request(.POST, Self.path, json: Self.rowsJSON(changed))
            #expect(conflict.status == 409, "\(conflict.text)")
            #expect(conflict.text.contains("row_conflict"))

            let (status, reply) = try await SQLStatementTests.execute(server, """
                SELECT count(*) AS n, max(cpu_user_percent) AS peak,
                  min(array_min(map_values(disk_free_bytes_per_mount_point))) AS least_free, sum(CASE WHEN driver THEN 1 ELSE 0 END) AS drivers
                FROM system.compute.node_timeline WHERE start_time >= current_timestamp() - INTERVAL 30 DAYS
                """)
            #expect(status == 200)
            // The refused request stored nothing: neither its new row (minute 9) nor its changed one.
            #expect(reply["result"]?["data_array"] == .array([.array([.string("4"), .string("12.5"), .string("1"), .string("2")])]), "\(reply)")
            let types = SQLStatementTests.strings(reply["manifest"]?["schema"]?["columns"].flatMap { columns in
                guard case .array(let items) = columns else { return nil }
                return .array(items.compactMap { $0["type_text"] })
            })
            #expect(types == ["BIGINT", "DOUBLE", "BIGINT", "BIGINT"])

            let metrics = try await server.request(.GET, "/metrics").text
            for line in ["vigil_node_timeline_rows_accepted_total 4", "vigil_node_timeline_rows_duplicate_total 4",
                         #"vigil_node_timeline_rows_rejected_total{reason="row_conflict"} 2"#] {
                #expect(metrics.contains(line + "\n"), "\(line)")
            }

            let audited = try await server.request(.GET, "/api/2.0/audit/events?action_name=ingestNodeTimeline&page_size=10").json()
            guard case .array(let events)? = audited["events"] else { Issue.record("no events: \(audited)"); return }
            #expect(events.count == 3)
            #expect(events.contains { $0["request_params"]?["accepted"] == .string("4") && $0["response"]?["status_code"] == .number("200") })
            #expect(events.contains { $0["response"]?["status_code"] == .number("409") })
        }
    }

    @Test("a bad node timeline row is refused naming every problem by row, field and reason; nothing is stored")
    func validation() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            let good = Self.row(0, end: end)
            let start = Timestamp.formatRFC3339(millis: end - 60_000)
            let bad = #"""
                {"instance_id":"i-1","start_time":"\#(start)","end_time":"\#(start)","cpu_user_percent":150,"driver":"yes",
                 "network_sent_bytes":-1,"disk_free_bytes_per_mount_point":{"/":1.5},"colour":"red"}
                """#
            let reply = try await server.request(.POST, Self.path, json: Self.rowsJSON([good, bad, #""text""#]))
            #expect(reply.status == 400)
            let body = try reply.json()
            #expect(body["error_code"] == .string("INVALID_PARAMETER_VALUE"))
            guard case .array(let details)? = body["details"] else { Issue.record("no details: \(reply.text)"); return }
            let found = Set(details.compactMap { detail -> String? in
                guard case .number(let index)? = detail["index"], case .string(let field)? = detail["field"],
                    case .string(let reason)? = detail["reason"] else { return nil }
                return "\(index) \(field) \(reason)"
            })
            #expect(found == [
                "1 cluster_id missing_field", "1 end_time invalid_interval", "1 cpu_user_percent out_of_range",
                "1 driver wrong_type", "1 network_sent_bytes out_of_range", "1 disk_free_bytes_per_mount_point./ out_of_range",
                "1 colour unknown_field", "2  not_an_object",
            ])
            let (_, counted) = try await SQLStatementTests.execute(server, "SELECT count(*) FROM system.compute.node_timeline")
            #expect(counted["result"]?["data_array"] == .array([.array([.string("0")])]))
            #expect(try await server.request(.POST, Self.path, json: "[]").status == 400)
            // Each refused row counts once, under its first problem.
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"vigil_node_timeline_rows_rejected_total{reason="missing_field"} 1"# + "\n"))
            #expect(metrics.contains(#"vigil_node_timeline_rows_rejected_total{reason="not_an_object"} 1"# + "\n"))
        }
    }

    @Test("a workspace-scoped reader sees only its workspace's nodes and only its own grants in information_schema")
    func scopedReaders() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            let end = SystemWallClock().nowMillis()
            let rows = (0..<3).map { Self.row($0, workspace: "1001", end: end) } + (0..<3).map { Self.row($0, workspace: "1002", end: end) }
            #expect(try await server.request(.POST, Self.path, json: Self.rowsJSON(rows)).status == 200)

            func column(_ sql: String, as role: String) async throws -> [String?] {
                let (_, reply) = try await SQLStatementTests.execute(server, sql, token: roles.tokens[role]!)
                guard case .array(let rows)? = reply["result"]?["data_array"] else {
                    Issue.record("\(sql) as \(role): \(reply)")
                    return []
                }
                return rows.map { SQLStatementTests.strings($0).first ?? nil }
            }
            let workspaces = "SELECT DISTINCT workspace_id FROM system.compute.node_timeline ORDER BY 1"
            #expect(try await column(workspaces, as: "workspace auditor") == ["1001"])
            #expect(try await column(workspaces, as: "auditor") == ["1001", "1002"])

            let grantees = "SELECT DISTINCT grantee FROM system.information_schema.table_privileges ORDER BY 1"
            #expect(try await column(grantees, as: "workspace auditor") == ["scoped@x.com"])
            #expect(try await column(grantees, as: "auditor") == ["auditor@x.com", "producer-app", "scoped@x.com"])
            #expect(try await column(grantees, as: "admin") == ["auditor@x.com", "producer-app", "scoped@x.com"])
            let privileges = """
                SELECT concat(grantee, ' ', privilege_type) FROM system.information_schema.table_privileges
                WHERE table_name = 'audit' ORDER BY 1
                """
            #expect(try await column(privileges, as: "auditor") == ["auditor@x.com SELECT", "producer-app MODIFY", "scoped@x.com SELECT"])
            // Every SQL reader sees the catalog's relations.
            let tables = "SELECT concat(table_schema, '.', table_name) FROM system.information_schema.tables ORDER BY 1"
            #expect(try await column(tables, as: "workspace auditor") == [
                "access.audit", "compute.clusters", "compute.node_timeline", "information_schema.schema_privileges",
                "information_schema.table_privileges", "information_schema.tables", "lakeflow.job_run_timeline", "lakeflow.jobs", "vigil.alert_history", "vigil.app_logs",
            ])
        }
    }
}
