import Hummingbird
import VigilAccess
import VigilAlerts
import VigilCore
import VigilNotify
import VigilStore

/// `/api/2.0/alerts`: SQL alerts in the Databricks Alerts V2 shape, so `w.alerts_v2` in databricks-sdk works. Any
/// user who may run SQL creates alerts; an alert's query runs with its owner's access. Owners and admins read,
/// change and trash an alert; to everyone else it does not exist.
struct SQLAlertsController {
    let store: SQLAlertStore
    let destinations: DestinationStore

    static let maxBodyBytes = 2 << 20

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/alerts"), use: create)
        router.on(RouteTable.entry(.get, "/api/2.0/alerts"), use: list)
        router.on(RouteTable.entry(.get, "/api/2.0/alerts/{id}"), use: get)
        router.on(RouteTable.entry(.patch, "/api/2.0/alerts/{id}"), use: update)
        router.on(RouteTable.entry(.delete, "/api/2.0/alerts/{id}"), use: trash)
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let owner = try Self.sqlReader(context)
        let body = try await Self.body(request)
        let definition = try await check(body, owner: owner)
        let stored = try await store.create(definition, owner: owner)
        context.auditNote.set("alert_id", stored.id)
        context.auditNote.set("display_name", definition.displayName)
        return JSONResponse.make(JSONWriter.text(of: stored.json).utf8Bytes)
    }

    @Sendable func update(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["update_mask"])
        let existing = try await visible(context)
        let body = try await Self.body(request)
        let merged = try SQLAlertDefinition.merge(existing.definition, body, mask: try query.string("update_mask") ?? "")
        let definition = try await check(merged, owner: existing.ownerUserName)
        let stored = try await store.update(id: existing.id, definition)
        return JSONResponse.make(JSONWriter.text(of: stored.json).utf8Bytes)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        return JSONResponse.make(JSONWriter.text(of: try await visible(context, trashedToo: true).json).utf8Bytes)
    }

    @Sendable func trash(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["purge"])
        let purge = try query.string("purge").map { text -> Bool in
            guard let flag = Bool(text) else { throw VigilError(.invalidParameter, "purge must be true or false") }
            return flag
        } ?? false
        let existing = try await visible(context)
        try await store.trash(id: existing.id, purge: purge)
        return JSONResponse.make(Array("{}".utf8))
    }

    /// The caller's alerts (an admin's: everyone's), ACTIVE ones, in id order; `page_token` is the last id of the
    /// previous page.
    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["page_size", "page_token"])
        let pageSize = try query.integer("page_size", range: 1...1000) ?? 100
        let access = try context.requireAccess()
        let owner = access.isAdmin ? nil : try context.requirePrincipal().userName
        let page = try await store.list(owner: owner, after: try query.string("page_token"), limit: pageSize + 1)
        var members = [JSONMember("alerts", .array(page.prefix(pageSize).map(\.json)))]
        if page.count > pageSize, let last = page.prefix(pageSize).last { members.append(JSONMember("next_page_token", .string(last.id))) }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    // MARK: Helpers

    /// The caller, who must be allowed to run SQL: the alert's query will run with their access.
    static func sqlReader(_ context: VigilRequestContext) throws -> String {
        guard try context.requireAccess().auditScope != nil else {
            throw VigilError(.permissionDenied, "creating a SQL alert needs access to run SQL over the audit log (CAN_VIEW on audit-logs)")
        }
        return try context.requirePrincipal().userName
    }

    /// The alert in the path when the caller owns it or is an admin; otherwise it does not exist for them.
    func visible(_ context: VigilRequestContext, trashedToo: Bool = false) async throws -> StoredSQLAlert {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 64 else { throw VigilError(.invalidParameter, "the alert id is invalid") }
        context.auditNote.set("alert_id", id)
        guard let stored = try await store.alert(id: id), trashedToo || stored.lifecycleState == "ACTIVE" else { throw SQLAlertStore.notFound(id) }
        let access = try context.requireAccess()
        let caller = try context.requirePrincipal().userName
        guard access.isAdmin || stored.ownerUserName == caller else { throw SQLAlertStore.notFound(id) }
        return stored
    }

    /// Checks a definition, its `run_as` (only the owner) and that its destinations exist.
    func check(_ value: JSONValue, owner: String) async throws -> SQLAlertDefinition {
        let definition = try SQLAlertDefinition.decode(value)
        for key in ["user_name", "service_principal_name"] {
            if case .string(let name)? = value["run_as"]?[key], name != owner {
                throw VigilError(.invalidParameter, "run_as.\(key): an alert runs as its owner (\(owner)); running as someone else is not supported")
            }
        }
        if case .string(let name)? = value["run_as_user_name"], name != owner {
            throw VigilError(.invalidParameter, "run_as_user_name: an alert runs as its owner (\(owner)); running as someone else is not supported")
        }
        let directory = Directory(database: store.database, clock: store.clock)
        for reference in definition.subscriptions {
            if reference.hasPrefix("email:") {
                // Only users of this server: an alert must not make the mail relay write to any address on the internet.
                let address = String(reference.dropFirst("email:".count))
                guard try await directory.resolve(userName: address, groupName: nil, servicePrincipalName: nil) != nil else {
                    throw VigilError(.invalidParameter, "evaluation.notification.subscriptions: user_email \(address.prefix(64)) is not a user of this server")
                }
            } else if try await destinations.destination(id: reference) == nil {
                throw VigilError(.invalidParameter, "evaluation.notification.subscriptions: notification destination \(reference.prefix(64)) does not exist")
            }
        }
        return definition
    }

    static func body(_ request: Request) async throws -> JSONValue {
        let bytes = try await RequestBody.collect(request, limit: maxBodyBytes)
        do {
            return try JSONParser.parse(bytes, rejectsDuplicateKeys: true)
        } catch {
            throw VigilError(.invalidParameter, "the request body is not valid JSON: \(error)")
        }
    }
}
