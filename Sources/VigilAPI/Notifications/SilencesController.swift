import Foundation
import Hummingbird
import VigilCore
import VigilNotify
import VigilStore

/// `/api/2.0/vigil/silences`: Alertmanager's silence shape (matchers, startsAt, endsAt, comment). The caller is
/// `createdBy`; DELETE expires a silence (it stays listed with `?include_expired=true`).
struct SilencesController {
    let database: VigilDatabase
    let clock: any WallClock

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/silences"), use: create)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/silences"), use: list)
        router.on(RouteTable.entry(.delete, "/api/2.0/vigil/silences/{id}"), use: expire)
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let body = try await RequestBody.read(request, allowed: ["matchers", "startsAt", "endsAt", "comment", "createdBy"])
        let now = clock.nowMillis()
        let silence = try Silence.decode(.object(body.members), id: UUID().uuidString.lowercased(),
                                         createdBy: try context.requirePrincipal().userName, now: now)
        context.auditNote.set("silence_id", silence.id)
        context.auditNote.set("matchers", silence.matchers.map(\.text).joined(separator: ","))
        try await database.pool.write { db in try SilenceStore.create(db, silence) }
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("silenceID", .string(silence.id))])).utf8Bytes)
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["include_expired"])
        let includeExpired = try query.string("include_expired").map { value -> Bool in
            guard let flag = Bool(value) else { throw VigilError(.invalidParameter, "include_expired must be true or false") }
            return flag
        } ?? false
        let now = clock.nowMillis()
        let silences = try await database.pool.read { db in try SilenceStore.list(db, now: now, includeExpired: includeExpired) }
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("silences", .array(silences.map { $0.json(at: now) }))])).utf8Bytes)
    }

    @Sendable func expire(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 64 else { throw VigilError(.invalidParameter, "the silence id is invalid") }
        context.auditNote.set("silence_id", id)
        let now = clock.nowMillis()
        try await database.pool.write { db in try SilenceStore.expire(db, id: id, now: now) }
        return JSONResponse.make(Array("{}".utf8))
    }
}
