import Foundation
import NIOHTTP1
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// The Clusters API, agents' heartbeats and the events they cause, against a live server.
@Suite("Clusters")
struct ClustersAPITests {
    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { text } else { nil }
    }

    static func create(_ server: LiveServer, _ json: String, token: TokenChoice = .admin, version: String = "2.1") async throws -> String {
        let reply = try await server.request(.POST, "/api/\(version)/clusters/create", json: json, token: token)
        guard reply.status == 200, let id = string(try reply.json()["cluster_id"]) else {
            throw VigilError(.internal, "create answered \(reply.status): \(reply.text)")
        }
        return id
    }

    static func heartbeat(_ server: LiveServer, _ cluster: String, _ instance: String, driver: Bool = false, leaving: Bool = false,
                          interval: Double = 10, extra: String = "", token: TokenChoice = .admin) async throws -> HTTPExchange {
        try await server.request(.POST, "/api/2.0/vigil/compute/heartbeat", json: """
            {"cluster_id":"\(cluster)","instance_id":"\(instance)","driver":\(driver),"leaving":\(leaving),"interval_seconds":\(interval)\(extra)}
            """, token: token)
    }

    static func events(_ server: LiveServer, _ body: String, token: TokenChoice = .admin) async throws -> JSONValue {
        let reply = try await server.request(.POST, "/api/2.1/clusters/events", json: body, token: token)
        guard reply.status == 200 else { throw VigilError(.internal, "events answered \(reply.status): \(reply.text)") }
        return try reply.json()
    }

    /// The cluster ids of a list page.
    static func ids(_ page: JSONValue) -> [String] {
        guard case .array(let clusters)? = page["clusters"] else { return [] }
        return clusters.compactMap { string($0["cluster_id"]) }
    }

    static func types(_ page: JSONValue) -> [String] {
        guard case .array(let events)? = page["events"] else { return [] }
        return events.compactMap { string($0["type"]) }
    }

    static func sql(_ server: LiveServer, _ statement: String, token: TokenChoice = .admin) async throws -> [[JSONValue]] {
        var writer = JSONWriter()
        writer.beginObject(); writer.key("statement"); writer.string(statement); writer.endObject()
        let reply = try await server.request(.POST, "/api/2.0/sql/statements", body: writer.bytes, token: token).json()
        guard case .array(let rows)? = reply["result"]?["data_array"] else {
            if reply["status"]?["state"] == .string("SUCCEEDED") { return [] }
            throw VigilError(.internal, "\(statement): \(reply)")
        }
        return rows.map { if case .array(let cells) = $0 { cells } else { [] } }
    }

    @Test("create, get and list answer ClusterDetails in Databricks' shapes, at /api/2.1 and /api/2.0")
    func createGetList() async throws {
        try await LiveServer.run { server in
            let id = try await Self.create(server, #"""
                {"cluster_name":"etl","spark_version":"15.4.x-scala2.12","node_type_id":"m5.xlarge","num_workers":2,
                 "custom_tags":{"team":"data"},"autotermination_minutes":60,"spark_conf":{"spark.speculation":"true"}}
                """#)
            #expect(id.range(of: #"^\d{4}-\d{6}-[a-z0-9]{8}$"#, options: .regularExpression) != nil, "\(id)")
            let cluster = try await server.request(.GET, "/api/2.1/clusters/get?cluster_id=\(id)").json()
            #expect(cluster["cluster_id"] == .string(id))
            #expect(cluster["cluster_name"] == .string("etl"))
            #expect(cluster["num_workers"] == .number("2"))
            #expect(cluster["node_type_id"] == .string("m5.xlarge") && cluster["driver_node_type_id"] == .string("m5.xlarge"))
            #expect(cluster["custom_tags"] == .object([JSONMember("team", .string("data"))]))
            #expect(cluster["spark_conf"]?["spark.speculation"] == .string("true"))
            #expect(cluster["autotermination_minutes"] == .number("60"))
            #expect(cluster["state"] == .string("PENDING"))
            #expect(cluster["creator_user_name"] == .string("admin") && cluster["cluster_source"] == .string("API"))
            #expect(cluster["default_tags"]?["ClusterId"] == .string(id))
            // The older path answers the same; list holds it.
            #expect(try await server.request(.GET, "/api/2.0/clusters/get?cluster_id=\(id)").json() == cluster)
            let autoscaled = try await Self.create(server, #"{"cluster_name":"adhoc","autoscale":{"min_workers":1,"max_workers":4}}"#, version: "2.0")
            let listed = try await server.request(.GET, "/api/2.1/clusters/list").json()
            #expect(Self.ids(listed) == [id, autoscaled])
            let second: JSONValue? = if case .array(let clusters)? = listed["clusters"], clusters.count == 2 { clusters[1] } else { nil }
            #expect(second?["autoscale"]?["max_workers"] == .number("4"))
            #expect(second?["num_workers"] == .number("0"))
            // Filtered by state, paged by token.
            _ = try await server.request(.POST, "/api/2.1/clusters/delete", json: #"{"cluster_id":"\#(id)"}"#)
            let terminated = try await server.request(.GET, "/api/2.1/clusters/list?filter_by.cluster_states=TERMINATED").json()
            #expect(Self.ids(terminated) == [id])
            let first = try await server.request(.GET, "/api/2.1/clusters/list?page_size=1").json()
            let token = try #require(Self.string(first["next_page_token"]))
            let next = try await server.request(.GET, "/api/2.1/clusters/list?page_size=1&page_token=\(token)").json()
            #expect(next["next_page_token"] == nil)
            #expect(Self.ids(next) == [autoscaled])
        }
    }

    @Test("bad requests are refused naming the field; an unknown cluster as Databricks answers it; start of a running cluster INVALID_STATE")
    func errors() async throws {
        try await LiveServer.run { server in
            for (body, fragment) in [
                ("{}", "cluster_name is required"), (#"{"cluster_name":""}"#, "1 to 100 characters"),
                (#"{"cluster_name":"a","num_workers":-1}"#, "num_workers must be between 0"),
                (#"{"cluster_name":"a","num_workers":1.5}"#, "num_workers must be an integer"),
                (#"{"cluster_name":"a","num_workers":1,"autoscale":{"min_workers":1,"max_workers":2}}"#, "not both"),
                (#"{"cluster_name":"a","autoscale":{"min_workers":3,"max_workers":2}}"#, "must not exceed"),
                (#"{"cluster_name":"a","autoscale":{"min_workers":1}}"#, "both min_workers and max_workers"),
                (#"{"cluster_name":"a","custom_tags":{"k":1}}"#, "custom_tags.k must be a string"),
                (#"{"cluster_name":"a","autotermination_minutes":5}"#, "0 (never) or between 10"),
                (#"{"cluster_name":"a","colour":"red"}"#, "unknown field 'colour'"),
            ] {
                let reply = try await server.request(.POST, "/api/2.1/clusters/create", json: body)
                #expect(reply.status == 400, "\(body): \(reply.text)")
                #expect(reply.text.contains(fragment), "\(body): \(reply.text)")
            }
            let missing = try await server.request(.GET, "/api/2.1/clusters/get?cluster_id=0000-000000-nothere0")
            #expect(missing.status == 400)
            #expect(try missing.json()["error_code"] == .string("INVALID_PARAMETER_VALUE"))
            #expect(missing.text.contains("Cluster 0000-000000-nothere0 does not exist"))
            for verb in ["edit", "start", "restart", "delete"] {
                let reply = try await server.request(.POST, "/api/2.1/clusters/\(verb)", json: #"{"cluster_id":"nope","cluster_name":"x"}"#)
                if verb == "edit" { #expect(reply.status == 400 && reply.text.contains("does not exist"), "\(verb): \(reply.text)") } else {
                    #expect(reply.status == 400, "\(verb): \(reply.text)")
                }
            }
            #expect(try await server.request(.POST, "/api/2.1/clusters/start", json: #"{"cluster_id":"x y"}"#).text.contains("cluster_id is invalid"))
            let id = try await Self.create(server, #"{"cluster_name":"etl"}"#)
            let start = try await server.request(.POST, "/api/2.1/clusters/start", json: #"{"cluster_id":"\#(id)"}"#)
            #expect(start.status == 400)
            #expect(try start.json()["error_code"] == .string("INVALID_STATE"))
            #expect(try await server.request(.GET, "/api/2.1/clusters/list?filter_by.cluster_states=SLEEPING").status == 400)
            #expect(try await server.request(.GET, "/api/2.1/clusters/list?page_token=junk").status == 400)
            #expect(try await server.request(.POST, "/api/2.1/clusters/restart", json: #"{"cluster_id":"\#(id)","force":true}"#).text.contains("unknown field 'force'"))
        }
    }

    @Test("each level allows its verbs: CAN_ATTACH_TO sees, CAN_RESTART starts and restarts, CAN_MANAGE edits, terminates and shares")
    func permissions() async throws {
        var configuration = VigilConfiguration()
        configuration.unauthenticated = .init(rate: 10_000, burst: 10_000)
        try await LiveServer.run(configuration: configuration) { server in
            let roles = try await Roles.setUp(server)
            let plain = roles.tokens["plain user"]!
            let producer = roles.tokens["service principal"]!
            // Plain users may not create; producers (what agents run with) may, and manage what they create.
            #expect(try await server.request(.POST, "/api/2.1/clusters/create", json: #"{"cluster_name":"x"}"#, token: plain).status == 403)
            let id = try await Self.create(server, #"{"cluster_name":"shared","num_workers":1}"#, token: producer)
            let body = #"{"cluster_id":"\#(id)"}"#
            func status(_ verb: String, _ token: TokenChoice, json: String? = nil) async throws -> Int {
                if verb == "get" { return try await server.request(.GET, "/api/2.1/clusters/get?cluster_id=\(id)", token: token).status }
                return try await server.request(.POST, "/api/2.1/clusters/\(verb)", json: json ?? body, token: token).status
            }
            let edit = #"{"cluster_id":"\#(id)","cluster_name":"shared","num_workers":2}"#
            #expect(try await status("get", plain) == 403)
            #expect(try await status("events", plain) == 403)
            #expect(try await server.request(.GET, "/api/2.1/clusters/list", token: plain).json()["clusters"] == .array([]))
            func grant(_ level: String) async throws {
                // PATCH adds the grant (a PUT would also drop the producer's own CAN_MANAGE).
                let reply = try await server.request(.PATCH, "/api/2.0/permissions/clusters/\(id)",
                                                     json: #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"\#(level)"}]}"#, token: producer)
                #expect(reply.status == 200, "\(reply.text)")
            }
            try await grant("CAN_ATTACH_TO")
            #expect(try await status("get", plain) == 200)
            #expect(try await status("events", plain) == 200)
            #expect(try await status("restart", plain) == 403)
            #expect(try await status("edit", plain, json: edit) == 403)
            let listed = try await server.request(.GET, "/api/2.1/clusters/list", token: plain).json()
            if case .array(let items)? = listed["clusters"] { #expect(items.count == 1) } else { Issue.record("\(listed)") }
            try await grant("CAN_RESTART")
            #expect(try await status("restart", plain) == 200)
            #expect(try await status("edit", plain, json: edit) == 403)
            #expect(try await status("delete", plain) == 403)
            #expect(try await server.request(.GET, "/api/2.0/permissions/clusters/\(id)", token: plain).status == 403)
            try await grant("CAN_MANAGE")
            #expect(try await status("edit", plain, json: edit) == 200)
            #expect(try await server.request(.GET, "/api/2.0/permissions/clusters/\(id)", token: plain).status == 200)
            #expect(try await status("delete", plain) == 200)
            #expect(try await status("start", plain) == 200)
            let levels = try await server.request(.GET, "/api/2.0/permissions/clusters/\(id)/permissionLevels").json()
            #expect(JSONWriter.text(of: levels).contains("CAN_ATTACH_TO") && JSONWriter.text(of: levels).contains("CAN_RESTART"))
            let bad = try await server.request(.PATCH, "/api/2.0/permissions/clusters/\(id)",
                                               json: #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_USE"}]}"#)
            #expect(bad.status == 400 && bad.text.contains("not valid for clusters"))
            // The ACL change is audited as Databricks names it.
            let rows = try await Self.sql(server, """
                SELECT request_params['request_object_id'], request_params['access_control_list'] FROM system.access.audit
                WHERE service_name = 'clusters' AND action_name = 'changeClusterAcl' AND response.status_code = 200 ORDER BY event_time
                """)
            #expect(rows.count == 3)
            #expect(rows.first == [.string(id), .string(#"[{"user_name":"plain@x.com","permission_level":"CAN_ATTACH_TO"}]"#)])
        }
    }

    @Test("changes are audited as clusters/create, edit, start, restart and delete with Databricks' request_params keys")
    func auditEvents() async throws {
        try await LiveServer.run { server in
            let id = try await Self.create(server, #"{"cluster_name":"etl","num_workers":1,"autoscale":null,"custom_tags":{"a":"b"}}"#)
            _ = try await server.request(.POST, "/api/2.1/clusters/edit", json: #"{"cluster_id":"\#(id)","cluster_name":"etl2","autoscale":{"min_workers":1,"max_workers":3}}"#)
            _ = try await server.request(.POST, "/api/2.1/clusters/restart", json: #"{"cluster_id":"\#(id)"}"#)
            _ = try await server.request(.POST, "/api/2.1/clusters/delete", json: #"{"cluster_id":"\#(id)"}"#)
            _ = try await server.request(.POST, "/api/2.0/clusters/start", json: #"{"cluster_id":"\#(id)"}"#)
            let rows = try await Self.sql(server, """
                SELECT action_name, request_params['cluster_id'], request_params['cluster_name'], request_params['num_workers'],
                       request_params['autoscale'], request_params['custom_tags'], response.status_code
                FROM system.access.audit WHERE service_name = 'clusters' AND action_name IN ('create', 'edit', 'start', 'restart', 'delete')
                ORDER BY event_time, action_name
                """)
            #expect(rows.map { Self.string($0[0]) } == ["create", "edit", "restart", "delete", "start"])
            #expect(rows.allSatisfy { $0[1] == .string(id) && $0[6] == .string("200") }, "\(rows)")
            #expect(rows[0][2] == .string("etl") && rows[0][3] == .string("1") && rows[0][5] == .string(#"{"a":"b"}"#))
            #expect(rows[1][2] == .string("etl2") && rows[1][4] == .string(#"{"min_workers":1,"max_workers":3}"#))
        }
    }

    @Test("heartbeats drive the cluster: RUNNING on the driver's first report, resizes, a lost node, terminate; rows stored with them")
    func heartbeatsDeriveEvents() async throws {
        var configuration = VigilConfiguration()
        configuration.clusterCheckInterval = .milliseconds(100)
        try await LiveServer.run(configuration: configuration) { server in
            let id = try await Self.create(server, #"{"cluster_name":"etl","num_workers":1}"#)
            let now = SystemWallClock().nowMillis()
            let row = #"{"cluster_id":"\#(id)","instance_id":"drv","start_time":"\#(Timestamp.formatRFC3339(millis: now - 10_000))","end_time":"\#(Timestamp.formatRFC3339(millis: now))","cpu_user_percent":12.5,"mem_used_percent":40,"disk_free_bytes_per_mount_point":{"/":1000}}"#
            let first = try await Self.heartbeat(server, id, "drv", driver: true, extra: #","node_type":"m5.large","host":"h1","node_timeline":[\#(row)]"#)
            #expect(first.status == 200, "\(first.text)")
            #expect(try first.json()["state"] == .string("RUNNING"))
            #expect(try first.json()["accepted"] == .number("1"))
            // The same report again: the row is a duplicate, nothing else changes.
            let again = try await Self.heartbeat(server, id, "drv", driver: true, extra: #","node_type":"m5.large","host":"h1","node_timeline":[\#(row)]"#)
            #expect(try again.json()["duplicates"] == .number("1"))
            #expect(try await Self.heartbeat(server, id, "w1", interval: 2).status == 200)
            #expect(try await Self.heartbeat(server, id, "w2").status == 200)
            #expect(try await Self.heartbeat(server, id, "w2", leaving: true).status == 200)
            // w1 reports every two seconds and stops: lost after six (long enough for w2 to come and go first on a
            // loaded machine).
            try await AppLogsTests.eventually {
                Self.types(try await Self.events(server, #"{"cluster_id":"\#(id)","order":"ASC"}"#)).contains("NODES_LOST")
            }
            let cluster = try await server.request(.GET, "/api/2.1/clusters/get?cluster_id=\(id)").json()
            #expect(cluster["state"] == .string("RUNNING"))
            #expect(cluster["driver"]?["instance_id"] == .string("drv") && cluster["driver"]?["host"] == .string("h1"))
            #expect(cluster["executors"] == nil)
            _ = try await server.request(.POST, "/api/2.1/clusters/delete", json: #"{"cluster_id":"\#(id)"}"#)
            let page = try await Self.events(server, #"{"cluster_id":"\#(id)","order":"ASC"}"#)
            #expect(Self.types(page) == ["CREATING", "RUNNING", "RESIZING", "UPSIZE_COMPLETED", "RESIZING", "UPSIZE_COMPLETED", "RESIZING", "NODES_LOST", "TERMINATING"])
            guard case .array(let events)? = page["events"] else { return }
            #expect(events[7]["details"]?["instance_id"] == .string("w1"))
            #expect(events[7]["details"]?["current_num_workers"] == .number("0"))
            #expect(events[8]["details"]?["reason"]?["code"] == .string("USER_REQUEST"))
            #expect(events.allSatisfy { $0["cluster_id"] == .string(id) })
            // The driver's row is in node_timeline, in the server's workspace, marked as the driver's.
            let rows = try await Self.sql(server, "SELECT instance_id, driver, cpu_user_percent, node_type, workspace_id FROM system.compute.node_timeline")
            #expect(rows == [[.string("drv"), .string("true"), .string("12.5"), .string("m5.large"), .string("0")]])
            let terminated = try await server.request(.GET, "/api/2.1/clusters/get?cluster_id=\(id)").json()
            #expect(terminated["state"] == .string("TERMINATED"))
            #expect(terminated["termination_reason"]?["code"] == .string("USER_REQUEST"))
            #expect(terminated["terminated_time"] != nil)
        }
    }

    @Test("a heartbeat for an unknown cluster registers it for producers, audited as clusters/create; others are refused")
    func heartbeatRegisters() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            let plain = roles.tokens["plain user"]!
            let producer = roles.tokens["service principal"]!
            let refused = try await Self.heartbeat(server, "edge-1", "n1", token: plain)
            #expect(refused.status == 403 && refused.text.contains("may not register"))
            let registered = try await Self.heartbeat(server, "edge-1", "n1", driver: true, extra: #","cluster_name":"Edge","num_workers":2"#, token: producer)
            #expect(try registered.json()["registered"] == .bool(true), "\(registered.text)")
            let cluster = try await server.request(.GET, "/api/2.1/clusters/get?cluster_id=edge-1").json()
            #expect(cluster["cluster_name"] == .string("Edge") && cluster["num_workers"] == .number("2") && cluster["cluster_source"] == .string("AGENT"))
            #expect(cluster["creator_user_name"] == .string("producer-app"))
            // A plain user may report nodes of a cluster it manages, not of others.
            #expect(try await Self.heartbeat(server, "edge-1", "n2", token: plain).status == 403)
            _ = try await server.request(.PATCH, "/api/2.0/permissions/clusters/edge-1",
                                         json: #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_MANAGE"}]}"#)
            #expect(try await Self.heartbeat(server, "edge-1", "n2", token: plain).status == 200)
            let rows = try await Self.sql(server, """
                SELECT action_name, request_params['cluster_id'], request_params['cluster_name'], user_identity.email FROM system.access.audit
                WHERE service_name = 'clusters' AND action_name = 'create'
                """)
            #expect(rows == [[.string("create"), .string("edge-1"), .string("Edge"), .string("producer-app")]])
            // Reports are validated: fields, interval, and rows of another node.
            for (body, fragment) in [
                (#"{"instance_id":"n1","interval_seconds":10}"#, "cluster_id is required"),
                (#"{"cluster_id":"edge-1","interval_seconds":10}"#, "instance_id is required"),
                (#"{"cluster_id":"edge-1","instance_id":"n1"}"#, "interval_seconds is required"),
                (#"{"cluster_id":"edge-1","instance_id":"n1","interval_seconds":0.5}"#, "1 to 3600"),
                (#"{"cluster_id":"edge-1","instance_id":"n1","interval_seconds":10,"extra":1}"#, "unknown field 'extra'"),
                (#"{"cluster_id":"edge-1","instance_id":"n1","interval_seconds":10,"node_timeline":[{"cluster_id":"edge-1","instance_id":"other","start_time":"2026-01-01T00:00:00Z","end_time":"2026-01-01T00:01:00Z"}]}"#, "of the reporting node"),
                (#"{"cluster_id":"edge-1","instance_id":"n1","interval_seconds":10,"node_timeline":[{"cluster_id":"edge-1","instance_id":"n1","start_time":"2026-01-01T00:00:00Z","end_time":"2026-01-01T00:01:00Z","cpu_user_percent":120}]}"#, "cpu_user_percent"),
            ] {
                let reply = try await server.request(.POST, "/api/2.0/vigil/compute/heartbeat", json: body, token: producer)
                #expect(reply.status == 400, "\(body): \(reply.text)")
                #expect(reply.text.contains(fragment), "\(body): \(reply.text)")
            }
        }
    }

    @Test("events page by offset and by token with next_page the SDK posts back, filtered by type and time, counted by total_count")
    func eventPaging() async throws {
        try await LiveServer.run { server in
            let id = try await Self.create(server, #"{"cluster_name":"busy","num_workers":0}"#)
            // A 60 s interval: a loaded machine taking 30 s over these 41 reports must not lose the driver meanwhile.
            _ = try await Self.heartbeat(server, id, "drv", driver: true, interval: 60)
            for index in 0..<20 {
                _ = try await Self.heartbeat(server, id, "w\(index)", interval: 60)
                _ = try await Self.heartbeat(server, id, "w\(index)", leaving: true, interval: 60)
            }
            // CREATING, RUNNING, then per worker RESIZING + UPSIZE_COMPLETED on joining and RESIZING on leaving.
            let total = 2 + 20 * 3
            func walk(_ first: String) async throws -> [JSONValue] {
                var collected: [JSONValue] = []
                var body: String? = first
                var pages = 0
                while let next = body {
                    let page = try await Self.events(server, next)
                    #expect(page["total_count"] == .number(String(first.contains("event_types") ? 20 : total)))
                    if case .array(let events)? = page["events"] { collected += events }
                    body = page["next_page"].map(JSONWriter.text(of:))
                    pages += 1
                    if pages > 100 { break }
                }
                return collected
            }
            let byOffset = try await walk(#"{"cluster_id":"\#(id)","limit":7}"#)
            #expect(byOffset.count == total)
            let timestamps = byOffset.compactMap { if case .number(let text)? = $0["timestamp"] { Int64(text) } else { nil } }
            #expect(timestamps == timestamps.sorted(by: >), "newest first by default")
            let byToken = try await walk(#"{"cluster_id":"\#(id)","page_size":9,"order":"ASC"}"#)
            #expect(byToken.count == total)
            #expect(byToken.map { JSONWriter.text(of: $0) } == byOffset.reversed().map { JSONWriter.text(of: $0) })
            #expect(Self.types(.object([JSONMember("events", .array(byToken))])).prefix(2) == ["CREATING", "RUNNING"])
            let upsized = try await walk(#"{"cluster_id":"\#(id)","event_types":["UPSIZE_COMPLETED"],"page_size":6}"#)
            #expect(upsized.count == 20 && upsized.allSatisfy { $0["type"] == .string("UPSIZE_COMPLETED") })
            let future = try await Self.events(server, #"{"cluster_id":"\#(id)","start_time":\#(SystemWallClock().nowMillis() + 60_000)}"#)
            #expect(future["events"] == .array([]) && future["total_count"] == .number("0") && future["next_page"] == nil)
            for (body, fragment) in [
                (#"{"cluster_id":"\#(id)","limit":501}"#, "limit must be an integer between 1 and 500"),
                (#"{"cluster_id":"\#(id)","offset":1,"page_token":"x"}"#, "not both"),
                (#"{"cluster_id":"\#(id)","page_token":"garbage"}"#, "page_token"),
                (#"{"cluster_id":"\#(id)","event_types":["EXPLODED"]}"#, "event_types[0]"),
                (#"{"cluster_id":"\#(id)","order":"UP"}"#, "order must be ASC or DESC"),
                (#"{"cluster_id":"\#(id)","start_time":5,"end_time":4}"#, "before start_time"),
                (#"{}"#, "cluster_id is required"),
            ] {
                let reply = try await server.request(.POST, "/api/2.1/clusters/events", json: body)
                #expect(reply.status == 400, "\(body): \(reply.text)")
                #expect(reply.text.contains(fragment), "\(body): \(reply.text)")
            }
        }
    }

    @Test("system.compute.clusters has one row per configuration change, as computed by hand")
    func clustersTable() async throws {
        try await LiveServer.run { server in
            let id = try await Self.create(server, #"{"cluster_name":"etl","num_workers":2,"node_type_id":"m5.large","custom_tags":{"z":"1","a":"2"}}"#)
            _ = try await server.request(.POST, "/api/2.1/clusters/edit", json: #"{"cluster_id":"\#(id)","cluster_name":"etl","autoscale":{"min_workers":2,"max_workers":8}}"#)
            _ = try await server.request(.POST, "/api/2.1/clusters/restart", json: #"{"cluster_id":"\#(id)"}"#)
            _ = try await server.request(.POST, "/api/2.1/clusters/delete", json: #"{"cluster_id":"\#(id)"}"#)
            let rows = try await Self.sql(server, """
                SELECT worker_count, min_autoscale_workers, max_autoscale_workers, worker_node_type, tags['a'], delete_time IS NOT NULL,
                       owned_by, cluster_source, change_date = current_date()
                FROM system.compute.clusters WHERE cluster_id = '\(id)' ORDER BY change_time
                """)
            #expect(rows.count == 3, "restart is not a configuration change: \(rows)")
            // The Statement Execution API answers every value as a string (JSON_ARRAY format).
            #expect(rows[0] == [.string("2"), .null, .null, .string("m5.large"), .string("2"), .string("false"), .string("admin"), .string("API"), .string("true")])
            #expect(rows[1] == [.null, .string("2"), .string("8"), .null, .null, .string("false"), .string("admin"), .string("API"), .string("true")])
            #expect(rows[2][5] == .string("true"))
            // The latest configuration of every cluster, the usual query over an SCD table.
            let latest = try await Self.sql(server, """
                SELECT cluster_id, max_autoscale_workers FROM (
                  SELECT *, row_number() OVER (PARTITION BY cluster_id ORDER BY change_time DESC) AS rn FROM system.compute.clusters) WHERE rn = 1
                """)
            #expect(latest == [[.string(id), .string("8")]])
        }
    }

    @Test("an agent killed mid-run is a lost node; one stopped with SIGTERM leaves cleanly")
    func agentKilled() async throws {
        var configuration = VigilConfiguration()
        configuration.clusterCheckInterval = .milliseconds(100)
        try await LiveServer.run(configuration: configuration) { server in
            let environment = ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
            // Four-second reports: a node is lost after three missed ones (12 s), so a loaded machine (a full parallel
            // test run) delaying a live agent's report by several seconds does not lose it too.
            let driver = try RunningCommand(["agent", "--cluster-id", "lab", "--driver", "--interval", "4", "--instance-id", "drv", "--workers", "2"],
                                            environment: environment)
            let killed = try RunningCommand(["agent", "--cluster-id", "lab", "--interval", "4", "--instance-id", "doomed"], environment: environment)
            let stopped = try RunningCommand(["agent", "--cluster-id", "lab", "--interval", "4", "--instance-id", "polite"], environment: environment)
            try await AppLogsTests.eventually {
                let cluster = try await server.request(.GET, "/api/2.1/clusters/get?cluster_id=lab").json()
                guard case .array(let executors)? = cluster["executors"] else { return false }
                return cluster["state"] == .string("RUNNING") && executors.count == 2
            }
            // Rows arrive every four seconds from each node.
            try await AppLogsTests.eventually {
                (try await Self.sql(server, "SELECT count(DISTINCT instance_id) FROM system.compute.node_timeline WHERE cluster_id = 'lab'")).first == [.string("3")]
            }
            killed.signal(SIGKILL)
            stopped.signal(SIGTERM)
            #expect(try await stopped.wait() == 0)
            try await AppLogsTests.eventually {
                Self.types(try await Self.events(server, #"{"cluster_id":"lab","event_types":["NODES_LOST"]}"#)) == ["NODES_LOST"]
            }
            let lost = try await Self.events(server, #"{"cluster_id":"lab","event_types":["NODES_LOST"]}"#)
            if case .array(let events)? = lost["events"] { #expect(events[0]["details"]?["instance_id"] == .string("doomed")) }
            driver.signal(SIGTERM)
            #expect(try await driver.wait() == 0)
            // Whichever agent reported first registered the cluster.
            #expect([driver, killed, stopped].filter { $0.stderr.contains("registered cluster lab") }.count == 1)
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"vigil_cluster_nodes{cluster_id="lab",status="lost"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"vigil_cluster_state{cluster_id="lab",cluster_name="lab",state="UNKNOWN"} 1"#))
        }
    }

    @Test("an agent keeps its rows while the server is away and sends them when it is back")
    func agentSpools() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let port = try FreePort.find()
        var configuration = VigilConfiguration()
        let token = "dapi" + RandomID.hex()
        configuration.adminToken = Secret(token)
        // The agent starts while nothing listens, writing its spool file.
        let agent = try RunningCommand(
            ["agent", "--cluster-id", "offline", "--driver", "--interval", "1", "--spool-file", folder.file("spool.ndjson")],
            environment: ["VIGIL_HOST": "http://127.0.0.1:\(port)", "VIGIL_TOKEN": token])
        try await AppLogsTests.eventually { FileManager.default.fileExists(atPath: folder.file("spool.ndjson")) && agent.stderr.contains("keeping rows") }
        try await Task.sleep(for: .seconds(2))
        try await LiveServer.run(configuration: configuration, port: port) { server in
            try await AppLogsTests.eventually {
                let rows = try await Self.sql(server, "SELECT count(*) FROM system.compute.node_timeline WHERE cluster_id = 'offline'")
                guard case .string(let text)? = rows.first?.first, let count = Int(text) else { return false }
                return count >= 3
            }
            agent.signal(SIGTERM)
            #expect(try await agent.wait() == 0)
            #expect(agent.stderr.contains("answers again"), "\(agent.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.file("spool.ndjson")))
        }
    }
}
