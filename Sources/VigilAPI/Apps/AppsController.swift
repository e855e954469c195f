import Foundation
import Hummingbird
import VigilAccess
import VigilCore
import VigilLogs
import VigilStore

/// The Apps API (reference databricks.md §4.7): create, get, list, update (a full replacement), delete, start and
/// stop, in the shapes `databricks-sdk` reads. Each change is audited as Databricks records it: service `apps`,
/// `createApp`/`updateApp` with `request_params.app` the App as sent (compact JSON), `deleteApp`, `startApp` and
/// `stopApp` with `request_params.name`.
struct AppsController {
    let apps: AppStore
    let publicURL: PublicURL
    /// Followers of a deleted app's logs are closed.
    let tail: LogTail

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/apps"), use: create)
        router.on(RouteTable.entry(.get, "/api/2.0/apps"), use: list)
        router.on(RouteTable.entry(.get, "/api/2.0/apps/{name}"), use: get)
        router.on(RouteTable.entry(.patch, "/api/2.0/apps/{name}"), use: update)
        router.on(RouteTable.entry(.delete, "/api/2.0/apps/{name}"), use: delete)
        router.on(RouteTable.entry(.post, "/api/2.0/apps/{name}/start"), use: { request, context in
            try await setState(.active, request, context)
        })
        router.on(RouteTable.entry(.post, "/api/2.0/apps/{name}/stop"), use: { request, context in
            try await setState(.stopped, request, context)
        })
    }

    /// The largest App body (an App with its resources is small; this leaves room for many).
    static let maxBodyBytes = 256 << 10

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["no_compute"])
        let noCompute = try Self.boolean(query.string("no_compute"), name: "no_compute")
        let body = try await Self.appBody(request, context)
        let spec = try AppSpec.parse(body)
        var app = try await apps.create(spec, creator: try context.requirePrincipal())
        if noCompute { app = try await apps.setComputeState(app.name, .stopped, by: try context.requirePrincipal()) }
        return respond(app)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        return respond(try await existing(context))
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["page_size", "page_token", "space"])
        let pageSize = try query.integer("page_size", range: 1...1000) ?? 100
        let after = try query.string("page_token").map(Self.decodeToken)
        let access = try context.requireAccess()
        let space = try query.string("space")
        let page = try await apps.page(after: after, limit: pageSize) { app in
            access.canUse(app: app.name) && (space == nil || app.spec.settings.first { $0.key == "space" }?.value == .string(space!))
        }
        var members = [JSONMember("apps", .array(page.apps.map { AppJSON.value($0, url: publicURL.appURL($0.name)) }))]
        if page.more, let last = page.apps.last { members.append(JSONMember("next_page_token", .string(Self.encodeToken(last.name)))) }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    @Sendable func update(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let name = try Self.name(context)
        let body = try await Self.appBody(request, context)
        var spec = try AppSpec.parse(body)
        guard spec.name == name else {
            throw VigilError(.invalidParameter, "name '\(spec.name)' in the body differs from the app in the path ('\(name)'); an app cannot be renamed")
        }
        spec.name = name
        _ = try await existing(context)
        return respond(try await apps.update(name, to: spec, updater: try context.requirePrincipal()))
    }

    @Sendable func delete(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let name = try Self.name(context)
        context.auditNote.set("name", name)
        let deleted = try await apps.delete(name)
        tail.endFollowers(appKey: deleted.key)
        return respond(deleted)
    }

    func setState(_ state: AppRecord.ComputeState, _ request: Request, _ context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let name = try Self.name(context)
        context.auditNote.set("name", name)
        _ = try await existing(context)
        return respond(try await apps.setComputeState(name, state, by: try context.requirePrincipal()))
    }

    func respond(_ app: AppRecord) -> Response {
        JSONResponse.make(JSONWriter.text(of: AppJSON.value(app, url: publicURL.appURL(app.name))).utf8Bytes)
    }

    func existing(_ context: VigilRequestContext) async throws -> AppRecord {
        let name = try Self.name(context)
        guard let app = try await apps.get(name) else { throw AppStore.notFound(name) }
        return app
    }

    static func name(_ context: VigilRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        if let problem = AppName.problem(name) { throw VigilError(.invalidParameter, "the app name in the path is invalid: \(problem)") }
        return name
    }

    /// Reads the App body and notes it, as sent (compact JSON), for the audit record (`request_params.app`): the
    /// on-behalf-of query reads `user_api_scopes` from it, so `[]` and absent stay apart.
    static func appBody(_ request: Request, _ context: VigilRequestContext) async throws -> JSONValue {
        let bytes = try await RequestBody.collect(request, limit: maxBodyBytes)
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, rejectsDuplicateKeys: true)
        } catch {
            throw VigilError(.invalidParameter, "the request body is not valid JSON: \(error)")
        }
        context.auditNote.set("app", JSONWriter.text(of: value))
        return value
    }

    static func boolean(_ text: String?, name: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "false": return false
        case "true": return true
        default: throw VigilError(.invalidParameter, "\(name) must be true or false, got '\(text!.prefix(16))'")
        }
    }

    /// Page tokens are opaque: base64url of the last name of the page.
    static func encodeToken(_ name: String) -> String { Base64URL.encode("v1." + name) }

    static func decodeToken(_ token: String) throws -> String {
        guard token.count <= 128, let text = Base64URL.decode(token), text.hasPrefix("v1.") else {
            throw VigilError(.invalidParameter, "page_token is not a token this server issued; start again without it")
        }
        return String(text.dropFirst(3))
    }
}

extension String {
    var utf8Bytes: [UInt8] { Array(utf8) }
}
