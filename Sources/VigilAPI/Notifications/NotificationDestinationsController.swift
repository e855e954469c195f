import Hummingbird
import VigilCore
import VigilNotify

/// `/api/2.0/notification-destinations`, as Databricks serves it (so `w.notification_destinations` in databricks-sdk
/// works): admins create, change and delete; every signed-in user lists and reads, the `config` only shown to admins.
/// Secrets (URLs, passwords, signing secrets) are never answered nor written to the audit log: the request body is
/// not recorded, only the destination's id and name.
struct NotificationDestinationsController {
    let store: DestinationStore

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/notification-destinations"), use: create)
        router.on(RouteTable.entry(.get, "/api/2.0/notification-destinations"), use: list)
        router.on(RouteTable.entry(.get, "/api/2.0/notification-destinations/{id}"), use: get)
        router.on(RouteTable.entry(.patch, "/api/2.0/notification-destinations/{id}"), use: update)
        router.on(RouteTable.entry(.delete, "/api/2.0/notification-destinations/{id}"), use: delete)
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let body = try await RequestBody.read(request, allowed: ["display_name", "config"])
        let name = try DestinationStore.validName(try body.string("display_name") ?? "")
        context.auditNote.set("display_name", name)
        guard let configValue = body.members.first(where: { $0.key == "config" })?.value, configValue != .null else {
            throw VigilError(.invalidParameter, "config is required: one of generic_webhook, slack, email or alertmanager")
        }
        let config = try DestinationConfig.decode(configValue)
        let destination = try await store.create(displayName: name, config: config, by: try context.requirePrincipal().userName)
        context.auditNote.set("id", destination.id)
        return JSONResponse.make(JSONWriter.text(of: destination.json(withConfig: true)).utf8Bytes)
    }

    @Sendable func update(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        let body = try await RequestBody.read(request, allowed: ["display_name", "config", "id", "destination_type"])
        let name = try body.string("display_name").map(DestinationStore.validName)
        let configValue = (body.members.first(where: { $0.key == "config" })?.value).flatMap { $0 == .null ? nil : $0 }
        guard name != nil || configValue != nil else {
            throw VigilError(.invalidParameter, "give display_name and/or config to change")
        }
        if let name { context.auditNote.set("display_name", name) }
        var merge: (@Sendable (DestinationConfig) throws -> DestinationConfig)?
        if let configValue {
            merge = { existing in try DestinationConfig.decode(configValue, existing: existing) }
        }
        let destination = try await store.update(id: id, displayName: name, by: try context.requirePrincipal().userName, config: merge)
        return JSONResponse.make(JSONWriter.text(of: destination.json(withConfig: true)).utf8Bytes)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        guard let destination = try await store.destination(id: id) else { throw DestinationStore.notFound(id) }
        return JSONResponse.make(JSONWriter.text(of: destination.json(withConfig: try context.requireAccess().isAdmin)).utf8Bytes)
    }

    @Sendable func delete(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        try await store.delete(id: try Self.id(context))
        return JSONResponse.make(Array("{}".utf8))
    }

    /// `results` holds id, display_name and destination_type, as Databricks lists them; `page_token` is the last
    /// name of the previous page.
    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["page_size", "page_token"])
        let pageSize = try query.integer("page_size", range: 1...1000) ?? 100
        let after = try query.string("page_token").map { token -> String in
            guard let name = Base64URL.decode(token) else {
                throw VigilError(.invalidParameter, "page_token is not one this server gave")
            }
            return name
        }
        let page = try await store.list(after: after, limit: pageSize + 1)
        var members = [JSONMember("results", .array(page.prefix(pageSize).map { $0.json(withConfig: false) }))]
        if page.count > pageSize, let last = page.prefix(pageSize).last {
            members.append(JSONMember("next_page_token", .string(Base64URL.encode(last.displayName))))
        }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    static func id(_ context: VigilRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 128 else { throw VigilError(.invalidParameter, "id is invalid") }
        context.auditNote.set("id", id)
        return id
    }
}
