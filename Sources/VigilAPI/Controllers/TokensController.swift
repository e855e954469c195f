import Hummingbird
import VigilAccess
import VigilCore
import VigilStore

/// The Token API in Databricks shapes (reference databricks.md §4.8). The token value appears once, in
/// the create response; it is never logged or audited.
struct TokensController {
    let tokens: TokenStore
    let directory: Directory

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/token/create"), use: create)
        router.on(RouteTable.entry(.get, "/api/2.0/token/list"), use: list)
        router.on(RouteTable.entry(.post, "/api/2.0/token/delete"), use: delete)
        router.on(RouteTable.entry(.post, "/api/2.0/token-management/on-behalf-of/tokens"), use: createOnBehalfOf)
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await RequestBody.read(request, allowed: ["comment", "lifetime_seconds"])
        return try await issue(for: principal, body, context: context)
    }

    /// Creates a token for `owner` from the body's `comment` and `lifetime_seconds`, audits its id (never its
    /// value) and answers `{token_value, token_info}`.
    private func issue(for owner: Principal, _ body: RequestBody, context: VigilRequestContext) async throws -> Response {
        let comment = try body.string("comment")
        let lifetime = try body.integer("lifetime_seconds")
        if let comment, comment.utf8.count > 1024 { throw VigilError(.invalidParameter, "comment must be at most 1024 bytes") }
        // Zero or a negative lifetime used to make a token that never expires: a typo must not do that.
        if let lifetime, lifetime <= 0 {
            throw VigilError(
                .invalidParameter, "lifetime_seconds must be a positive number of seconds, got \(lifetime); omit it for a token that does not expire")
        }
        if let lifetime, lifetime > 100 * 365 * 86_400 {
            throw VigilError(.invalidParameter, "lifetime_seconds must be at most 100 years (3153600000); omit it for a token that does not expire")
        }
        let (secret, info) = try await tokens.create(for: owner, comment: comment, lifetimeSeconds: lifetime)
        context.auditNote.set("tokenId", info.tokenID)
        context.auditNote.set("tokenExpirationTime", String(info.expiryTime))
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("token_value"); writer.string(secret.revealedValue); writer.comma()
            writer.key("token_info"); Self.write(info, into: &writer)
            writer.endObject()
        }
    }

    /// An admin issues a token for a service principal (`application_id`, as Databricks) or, a Vigil extension,
    /// for a user (`user_name`): users have no other way to get their first token.
    @Sendable func createOnBehalfOf(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await RequestBody.read(request, allowed: ["application_id", "user_name", "comment", "lifetime_seconds"])
        let applicationID = try body.string("application_id")
        let userName = try body.string("user_name")
        guard (applicationID == nil) != (userName == nil) else {
            throw VigilError(.invalidParameter, "give exactly one of application_id or user_name")
        }
        guard case .principal(let id)? = try await directory.resolve(userName: userName, groupName: nil, servicePrincipalName: applicationID),
            let owner = try await directory.principal(id: id)
        else {
            throw VigilError(.notFound, "no \(applicationID != nil ? "service principal with application_id" : "user") '\((applicationID ?? userName ?? "").prefix(128))'")
        }
        context.auditNote.set("targetUserName", owner.userName)
        return try await issue(for: owner, body, context: context)
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
