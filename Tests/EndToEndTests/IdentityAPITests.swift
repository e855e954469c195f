import Foundation
import NIOHTTP1
import Testing
import VigilCore
import VigilTesting

/// SCIM, the legacy Groups API and the Permissions API as clients see them, and the audit trail they leave.
@Suite("Identity APIs")
struct IdentityAPITests {
    static let scim = "/api/2.0/preview/scim/v2"

    static func json(_ server: LiveServer, _ method: HTTPMethod, _ path: String, _ body: String? = nil, status: Int = 200) async throws -> JSONValue {
        let reply = try await server.request(method, path, body: body.map { Array($0.utf8) })
        #expect(reply.status == status, "\(method) \(path): \(reply.status) \(reply.text)")
        return reply.body.isEmpty ? .null : try reply.json()
    }

    static func id(_ value: JSONValue) -> String {
        if case .string(let id)? = value["id"] { return id }
        return ""
    }

    @Test("SCIM lists filter, page until an empty Resources page, and project attributes; PATCH and PUT change users and groups")
    func scim() async throws {
        try await LiveServer.run { server in
            for n in 0..<5 {
                _ = try await Self.json(server, .POST, Self.scim + "/Users", #"{"userName":"user\#(n)@x.com","displayName":"User \#(n)"}"#, status: 201)
            }
            let filtered = try await Self.json(server, .GET, Self.scim + "/Users?filter=userName%20sw%20%22user1%22%20or%20displayName%20eq%20%22user%203%22")
            #expect(filtered["totalResults"] == .number("2"))
            let page = try await Self.json(server, .GET, Self.scim + "/Users?startIndex=5&count=2&sortBy=userName")
            guard case .array(let resources)? = page["Resources"] else { Issue.record("no Resources"); return }
            #expect(resources.map { $0["userName"] } == [.string("user3@x.com"), .string("user4@x.com")])
            #expect(page["totalResults"] == .number("6"))
            let past = try await Self.json(server, .GET, Self.scim + "/Users?startIndex=7&count=2")
            #expect(past["Resources"] == .array([]))
            let projected = try await Self.json(server, .GET, Self.scim + "/Users?attributes=userName&filter=userName%20eq%20user0@x.com")
            guard case .array(let only)? = projected["Resources"], case .object(let fields)? = only.first else { Issue.record("no user"); return }
            #expect(Set(fields.map(\.key)) == ["schemas", "id", "userName"])
            let bad = try await server.request(.GET, Self.scim + "/Users?filter=userName%20like%20x")
            #expect(bad.status == 400)
            #expect(try bad.json()["schemas"] == .array([.string("urn:ietf:params:scim:api:messages:2.0:Error")]))
            #expect(try bad.json()["status"] == .string("400"))
            let deep = String(repeating: "%28", count: 5000) + "id%20pr" + String(repeating: "%29", count: 5000)
            #expect(try await server.request(.GET, Self.scim + "/Users?filter=" + deep).status == 400)

            let list = try await Self.json(server, .GET, Self.scim + "/Users?filter=userName%20eq%20user2@x.com")
            guard case .array(let found)? = list["Resources"], let first = found.first else { Issue.record("user2 missing"); return }
            let userID = Self.id(first)
            let patch = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":[{"value":"false"}]}]}"#
            #expect(try await Self.json(server, .PATCH, Self.scim + "/Users/\(userID)", patch)["active"] == .bool(false))
            #expect(try await Self.json(server, .PUT, Self.scim + "/Users/\(userID)", #"{"userName":"renamed@x.com","active":true}"#)["userName"] == .string("renamed@x.com"))

            let group = try await Self.json(server, .POST, Self.scim + "/Groups", #"{"displayName":"team","members":[{"value":"\#(userID)"}]}"#, status: 201)
            let groupID = Self.id(group)
            let inner = Self.id(try await Self.json(server, .POST, Self.scim + "/Groups", #"{"displayName":"inner"}"#, status: 201))
            let add = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":{"members":[{"value":"\#(inner)"}]}}]}"#
            let grown = try await Self.json(server, .PATCH, Self.scim + "/Groups/\(groupID)", add)
            guard case .array(let members)? = grown["members"] else { Issue.record("no members"); return }
            #expect(members.count == 2)
            let remove = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"\#(userID)\"]"}]}"#
            let shrunk = try await Self.json(server, .PATCH, Self.scim + "/Groups/\(groupID)", remove)
            #expect(shrunk["members"]?[0]?["value"] == .string(inner))
            #expect(try await server.request(.DELETE, Self.scim + "/Groups/\(groupID)").status == 204)
            #expect(try await server.request(.GET, Self.scim + "/Groups/\(groupID)").status == 404)
            #expect(try await server.request(.POST, Self.scim + "/Users", json: #"{"userName":"renamed@x.com"}"#).status == 409)

            // The changes are in the audit log under Databricks' accounts action names.
            let actions = try await Self.json(server, .GET, "/api/2.0/audit/events?service_name=accounts&page_size=200")
            guard case .array(let events)? = actions["events"] else { Issue.record("no events"); return }
            let names = Set(events.compactMap { if case .string(let name)? = $0["action_name"] { name } else { nil } })
            #expect(names.isSuperset(of: ["createUser", "updateUser", "createGroup", "addPrincipalToGroup", "removePrincipalFromGroup", "removeGroup"]))
        }
    }

    @Test("the legacy Groups API takes query strings and text/json bodies and answers {}")
    func legacyGroups() async throws {
        try await LiveServer.run { server in
            _ = try await Self.json(server, .POST, Self.scim + "/Users", #"{"userName":"a@x.com"}"#, status: 201)
            let created = try await server.request(.POST, "/api/2.0/groups/create", body: Array(#"{"group_name":"g1"}"#.utf8), contentType: "text/json")
            #expect(created.status == 200)
            #expect(try created.json() == .object([JSONMember("group_name", .string("g1"))]))
            let added = try await server.request(.POST, "/api/2.0/groups/add-member?parent_name=g1&user_name=a@x.com", body: nil)
            #expect(added.status == 200 && added.text == "{}")
            // GET with a JSON body, as the docs' curl does.
            let members = try await server.request(.GET, "/api/2.0/groups/list-members", body: Array(#"{"group_name":"g1"}"#.utf8), contentType: "text/json")
            #expect(try members.json() == .object([JSONMember("members", .array([.object([JSONMember("user_name", .string("a@x.com"))])]))]))
            let missing = try await server.request(.GET, "/api/2.0/groups/list-members?group_name=nope")
            #expect(missing.status == 404)
            #expect(try missing.json()["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))
            #expect(try await server.request(.POST, "/api/2.0/groups/create", json: #"{"group_name":"g1"}"#).status == 409)
            #expect(try await server.request(.POST, "/api/2.0/groups/create", json: "{}").status == 400)
        }
    }

    @Test("permission changes are audited as changeAuditLogsAcl and the permission-change SQL reads them")
    func permissionsAudited() async throws {
        try await LiveServer.run { server in
            _ = try await Self.json(server, .POST, Self.scim + "/Users", #"{"userName":"eve@x.com"}"#, status: 201)
            _ = try await Self.json(server, .POST, Self.scim + "/Groups", #"{"displayName":"auditors"}"#, status: 201)
            _ = try await Self.json(
                server, .PUT, "/api/2.0/permissions/audit-logs/1001",
                #"{"access_control_list":[{"user_name":"eve@x.com","permission_level":"CAN_VIEW"},{"group_name":"auditors","permission_level":"CAN_MANAGE"}]}"#)
            let acl = try await Self.json(server, .GET, "/api/2.0/permissions/audit-logs/1001")
            #expect(acl["object_id"] == .string("/audit-logs/1001"))
            #expect(acl["access_control_list"]?[0]?["group_name"] == .string("admins"))
            #expect(acl["access_control_list"]?[0]?["all_permissions"]?[0]?["inherited"] == .bool(true))
            #expect(acl["access_control_list"]?[1]?["user_name"] == .string("eve@x.com"))
            let refused = try await server.request(.PATCH, "/api/2.0/permissions/audit-logs/1001", json: #"{"access_control_list":[{"user_name":"eve@x.com","permission_level":"CAN_USE"}]}"#)
            #expect(refused.status == 400)
            #expect(try await server.request(.PATCH, "/api/2.0/permissions/audit-logs/all", json: #"{"access_control_list":[{"user_name":"nobody@x.com","permission_level":"CAN_VIEW"}]}"#).status == 400)
            #expect(try await server.request(.GET, "/api/2.0/permissions/warehouses/abc").status == 404)
            // An unknown cluster is INVALID_PARAMETER_VALUE, as Databricks answers it everywhere.
            #expect(try await server.request(.GET, "/api/2.0/permissions/clusters/abc").status == 400)

            var writer = JSONWriter()
            writer.beginObject()
            writer.key("statement")
            writer.string("""
                SELECT request_params.request_object_id AS object_id, permission.user_name, permission.group_name, permission.permission_level
                FROM (SELECT request_params, explode(from_json(request_params.access_control_list,
                  'array<struct<user_name:string,group_name:string,permission_level:string>>')) AS permission
                  FROM system.access.audit WHERE action_name = 'changeAuditLogsAcl')
                ORDER BY permission.permission_level DESC
                """)
            writer.endObject()
            let rows = try await server.request(.POST, "/api/2.0/sql/statements", body: writer.bytes).json()
            #expect(rows["result"]?["data_array"] == .array([
                .array([.string("1001"), .string("eve@x.com"), .null, .string("CAN_VIEW")]),
                .array([.string("1001"), .null, .string("auditors"), .string("CAN_MANAGE")]),
            ]), "\(rows)")
        }
    }

    @Test("who may create tokens is a permission: users have CAN_USE on authorization/tokens until an admin narrows it")
    func tokenPermission() async throws {
        try await LiveServer.run { server in
            _ = try await Self.json(server, .POST, Self.scim + "/Users", #"{"userName":"ty@x.com"}"#, status: 201)
            let issued = try await Self.json(server, .POST, "/api/2.0/token-management/on-behalf-of/tokens", #"{"user_name":"ty@x.com"}"#)
            guard case .string(let token)? = issued["token_value"] else { Issue.record("no token"); return }
            let acl = try await Self.json(server, .GET, "/api/2.0/permissions/authorization/tokens")
            #expect(acl["access_control_list"]?[1]?["group_name"] == .string("users"))
            #expect(try await server.request(.POST, "/api/2.0/token/create", json: "{}", token: .value(token)).status == 200)
            _ = try await Self.json(server, .PUT, "/api/2.0/permissions/authorization/tokens", #"{"access_control_list":[]}"#)
            let refused = try await server.request(.POST, "/api/2.0/token/create", json: "{}", token: .value(token))
            #expect(refused.status == 403)
            #expect(try await server.request(.GET, "/api/2.0/token/list", token: .value(token)).status == 200)
            let audit = try await Self.json(server, .GET, "/api/2.0/audit/events?action_name=changeDbTokenAcl")
            #expect(audit["events"]?[0]?["service_name"] == .string("accounts"))
        }
    }

    @Test("vigil users, groups, permissions, tokens --user-name and access review drive the same APIs")
    func cli() async throws {
        try await LiveServer.run { server in
            let environment = CLITests.environment(server)
            func vigil(_ arguments: [String]) async throws -> CommandRunner.Result {
                let result = try await CommandRunner.run(arguments, environment: environment)
                #expect(result.status == 0, "vigil \(arguments.joined(separator: " ")): \(result.stderr)")
                return result
            }
            _ = try await vigil(["users", "create", "--user-name", "zoe@x.com", "--display-name", "Zoe"])
            #expect(try await vigil(["users", "list"]).stdout.contains("zoe@x.com"))
            _ = try await vigil(["groups", "create", "--group-name", "auditors"])
            _ = try await vigil(["groups", "add-member", "--parent-name", "auditors", "--user-name", "zoe@x.com"])
            let members = try await vigil(["groups", "list-members", "--group-name", "auditors"])
            #expect(try JSONParser.parse(members.stdout)["members"] == .array([.object([JSONMember("user_name", .string("zoe@x.com"))])]))
            #expect(try await vigil(["groups", "list-members", "--group-name", "admins"]).stdout.contains("\"admin\""))
            _ = try await vigil(["permissions", "update", "audit-logs", "all", "--group-name", "auditors", "--level", "CAN_VIEW"])
            let token = try await vigil(["tokens", "create", "--user-name", "zoe@x.com", "--comment", "zoe's laptop"])
            guard case .string(let zoeToken)? = try JSONParser.parse(token.stdout)["token_value"] else { Issue.record("no token"); return }
            let asZoe = try await CommandRunner.run(["sql", "SELECT count(*) AS n FROM system.access.audit"], environment: ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": zoeToken])
            #expect(asZoe.status == 0, "\(asZoe.stderr)")
            let denied = try await CommandRunner.run(["groups", "create", "--group-name", "x"], environment: ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": zoeToken])
            #expect(denied.status == 1)
            #expect(denied.stderr.contains("PERMISSION_DENIED"))
            let review = try await vigil(["access", "review", "--days", "30"])
            let zoeLine = review.stdout.split(separator: "\n").first { $0.hasPrefix("zoe@x.com") && $0.contains("audit-logs/all") }
            #expect(zoeLine.map { $0.contains("CAN_VIEW") && $0.hasSuffix("auditors") } == true, "\(review.stdout)")
            #expect(review.stdout.contains("zoe's laptop"))
            let usage = try await CommandRunner.run(["groups", "add-member", "--parent-name", "auditors"], environment: environment)
            #expect(usage.status == 2)
        }
    }
}

extension JSONValue {
    /// Element `index` of an array (tests read nested JSON compactly).
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
