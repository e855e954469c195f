import Foundation
import NIOHTTP1
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// The Apps API against a live server: shapes, errors, permissions, and the audit events the Databricks Apps
/// logging page's two queries read.
@Suite("Apps API")
struct AppsAPITests {
    static func create(_ server: LiveServer, _ json: String, token: TokenChoice = .admin) async throws -> HTTPExchange {
        try await server.request(.POST, "/api/2.0/apps", body: Array(json.utf8), token: token)
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { text } else { nil }
    }

    @Test("create answers the App with what was sent, kept exactly, and the server's read-only fields")
    func create() async throws {
        var configuration = VigilConfiguration()
        configuration.publicURL = "https://vigil.example.com/"
        try await LiveServer.run(configuration: configuration) { server in
            let reply = try await Self.create(server, #"""
                {"name":"shop","description":"Online shop","user_api_scopes":["sql","iam.current-user:read"],
                 "resources":[{"name":"warehouse","sql_warehouse":{"id":"e9ca293f79a74b5c","permission":"CAN_USE"}},{"name":"n","x":1.50}],
                 "budget_policy_id":"bp-1","compute_size":"MEDIUM","id":"ignored","creator":"ignored too"}
                """#)
            #expect(reply.status == 200, "\(reply.text)")
            let app = try reply.json()
            #expect(app["name"] == .string("shop"))
            #expect(app["description"] == .string("Online shop"))
            #expect(app["user_api_scopes"] == .array([.string("sql"), .string("iam.current-user:read")]))
            #expect(reply.text.contains(#""resources":[{"name":"warehouse","sql_warehouse":{"id":"e9ca293f79a74b5c","permission":"CAN_USE"}},{"name":"n","x":1.50}]"#))
            #expect(app["budget_policy_id"] == .string("bp-1") && app["compute_size"] == .string("MEDIUM"))
            let id = try #require(Self.string(app["id"]))
            #expect(UUID(uuidString: id) != nil)
            #expect(app["url"] == .string("https://vigil.example.com/apps/shop"))
            #expect(app["creator"] == .string("admin") && app["updater"] == .string("admin"))
            #expect(Timestamp.parseRFC3339(Self.string(app["create_time"]) ?? "") != nil)
            #expect(app["compute_status"]?["state"] == .string("ACTIVE"))
            #expect(app["app_status"]?["state"] == .string("RUNNING"))
            // GET answers the same App.
            let got = try await server.request(.GET, "/api/2.0/apps/shop")
            #expect(try got.json() == app)
        }
    }

    @Test("without --public-url the app URL is where the server listens")
    func defaultURL() async throws {
        try await LiveServer.run { server in
            let app = try await Self.create(server, #"{"name":"shop"}"#).json()
            #expect(app["url"] == .string("\(server.baseURL)/apps/shop"))
        }
    }

    @Test("errors as Databricks answers them: a bad name 400 with the rule, a taken one 409, an unknown one 404")
    func errors() async throws {
        try await LiveServer.run { server in
            for (body, fragment) in [
                (#"{"name":"Shop"}"#, "lowercase letters"), (#"{"name":"a"}"#, "2 to 30 characters"),
                (#"{"name":"this-name-is-longer-than-thirty"}"#, "got 31 characters"), (#"{"name":"a_b"}"#, "'_'"),
                (#"{"description":"no name"}"#, "name is required"), (#"{"name":"ok","colour":"red"}"#, "unknown field 'colour'"),
                (#"{"name":"ok","user_api_scopes":"sql"}"#, "user_api_scopes must be an array"), (#"{"name":"ok","resources":[1]}"#, "resources[0]"),
                (#"{"name":"ok","name":"twice"}"#, "not valid JSON"), ("[]", "App object"),
            ] {
                let reply = try await Self.create(server, body)
                #expect(reply.status == 400, "\(body): \(reply.status)")
                #expect(try reply.json()["error_code"] == .string("INVALID_PARAMETER_VALUE"), "\(body)")
                #expect(reply.text.contains(fragment), "\(body): \(reply.text)")
            }
            #expect(try await Self.create(server, #"{"name":"shop"}"#).status == 200)
            let duplicate = try await Self.create(server, #"{"name":"shop"}"#)
            #expect(duplicate.status == 409)
            #expect(try duplicate.json()["error_code"] == .string("RESOURCE_ALREADY_EXISTS"))
            for (method, path) in [(HTTPMethod.GET, "/api/2.0/apps/nope"), (.DELETE, "/api/2.0/apps/nope"), (.POST, "/api/2.0/apps/nope/start"),
                                   (.PATCH, "/api/2.0/apps/nope"), (.GET, "/api/2.0/permissions/apps/nope")] {
                let reply = try await server.request(method, path, body: method == .GET || method == .DELETE ? nil : Array(#"{"name":"nope"}"#.utf8))
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(try reply.json()["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"), "\(method) \(path)")
            }
            #expect(try await server.request(.GET, "/api/2.0/apps?page_size=0").status == 400)
            #expect(try await server.request(.GET, "/api/2.0/apps?page_token=garbage").status == 400)
            #expect(try await server.request(.GET, "/api/2.0/apps?colour=red").status == 400)
        }
    }

    @Test("update replaces the whole App (omitted fields are cleared), keeps read-only fields, and refuses a rename")
    func update() async throws {
        try await LiveServer.run { server in
            let created = try await Self.create(server, #"{"name":"shop","description":"v1","user_api_scopes":["sql"],"compute_size":"LARGE"}"#).json()
            let reply = try await server.request(.PATCH, "/api/2.0/apps/shop", json: #"{"name":"shop","description":"v2"}"#)
            #expect(reply.status == 200, "\(reply.text)")
            let updated = try reply.json()
            #expect(updated["description"] == .string("v2"))
            #expect(updated["user_api_scopes"] == nil && updated["compute_size"] == nil)
            #expect(updated["id"] == created["id"] && updated["create_time"] == created["create_time"])
            // An App read back and sent as is (output-only fields included) is accepted.
            let roundTrip = try await server.request(.PATCH, "/api/2.0/apps/shop", body: Array(JSONWriter.text(of: updated).utf8))
            #expect(roundTrip.status == 200, "\(roundTrip.text)")
            let rename = try await server.request(.PATCH, "/api/2.0/apps/shop", json: #"{"name":"other"}"#)
            #expect(rename.status == 400 && rename.text.contains("cannot be renamed"))
        }
    }

    @Test("start and stop set compute_status; create with no_compute starts stopped; delete answers the App and removes it")
    func lifecycle() async throws {
        try await LiveServer.run { server in
            _ = try await Self.create(server, #"{"name":"shop"}"#)
            let stopped = try await server.request(.POST, "/api/2.0/apps/shop/stop", json: "{}").json()
            #expect(stopped["compute_status"]?["state"] == .string("STOPPED") && stopped["app_status"]?["state"] == .string("UNAVAILABLE"))
            let started = try await server.request(.POST, "/api/2.0/apps/shop/start", json: "{}").json()
            #expect(started["compute_status"]?["state"] == .string("ACTIVE"))
            let quiet = try await server.request(.POST, "/api/2.0/apps?no_compute=true", json: #"{"name":"quiet"}"#).json()
            #expect(quiet["compute_status"]?["state"] == .string("STOPPED"))
            let deleted = try await server.request(.DELETE, "/api/2.0/apps/shop")
            #expect(deleted.status == 200)
            #expect(try deleted.json()["name"] == .string("shop"))
            #expect(try await server.request(.GET, "/api/2.0/apps/shop").status == 404)
            // The name is free again, and the new app starts with no grants but its creator's.
            #expect(try await Self.create(server, #"{"name":"shop"}"#).status == 200)
        }
    }

    @Test("list pages with page_size and next_page_token through every app, each once, and shows each caller only the apps it may use")
    func list() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            for name in ["app-c", "app-a", "app-e", "app-b", "app-d"] { _ = try await Self.create(server, #"{"name":"\#(name)"}"#) }
            var names: [String] = []
            var token: String?
            repeat {
                let query = "page_size=2" + (token.map { "&page_token=\($0)" } ?? "")
                let page = try await server.request(.GET, "/api/2.0/apps?\(query)").json()
                guard case .array(let apps)? = page["apps"] else { Issue.record("\(page)"); return }
                #expect(apps.count <= 2)
                names += apps.compactMap { Self.string($0["name"]) }
                token = Self.string(page["next_page_token"])
            } while token != nil
            #expect(names == ["app-a", "app-b", "app-c", "app-d", "app-e"])
            let plain = roles.tokens["plain user"]!
            #expect(try await server.request(.GET, "/api/2.0/apps", token: plain).json()["apps"] == .array([]))
            let grant = try await server.request(
                .PATCH, "/api/2.0/permissions/apps/app-d", json: #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_USE"}]}"#)
            #expect(grant.status == 200, "\(grant.text)")
            let visible = try await server.request(.GET, "/api/2.0/apps", token: plain).json()
            guard case .array(let apps)? = visible["apps"] else { Issue.record("\(visible)"); return }
            #expect(apps.map { Self.string($0["name"]) } == ["app-d"])
        }
    }

    @Test("app permissions: the creator manages, CAN_USE reads, others are refused; levels are CAN_USE and CAN_MANAGE")
    func permissions() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            let plain = roles.tokens["plain user"]!
            let auditor = roles.tokens["auditor"]!
            // A non-admin creates the app and manages it.
            #expect(try await Self.create(server, #"{"name":"plain-app"}"#, token: plain).status == 200)
            let view = try await server.request(.GET, "/api/2.0/permissions/apps/plain-app", token: plain).json()
            #expect(view["object_id"] == .string("/apps/plain-app") && view["object_type"] == .string("apps"))
            guard case .array(let acl)? = view["access_control_list"] else { Issue.record("\(view)"); return }
            let creator = acl.first { $0["user_name"] == .string("plain@x.com") }
            #expect(creator?["all_permissions"] == .array([.object([JSONMember("permission_level", .string("CAN_MANAGE")), JSONMember("inherited", .bool(false))])]))
            #expect(acl.contains { $0["group_name"] == .string("admins") })
            // The creator gives the auditor CAN_USE: the auditor reads the app but cannot change it.
            let given = try await server.request(
                .PUT, "/api/2.0/permissions/apps/plain-app",
                body: Array(#"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_MANAGE"},{"user_name":"auditor@x.com","permission_level":"CAN_USE"}]}"#.utf8),
                token: plain)
            #expect(given.status == 200, "\(given.text)")
            #expect(try await server.request(.GET, "/api/2.0/apps/plain-app", token: auditor).status == 200)
            #expect(try await server.request(.POST, "/api/2.0/apps/plain-app/stop", json: "{}", token: auditor).status == 403)
            let denied = try await server.request(.PATCH, "/api/2.0/apps/plain-app", json: #"{"name":"plain-app"}"#, token: auditor)
            #expect(denied.status == 403 && denied.text.contains("CAN_MANAGE on apps/plain-app"))
            // Someone with no grant is refused, as for an app that does not exist (nothing leaks).
            let scoped = roles.tokens["workspace auditor"]!
            #expect(try await server.request(.GET, "/api/2.0/apps/plain-app", token: scoped).status == 403)
            #expect(try await server.request(.GET, "/api/2.0/apps/no-such-app", token: scoped).status == 403)
            let levels = try await server.request(.GET, "/api/2.0/permissions/apps/plain-app/permissionLevels", token: plain).json()
            #expect(levels["permission_levels"].map { JSONWriter.text(of: $0) }?.contains("CAN_USE") == true)
            for (body, fragment) in [
                (#"{"access_control_list":[{"user_name":"auditor@x.com","permission_level":"CAN_VIEW"}]}"#, "not valid for apps"),
                (#"{"access_control_list":[{"user_name":"ghost@x.com","permission_level":"CAN_USE"}]}"#, "does not exist"),
                (#"{"access_control_list":[{"permission_level":"CAN_USE"}]}"#, "exactly one of"),
            ] {
                let reply = try await server.request(.PATCH, "/api/2.0/permissions/apps/plain-app", body: Array(body.utf8), token: plain)
                #expect(reply.status == 400 && reply.text.contains(fragment), "\(body): \(reply.text)")
            }
            // Deleting the app takes its grants with it: a new app of the same name starts clean.
            #expect(try await server.request(.DELETE, "/api/2.0/apps/plain-app", token: plain).status == 200)
            #expect(try await Self.create(server, #"{"name":"plain-app"}"#).status == 200)
            #expect(try await server.request(.GET, "/api/2.0/apps/plain-app", token: auditor).status == 403)
        }
    }

    @Test("each change is audited as Databricks records it, and the two seed queries read exactly those events")
    func auditEventsAndSeedQueries() async throws {
        try await LiveServer.run { server in
            _ = try await Roles.setUp(server)
            #expect(try await Self.create(server, #"{"name":"sales-app","user_api_scopes":["sql","files.files"]}"#).status == 200)
            #expect(try await Self.create(server, #"{"name":"empty-scopes","user_api_scopes":[]}"#).status == 200)
            #expect(try await Self.create(server, #"{"name":"no-scopes","description":"none"}"#).status == 200)
            #expect(try await server.request(.PATCH, "/api/2.0/apps/sales-app", json: #"{"name":"sales-app","user_api_scopes":["sql"]}"#).status == 200)
            #expect(try await Self.create(server, #"{"name":"Bad"}"#).status == 400)
            #expect(try await server.request(.POST, "/api/2.0/apps/no-scopes/stop", json: "{}").status == 200)
            #expect(try await server.request(.POST, "/api/2.0/apps/no-scopes/start", json: "{}").status == 200)
            #expect(try await server.request(.DELETE, "/api/2.0/apps/no-scopes").status == 200)
            let acl = #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_USE"},{"group_name":"users","permission_level":"CAN_MANAGE"}]}"#
            #expect(try await server.request(.PATCH, "/api/2.0/permissions/apps/sales-app", json: acl).status == 200)

            let events = try await server.request(.GET, "/api/2.0/audit/events?service_name=apps&order=asc&page_size=100").json()
            guard case .array(let rows)? = events["events"] else { Issue.record("\(events)"); return }
            let actions = rows.compactMap { row -> String? in
                guard let action = Self.string(row["action_name"]) else { return nil }
                return "\(action) \(row["response"]?["status_code"].map { JSONWriter.text(of: $0) } ?? "")"
            }
            #expect(actions == ["createApp 200", "createApp 200", "createApp 200", "updateApp 200", "createApp 400", "stopApp 200", "startApp 200",
                                "deleteApp 200", "changeAppsAcl 200"])
            #expect(rows[0]["request_params"]?["app"] == .string(#"{"name":"sales-app","user_api_scopes":["sql","files.files"]}"#))
            #expect(rows[1]["request_params"]?["app"] == .string(#"{"name":"empty-scopes","user_api_scopes":[]}"#))
            #expect(rows[5]["request_params"]?["name"] == .string("no-scopes"))
            #expect(rows[8]["request_params"]?["request_object_type"] == .string("apps"))
            #expect(rows[8]["request_params"]?["request_object_id"] == .string("sales-app"))
            #expect(rows[8]["request_params"]?["access_control_list"]
                    == .string(#"[{"user_name":"plain@x.com","permission_level":"CAN_USE"},{"group_name":"users","permission_level":"CAN_MANAGE"}]"#))
            #expect(rows.allSatisfy { $0["user_identity"]?["email"] == .string("admin") })

            let today = Timestamp.formatDate(millis: SystemWallClock().nowMillis())
            let (_, permissionChanges) = try await SQLStatementTests.execute(server, try SQLGolden.load("seed-a-app-permission-changes").sql)
            #expect(permissionChanges["result"]?["data_array"] == .array([
                .array([.string(today), .string("sales-app"), .string("admin"), .string("plain@x.com"), .null, .string("CAN_USE")]),
                .array([.string(today), .string("sales-app"), .string("admin"), .null, .string("users"), .string("CAN_MANAGE")]),
            ]), "\(permissionChanges)")
            let (_, scopes) = try await SQLStatementTests.execute(server, try SQLGolden.load("seed-b-app-user-api-scopes").sql)
            guard case .array(let scopeRows)? = scopes["result"]?["data_array"] else { Issue.record("\(scopes)"); return }
            let found = Set(scopeRows.map(JSONWriter.text(of:)))
            #expect(found == Set([
                #"["\#(today)","sales-app","admin","[\"sql\",\"files.files\"]"]"#, #"["\#(today)","empty-scopes","admin","[]"]"#,
                #"["\#(today)","sales-app","admin","[\"sql\"]"]"#,
            ]), "\(scopeRows)")
        }
    }
}
