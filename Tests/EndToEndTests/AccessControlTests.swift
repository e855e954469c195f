import Foundation
import Testing
import NIOHTTP1
import VigilAccess
import VigilAPI
import VigilCore
import VigilStore
import VigilServer
import VigilTesting

/// The principals of the route × role matrix, set up through the API by the admin.
struct Roles: Sendable {
    var tokens: [String: TokenChoice]

    static let names = ["admin", "auditor", "workspace auditor", "plain user", "service principal", "no token", "revoked token", "expired token"]

    static func setUp(_ server: LiveServer) async throws -> Roles {
        func post(_ path: String, _ json: String, method: HTTPMethod = .POST) async throws -> JSONValue {
            let reply = try await server.request(method, path, json: json)
            guard (200..<300).contains(reply.status) else { throw VigilError(.internal, "\(path) answered \(reply.status): \(reply.text)") }
            return try reply.json()
        }
        func token(user: String? = nil, application: String? = nil) async throws -> String {
            let key = user.map { #""user_name":"\#($0)""# } ?? #""application_id":"\#(application!)""#
            guard case .string(let value)? = try await post("/api/2.0/token-management/on-behalf-of/tokens", "{\(key)}")["token_value"] else {
                throw VigilError(.internal, "no token_value")
            }
            return value
        }
        let scim = "/api/2.0/preview/scim/v2"
        for user in ["auditor@x.com", "scoped@x.com", "plain@x.com", "revoked@x.com", "expired@x.com"] {
            _ = try await post(scim + "/Users", #"{"userName":"\#(user)"}"#)
        }
        _ = try await post(scim + "/ServicePrincipals", #"{"applicationId":"producer-app","displayName":"log shipper"}"#)
        _ = try await post("/api/2.0/permissions/audit-logs/all", #"{"access_control_list":[{"user_name":"auditor@x.com","permission_level":"CAN_VIEW"},{"service_principal_name":"producer-app","permission_level":"CAN_USE"}]}"#, method: .PATCH)
        _ = try await post("/api/2.0/permissions/audit-logs/1001", #"{"access_control_list":[{"user_name":"scoped@x.com","permission_level":"CAN_VIEW"}]}"#, method: .PATCH)
        let revoked = try await token(user: "revoked@x.com")
        let list = try await server.request(.GET, "/api/2.0/token/list", token: .value(revoked)).json()
        guard case .array(let infos)? = list["token_infos"], case .string(let id)? = infos.first?["token_id"] else {
            throw VigilError(.internal, "no token to revoke")
        }
        _ = try await server.request(.POST, "/api/2.0/token/delete", body: Array(#"{"token_id":"\#(id)"}"#.utf8), token: .value(revoked))
        // An expired token: issued two days ago for one hour, straight into the store.
        let database = try VigilDatabase(path: server.dataDirectory + "/vigil.sqlite")
        let expiredOwner = try #require(try await Directory(database: database).resolve(userName: "expired@x.com", groupName: nil, servicePrincipalName: nil))
        guard case .principal(let expiredID) = expiredOwner else { throw VigilError(.internal, "not a principal") }
        let past = TokenStore(database: database, clock: FixedWallClock(millis: SystemWallClock().nowMillis() - 2 * 86_400_000))
        let (expired, _) = try await past.create(for: Principal(id: expiredID, userName: "expired@x.com", kind: "user"), comment: nil, lifetimeSeconds: 3600)
        return Roles(tokens: [
            "admin": .admin, "auditor": .value(try await token(user: "auditor@x.com")),
            "workspace auditor": .value(try await token(user: "scoped@x.com")), "plain user": .value(try await token(user: "plain@x.com")),
            "service principal": .value(try await token(application: "producer-app")), "no token": .none,
            "revoked token": .value(revoked), "expired token": .value(expired.revealedValue),
        ])
    }
}

@Suite("Access control")
struct AccessControlTests {
    enum Outcome: String { case allowed, forbidden = "403", unauthenticated = "401", toLogin = "303 to /login" }

    /// Who may call what, written out independently of the route table: a route the table has and this list
    /// lacks fails the test.
    static let categories: [String: String] = [
        "GET /health": "open", "GET /.well-known/databricks-config": "open",
        "POST /api/2.0/audit/events": "ingest", "POST /api/2.0/vigil/compute/node-timeline": "ingest", "POST /api/2.0/vigil/sources/kubernetes": "ingest",
        "GET /api/2.0/vigil/host-logs": "readAll",
        "GET /api/2.0/audit/events": "read", "GET /api/2.0/audit/events/{event_id}": "read",
        "POST /api/2.0/sql/statements": "read",
        "GET /api/2.0/sql/statements/{statement_id}": "own", "GET /api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}": "own",
        "POST /api/2.0/sql/statements/{statement_id}/cancel": "own",
        "POST /api/2.0/token/create": "own", "GET /api/2.0/token/list": "own", "POST /api/2.0/token/delete": "own",
        "GET /api/2.0/preview/scim/v2/Me": "own",
        "POST /api/2.0/token-management/on-behalf-of/tokens": "admin",
        "GET /metrics": "readAll", "GET /api/2.0/vigil/ledger/checkpoint": "readAll", "GET /api/2.0/vigil/ledger/keys": "readAll",
        "GET /api/2.0/vigil/ledger/proof/inclusion": "readAll", "GET /api/2.0/vigil/ledger/proof/consistency": "readAll",
        "POST /api/2.0/vigil/ledger/checkpoint": "admin",
        "GET /api/2.0/preview/scim/v2/Users": "identities", "GET /api/2.0/preview/scim/v2/Users/{id}": "identities",
        "POST /api/2.0/preview/scim/v2/Users": "admin", "PUT /api/2.0/preview/scim/v2/Users/{id}": "admin",
        "PATCH /api/2.0/preview/scim/v2/Users/{id}": "admin", "DELETE /api/2.0/preview/scim/v2/Users/{id}": "admin",
        "GET /api/2.0/preview/scim/v2/ServicePrincipals": "identities", "GET /api/2.0/preview/scim/v2/ServicePrincipals/{id}": "identities",
        "POST /api/2.0/preview/scim/v2/ServicePrincipals": "admin", "PUT /api/2.0/preview/scim/v2/ServicePrincipals/{id}": "admin",
        "PATCH /api/2.0/preview/scim/v2/ServicePrincipals/{id}": "admin", "DELETE /api/2.0/preview/scim/v2/ServicePrincipals/{id}": "admin",
        "GET /api/2.0/preview/scim/v2/Groups": "identities", "GET /api/2.0/preview/scim/v2/Groups/{id}": "identities",
        "POST /api/2.0/preview/scim/v2/Groups": "admin", "PUT /api/2.0/preview/scim/v2/Groups/{id}": "admin",
        "PATCH /api/2.0/preview/scim/v2/Groups/{id}": "admin", "DELETE /api/2.0/preview/scim/v2/Groups/{id}": "admin",
        "POST /api/2.0/groups/create": "admin", "POST /api/2.0/groups/add-member": "admin", "POST /api/2.0/groups/remove-member": "admin",
        "POST /api/2.0/groups/delete": "admin", "GET /api/2.0/groups/list": "identities", "GET /api/2.0/groups/list-members": "identities",
        "GET /api/2.0/groups/list-parents": "identities", "POST /api/2.0/groups/list-parents": "identities",
        "GET /api/2.0/permissions/{object_type}/{object_id}": "identities",
        "GET /api/2.0/permissions/{object_type}/{object_id}/permissionLevels": "identities",
        "PUT /api/2.0/permissions/{object_type}/{object_id}": "admin", "PATCH /api/2.0/permissions/{object_type}/{object_id}": "admin",
        "GET /api/2.0/vigil/access-review": "identities",
        // Apps: the matrix's app (999999) exists for nobody, so only admins (who may use every app) get past the
        // per-app requirement; auditors may read any app's permissions.
        "POST /api/2.0/apps": "own", "GET /api/2.0/apps": "own",
        "GET /api/2.0/apps/{name}": "admin", "PATCH /api/2.0/apps/{name}": "admin", "DELETE /api/2.0/apps/{name}": "admin",
        "POST /api/2.0/apps/{name}/start": "admin", "POST /api/2.0/apps/{name}/stop": "admin",
        "GET /api/2.0/permissions/apps/{name}": "identities", "GET /api/2.0/permissions/apps/{name}/permissionLevels": "identities",
        "PUT /api/2.0/permissions/apps/{name}": "admin", "PATCH /api/2.0/permissions/apps/{name}": "admin",
        "POST /api/2.0/vigil/apps/{name}/logs": "ingest", "GET /api/2.0/vigil/apps/{name}/logs": "admin",
        "GET /api/2.0/vigil/apps/{name}/log-settings": "admin", "PATCH /api/2.0/vigil/apps/{name}/log-settings": "admin",
        "POST /loki/api/v1/push": "own", "POST /v1/logs": "own",
        // Clusters: the cluster is named in the body or query, so with an empty body every caller gets past the
        // middleware to the handler's 400 (the handler's per-cluster decisions are ClustersAPITests'); creating needs
        // the producer role or admin. The matrix's cluster (999999) exists for nobody.
        "POST /api/2.1/clusters/create": "ingest", "POST /api/2.0/clusters/create": "ingest",
        "POST /api/2.1/clusters/edit": "own", "POST /api/2.0/clusters/edit": "own", "POST /api/2.1/clusters/start": "own",
        "POST /api/2.0/clusters/start": "own", "POST /api/2.1/clusters/restart": "own", "POST /api/2.0/clusters/restart": "own",
        "POST /api/2.1/clusters/delete": "own", "POST /api/2.0/clusters/delete": "own", "GET /api/2.1/clusters/get": "own",
        "GET /api/2.0/clusters/get": "own", "GET /api/2.1/clusters/list": "own", "GET /api/2.0/clusters/list": "own",
        "POST /api/2.1/clusters/events": "own", "POST /api/2.0/clusters/events": "own",
        "GET /api/2.0/permissions/clusters/{cluster_id}": "identities", "GET /api/2.0/permissions/clusters/{cluster_id}/permissionLevels": "identities",
        "PUT /api/2.0/permissions/clusters/{cluster_id}": "admin", "PATCH /api/2.0/permissions/clusters/{cluster_id}": "admin",
        "POST /api/2.0/vigil/compute/heartbeat": "own",
        // Jobs: like clusters, the job is in the body, query or run, so every caller reaches the handler's 400 or its
        // own (empty) lists; the handler's per-job decisions are JobsAPITests'.
        "POST /api/2.2/jobs/create": "own", "POST /api/2.1/jobs/create": "own", "POST /api/2.2/jobs/run-now": "own",
        "POST /api/2.1/jobs/run-now": "own", "GET /api/2.2/jobs/list": "own", "GET /api/2.1/jobs/list": "own", "GET /api/2.2/jobs/get": "own",
        "GET /api/2.1/jobs/get": "own", "GET /api/2.2/jobs/runs/list": "own", "GET /api/2.1/jobs/runs/list": "own",
        "GET /api/2.2/jobs/runs/get": "own", "GET /api/2.1/jobs/runs/get": "own", "GET /api/2.2/jobs/runs/get-output": "own",
        "GET /api/2.1/jobs/runs/get-output": "own",
        "GET /api/2.0/permissions/jobs/{job_id}": "identities", "GET /api/2.0/permissions/jobs/{job_id}/permissionLevels": "identities",
        "PUT /api/2.0/permissions/jobs/{job_id}": "admin", "PATCH /api/2.0/permissions/jobs/{job_id}": "admin",
        "POST /api/2.0/vigil/jobs/runs/{run_id}/start": "own", "POST /api/2.0/vigil/jobs/runs/{run_id}/heartbeat": "own",
        "POST /api/2.0/vigil/jobs/runs/{run_id}/finish": "own", "POST /api/2.0/vigil/jobs/runs/{run_id}/output": "own",
        // Detection rules and their alert history: admins.
        "POST /api/2.0/vigil/detections": "admin", "GET /api/2.0/vigil/detections": "admin", "GET /api/2.0/vigil/detections/{id}": "admin",
        "PUT /api/2.0/vigil/detections/{id}": "admin", "DELETE /api/2.0/vigil/detections/{id}": "admin",
        "POST /api/2.0/vigil/detections/{id}/backtest": "admin", "GET /api/2.0/vigil/alert-history": "admin",
        "GET /api/2.0/vigil/alerts/{id}": "admin", "POST /api/2.0/vigil/alerts/{id}/acknowledge": "admin",
        "POST /api/2.0/vigil/silences": "admin", "GET /api/2.0/vigil/silences": "admin", "DELETE /api/2.0/vigil/silences/{id}": "admin",
        "POST /api/2.0/vigil/metric-alarms": "admin", "GET /api/2.0/vigil/metric-alarms": "admin",
        "GET /api/2.0/vigil/metric-alarms/{name}": "admin", "DELETE /api/2.0/vigil/metric-alarms/{name}": "admin",
        // SQL alerts: creating one needs SQL access (the handler checks it); the rest reach the handler, which checks ownership.
        "POST /api/2.0/alerts": "read", "GET /api/2.0/alerts": "own", "GET /api/2.0/alerts/{id}": "own",
        "PATCH /api/2.0/alerts/{id}": "own", "DELETE /api/2.0/alerts/{id}": "own",
        // Notification destinations: admins change them; everyone signed in lists and reads them (config for admins).
        "POST /api/2.0/notification-destinations": "admin", "GET /api/2.0/notification-destinations": "own",
        "GET /api/2.0/notification-destinations/{id}": "own", "PATCH /api/2.0/notification-destinations/{id}": "admin",
        "DELETE /api/2.0/notification-destinations/{id}": "admin",
        "GET /login": "signIn", "POST /login": "signIn", "POST /logout": "own",
        "GET /apps/{name}/logz": "browser", "GET /apps/{name}/logz/stream": "browser",
    ]

    static func expected(category: String, role: String) -> Outcome {
        if category == "open" || category == "signIn" { return .allowed }
        if category == "browser", role == "no token" { return .toLogin }
        if ["no token", "revoked token", "expired token"].contains(role) { return .unauthenticated }
        let allowed: Set<String> =
            switch category {
            case "own": ["admin", "auditor", "workspace auditor", "plain user", "service principal"]
            case "read": ["admin", "auditor", "workspace auditor"]
            case "readAll", "identities": ["admin", "auditor"]
            case "ingest": ["admin", "service principal"]
            case "browser": ["admin"]
            default: ["admin"]
            }
        return allowed.contains(role) ? .allowed : .forbidden
    }

    @Test("every route answers each role as decided: allowed, 403 or 401 (and every route has a decision)")
    func routeRoleMatrix() async throws {
        let routeKeys = RouteTable.all.map { "\($0.method.rawValue) \($0.path)" }
        let undecided = routeKeys.filter { Self.categories[$0] == nil }
        #expect(undecided.isEmpty, "routes without a decision in this test: \(undecided)")
        // Hundreds of requests without a valid token from one address: past the default per-address limit they
        // would be 429s, which is not what this matrix checks (ConnectionSafetyTests does).
        var configuration = VigilConfiguration()
        configuration.unauthenticated = .init(rate: 10_000, burst: 10_000)
        try await LiveServer.run(configuration: configuration) { server in
            let roles = try await Roles.setUp(server)
            var mismatches: [String] = []
            for route in RouteTable.all {
                let key = "\(route.method.rawValue) \(route.path)"
                guard let category = Self.categories[key] else { continue }
                let path = route.path
                    .replacingOccurrences(of: "{object_type}", with: "audit-logs").replacingOccurrences(of: "{object_id}", with: "all")
                    .replacingOccurrences(of: "{chunk_index}", with: "0")
                    .replacingOccurrences(of: #"\{[a-z_]+\}"#, with: "999999", options: .regularExpression)
                let method = HTTPMethod(rawValue: route.method.rawValue)
                for role in Roles.names {
                    let body: [UInt8]? = [.POST, .PUT, .PATCH].contains(method) ? Array("{}".utf8) : nil
                    let reply = try await server.request(method, path, body: body, token: roles.tokens[role]!)
                    let toLogin = reply.status == 303 && (reply.headers.first(name: "Location") ?? "").hasPrefix("/login?next=")
                    let outcome: Outcome = reply.status == 401 ? .unauthenticated : reply.status == 403 ? .forbidden : toLogin ? .toLogin : .allowed
                    let want = Self.expected(category: category, role: role)
                    if outcome != want { mismatches.append("\(key) as \(role): got \(reply.status), want \(want.rawValue)") }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        }
    }

    @Test("a workspace-scoped auditor never sees another workspace's events, through the events API or SQL")
    func workspaceIsolation() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            let scoped = roles.tokens["workspace auditor"]!
            let end = SystemWallClock().nowMillis()
            let events = (0..<40).map { EventFixtures.tableJSON($0, endMillis: end).replacingOccurrences(of: #""workspace_id":"100000"#, with: #""workspace_id":"100"#) }
            let ingest = try await server.request(.POST, "/api/2.0/audit/events", json: "[" + events.joined(separator: ",") + "]")
            #expect(ingest.status == 200, "\(ingest.text)")
            let listed = try await server.request(.GET, "/api/2.0/audit/events?page_size=1000", token: scoped).json()
            guard case .array(let visible)? = listed["events"] else { Issue.record("no events"); return }
            #expect(visible.count == 10)
            #expect(visible.allSatisfy { $0["workspace_id"] == .string("1001") })
            let asked = try await server.request(.GET, "/api/2.0/audit/events?workspace_id=1002", token: scoped).json()
            #expect(asked["events"] == .array([]))
            let other = EventFixtures.event(2, endMillis: end).eventID
            #expect(try await server.request(.GET, "/api/2.0/audit/events/\(other)", token: scoped).status == 404)

            for sql in [
                "SELECT DISTINCT workspace_id FROM system.access.audit",
                "SELECT workspace_id FROM system.access.audit WHERE workspace_id = '1002' OR 1 = 1",
                "SELECT a.workspace_id FROM system.access.audit a JOIN system.access.audit b ON a.event_id = b.event_id",
                "WITH x AS (SELECT * FROM system.access.audit) SELECT workspace_id FROM x UNION ALL SELECT workspace_id FROM (SELECT workspace_id FROM access.audit)",
            ] {
                var writer = JSONWriter()
                writer.beginObject(); writer.key("statement"); writer.string(sql); writer.endObject()
                let reply = try await server.request(.POST, "/api/2.0/sql/statements", body: writer.bytes, token: scoped).json()
                guard case .array(let rows)? = reply["result"]?["data_array"] else { Issue.record("\(sql): \(reply)"); continue }
                #expect(!rows.isEmpty, "\(sql)")
                #expect(rows.allSatisfy { $0 == .array([.string("1001")]) }, "\(sql): \(rows)")
            }
        }
    }

    @Test("nobody but admins can escalate: not through SCIM, the groups API, permissions or group nesting")
    func noEscalation() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            let plain = roles.tokens["plain user"]!
            let groups = try await server.request(.GET, "/api/2.0/preview/scim/v2/Groups?filter=displayName%20eq%20admins").json()
            guard case .array(let found)? = groups["Resources"], case .string(let adminsID)? = found.first?["id"] else {
                Issue.record("no admins group: \(groups)")
                return
            }
            let me = try await server.request(.GET, "/api/2.0/preview/scim/v2/Me", token: plain).json()
            guard case .string(let myID)? = me["id"] else { Issue.record("no id in /Me"); return }
            let attempts: [(HTTPMethod, String, String)] = [
                (.PATCH, "/api/2.0/preview/scim/v2/Groups/\(adminsID)", #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"\#(myID)"}]}]}"#),
                (.POST, "/api/2.0/groups/add-member", #"{"parent_name":"admins","user_name":"plain@x.com"}"#),
                (.PATCH, "/api/2.0/permissions/audit-logs/all", #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_MANAGE"}]}"#),
                (.POST, "/api/2.0/preview/scim/v2/Groups", #"{"displayName":"sneaky","members":[{"value":"\#(myID)"}]}"#),
                (.POST, "/api/2.0/token-management/on-behalf-of/tokens", #"{"user_name":"admin"}"#),
            ]
            for (method, path, body) in attempts {
                let reply = try await server.request(method, path, body: Array(body.utf8), token: plain)
                #expect(reply.status == 403, "\(path): \(reply.status)")
            }
            #expect(try await server.request(.GET, "/api/2.0/preview/scim/v2/Users", token: plain).status == 403)

            // Membership of a group nested inside admins does make an admin (the legitimate path).
            #expect(try await server.request(.POST, "/api/2.0/groups/create", json: #"{"group_name":"ops"}"#).status == 200)
            #expect(try await server.request(.POST, "/api/2.0/groups/add-member", json: #"{"parent_name":"admins","group_name":"ops"}"#).status == 200)
            #expect(try await server.request(.POST, "/api/2.0/groups/add-member", json: #"{"parent_name":"ops","user_name":"plain@x.com"}"#).status == 200)
            #expect(try await server.request(.GET, "/api/2.0/preview/scim/v2/Users", token: plain).status == 200)
            // ... and a cycle through nesting is refused.
            let cycle = try await server.request(.POST, "/api/2.0/groups/add-member", json: #"{"parent_name":"ops","group_name":"admins"}"#)
            #expect(cycle.status == 400)

            // Every refusal above is in the audit log with its 403.
            let denied = try await server.request(.GET, "/api/2.0/audit/events?user=plain@x.com&status_code=403&page_size=100").json()
            guard case .array(let rows)? = denied["events"] else { Issue.record("no audit rows"); return }
            #expect(rows.count >= attempts.count + 1)
        }
    }
}
