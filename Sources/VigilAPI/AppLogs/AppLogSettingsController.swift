import Hummingbird
import VigilCore
import VigilLogs
import VigilStore

/// `GET|PATCH /api/2.0/vigil/apps/{name}/log-settings`: an app's own log retention, overriding the server's
/// `--app-log-retention` (Vigil's extension; the Apps API's PATCH replaces the whole App and the SDK drops fields it
/// does not know, so the setting lives here instead). Reading needs CAN_USE, changing it CAN_MANAGE; a change is
/// audited as `vigil`/`updateAppLogSettings` with the new `retention`.
///
///     {"retention": "30d"}     an own retention (s, m, h or d)
///     {"retention": null}      back to the server's default
struct AppLogSettingsController {
    let apps: AppStore
    let defaultRetentionMillis: Int64

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/apps/{name}/log-settings"), use: get)
        router.on(RouteTable.entry(.patch, "/api/2.0/vigil/apps/{name}/log-settings"), use: update)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let name = try AppsController.name(context)
        guard let app = try await apps.get(name) else { throw AppStore.notFound(name) }
        return respond(app)
    }

    @Sendable func update(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let name = try AppsController.name(context)
        let body = try await RequestBody.read(request, allowed: ["retention"])
        guard let member = body.members.first(where: { $0.key == "retention" }) else {
            throw VigilError(.invalidParameter, "retention is required: a duration such as \"30d\", or null for the server's default")
        }
        var millis: Int64?
        switch member.value {
        case .null:
            millis = nil
        case .string(let text):
            guard let parsed = RetentionPeriod.millis(text) else {
                throw VigilError(.invalidParameter, "retention must be a positive number with s, m, h or d, at most 3650d; got '\(text.prefix(32))'")
            }
            millis = parsed
        default:
            throw VigilError(.invalidParameter, "retention must be a string such as \"30d\", or null; got \(member.value.typeName)")
        }
        context.auditNote.set("name", name)
        context.auditNote.set("retention", millis.map(RetentionPeriod.text) ?? "default")
        guard try await apps.get(name) != nil else { throw AppStore.notFound(name) }
        return respond(try await apps.setLogRetention(name, millis: millis, by: try context.requirePrincipal()))
    }

    func respond(_ app: AppRecord) -> Response {
        let millis = app.logRetentionMillis ?? defaultRetentionMillis
        let value: JSONValue = .object([
            JSONMember("retention", .string(RetentionPeriod.text(millis))),
            JSONMember("retention_seconds", .number(String(millis / 1000))),
            JSONMember("default", .bool(app.logRetentionMillis == nil)),
        ])
        return JSONResponse.make(JSONWriter.text(of: value).utf8Bytes)
    }
}
