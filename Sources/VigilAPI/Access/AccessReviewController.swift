import Hummingbird
import VigilAccess
import VigilCore

/// `GET /api/2.0/vigil/access-review?days=N`: effective permissions (with the group path that grants them),
/// admins, grants not used within N days, tokens without expiry or unused for N days, dormant users.
struct AccessReviewController {
    let review: @Sendable (_ days: Int) async throws -> AccessReview

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/access-review"), use: get)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["days"])
        let days = try query.integer("days", range: 1...3650) ?? 90
        context.auditNote.set("days", String(days))
        let review = try await review(days)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("generated_time"); writer.integer(review.generatedAt); writer.comma()
            writer.key("days"); writer.integer(review.days); writer.comma()
            writer.key("admins"); Self.strings(review.admins, &writer); writer.comma()
            writer.key("dormant_users"); Self.strings(review.dormantUsers, &writer); writer.comma()
            writer.key("principals")
            writer.beginArray()
            for (index, principal) in review.principals.enumerated() {
                if index > 0 { writer.comma() }
                writer.beginObject()
                writer.key("id"); writer.string(String(principal.id)); writer.comma()
                writer.key("name"); writer.string(principal.name); writer.comma()
                writer.key("display_name"); writer.string(principal.displayName); writer.comma()
                writer.key("kind"); writer.string(principal.kind.rawValue); writer.comma()
                writer.key("created_time"); writer.integer(principal.createdTime); writer.comma()
                writer.key("active"); writer.bool(principal.active); writer.comma()
                writer.key("is_admin"); writer.bool(principal.isAdmin); writer.comma()
                writer.key("admin_via"); Self.strings(principal.adminVia, &writer); writer.comma()
                writer.key("last_activity_time")
                if let last = principal.lastActivity { writer.integer(last) } else { writer.null() }
                writer.comma()
                writer.key("dormant"); writer.bool(principal.dormant); writer.comma()
                writer.key("permissions")
                writer.beginArray()
                for (position, permission) in principal.permissions.enumerated() {
                    if position > 0 { writer.comma() }
                    writer.beginObject()
                    writer.key("object"); writer.string(permission.object); writer.comma()
                    writer.key("permission_level"); writer.string(permission.level); writer.comma()
                    writer.key("via"); Self.strings(permission.via, &writer)
                    writer.endObject()
                }
                writer.endArray()
                writer.endObject()
            }
            writer.endArray(); writer.comma()
            writer.key("unused_grants")
            writer.beginArray()
            for (index, grant) in review.unusedGrants.enumerated() {
                if index > 0 { writer.comma() }
                writer.beginObject()
                writer.key("object"); writer.string(grant.object); writer.comma()
                writer.key("grantee"); writer.string(grant.grantee); writer.comma()
                writer.key("grantee_kind"); writer.string(grant.granteeKind.rawValue); writer.comma()
                writer.key("permission_level"); writer.string(grant.level); writer.comma()
                writer.key("last_used_time")
                if let last = grant.lastUsed { writer.integer(last) } else { writer.null() }
                writer.endObject()
            }
            writer.endArray(); writer.comma()
            writer.key("tokens")
            writer.beginArray()
            for (index, token) in review.tokens.enumerated() {
                if index > 0 { writer.comma() }
                writer.beginObject()
                writer.key("token_id"); writer.string(token.tokenID); writer.comma()
                writer.key("owner"); writer.string(token.owner); writer.comma()
                writer.key("comment"); writer.string(token.comment ?? ""); writer.comma()
                writer.key("creation_time"); writer.integer(token.creationTime); writer.comma()
                writer.key("expiry_time"); writer.integer(token.expiryTime); writer.comma()
                writer.key("last_used_day"); writer.string(token.lastUsedDay); writer.comma()
                writer.key("never_expires"); writer.bool(token.neverExpires); writer.comma()
                writer.key("unused"); writer.bool(token.unused)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
    }

    static func strings(_ values: [String], _ writer: inout JSONWriter) {
        writer.beginArray()
        for (index, value) in values.enumerated() {
            if index > 0 { writer.comma() }
            writer.string(value)
        }
        writer.endArray()
    }
}
