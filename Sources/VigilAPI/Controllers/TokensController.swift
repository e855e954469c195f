import Hummingbird
import VigilCore
import VigilStore

/// The Token API in Databricks shapes (reference databricks.md §4.8). The token value appears once, in
/// the create response; it is never logged or audited.
struct TokensController {
    let tokens: TokenStore

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/token/create"), use: create)
        router.on(RouteTable.entry(.get, "/api/2.0/token/list"), use: list)
        router.on(RouteTable.entry(.post, "/api/2.0/token/delete"), use: delete)
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await RequestBody.read(request, allowed: ["comment", "lifetime_seconds"])
        let comment = try body.string("comment")
        let lifetime = try body.integer("lifetime_seconds")
        if let comment, comment.utf8.count > 1024 { throw VigilError(.invalidParameter, "comment must be at most 1024 bytes") }
        if let lifetime, lifetime > 100 * 365 * 86_400 {
            throw VigilError(.invalidParameter, "lifetime_seconds must be at most 100 years; omit it or send -1 for no expiry")
        }
        let (secret, info) = try await tokens.create(for: principal, comment: comment, lifetimeSeconds: lifetime)
        context.auditNote.set("tokenId", info.tokenID)
        context.auditNote.set("tokenExpirationTime", String(info.expiryTime))
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("token_value"); writer.string(secret.revealedValue); writer.comma()
            writer.key("token_info"); Self.write(info, into: &writer)
            writer.endObject()
        }
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        _ = try QueryParameters(request, allowed: [])
        let infos = try await tokens.list(for: principal)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("token_infos")
            writer.beginArray()
            for (position, info) in infos.enumerated() {
                if position > 0 { writer.comma() }
                Self.write(info, into: &writer)
            }
            writer.endArray()
            writer.endObject()
        }
    }

    @Sendable func delete(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await RequestBody.read(request, allowed: ["token_id"])
        guard let tokenID = try body.string("token_id"), !tokenID.isEmpty else {
            throw VigilError(.invalidParameter, "token_id is required")
        }
        context.auditNote.set("tokenId", String(tokenID.prefix(64)))
        guard try await tokens.revoke(tokenID: tokenID, of: principal) else {
            throw VigilError(.notFound, "no live token with token_id '\(tokenID.prefix(64))'")
        }
        return JSONResponse.empty
    }

    static func write(_ info: TokenInfo, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("token_id"); writer.string(info.tokenID); writer.comma()
        writer.key("creation_time"); writer.integer(info.creationTime); writer.comma()
        writer.key("expiry_time"); writer.integer(info.expiryTime); writer.comma()
        writer.key("comment"); writer.string(info.comment ?? ""); writer.comma()
        writer.key("created_by_username"); writer.string(info.ownerUserName)
        writer.endObject()
    }
}
