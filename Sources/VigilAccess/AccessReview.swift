import GRDB
import VigilCore
import VigilStore

/// The answers an access review needs, computed from the identity tables and the audit log itself: who holds
/// what (and through which groups), who is an admin, which grants and tokens go unused, which users are dormant.
public struct AccessReview: Sendable {
    public struct EffectivePermission: Sendable, Equatable {
        public var object: String
        public var level: String
        /// Group names from the principal's direct group up to the group holding the grant; empty = direct grant.
        public var via: [String]
    }

    public struct PrincipalReview: Sendable {
        public var id: Int64
        /// The user name, or a service principal's application id.
        public var name: String
        /// A service principal's display name ("log shipper"), or a user's, when one is set.
        public var displayName: String?
        public var kind: IdentityKind
        /// When the principal was created (epoch ms): one younger than the review window is never dormant.
        public var createdTime: Int64
        public var active: Bool
        public var isAdmin: Bool
        /// The group path that makes the principal an admin.
        public var adminVia: [String]
        public var permissions: [EffectivePermission]
        /// Newest audit event by this principal (epoch ms), nil if none.
        public var lastActivity: Int64?
        public var dormant: Bool
    }

    public struct UnusedGrant: Sendable {
        public var object: String
        public var grantee: String
        public var granteeKind: IdentityKind
        public var level: String
        /// Newest read of audit data by anyone holding the grant through it, nil if never.
        public var lastUsed: Int64?
    }

    public struct TokenReview: Sendable {
        public var tokenID: String
        public var owner: String
        public var comment: String?
        public var creationTime: Int64
        public var expiryTime: Int64
        public var lastUsedDay: String?
        public var neverExpires: Bool
        public var unused: Bool
    }

    public var generatedAt: Int64
    public var days: Int
    public var principals: [PrincipalReview]
    public var admins: [String]
    public var unusedGrants: [UnusedGrant]
    public var tokens: [TokenReview]
    public var dormantUsers: [String]

    /// Actions that read audit data: what a CAN_VIEW grant on audit-logs is used for.
    static let auditReads = [
        "listAuditEvents", "getAuditEvent", "commandSubmit", "getInclusionProof", "getConsistencyProof", "getLedgerCheckpoint",
    ]

    public static func build(database: VigilDatabase, now: Int64, days: Int) async throws -> AccessReview {
        let since = now - Int64(days) * 86_400_000
        return try await database.pool.read { db in
            let graph = try MembershipGraph.load(db)
            let grants = try Row.fetchAll(db, sql: """
                SELECT object_type, object_id, principal_id, group_id, permission_level FROM permissions ORDER BY object_type, object_id
                """)
            let principals = try Row.fetchAll(db, sql: "SELECT id, user_name, display_name, kind, active, created_time FROM principals ORDER BY id")
            var lastActivity: [String: Int64] = [:]
            var lastRead: [String: Int64] = [:]
            var lastTokenCreated: [String: Int64] = [:]
            for row in principals {
                let name: String = row["user_name"]
                lastActivity[name] = try Int64.fetchOne(db, sql: "SELECT max(event_time) FROM audit_events WHERE user_email = ?", arguments: [name])
                let reads = auditReads.map { _ in "?" }.joined(separator: ",")
                lastRead[name] = try Int64.fetchOne(db, sql: """
                    SELECT max(event_time) FROM audit_events WHERE user_email = ? AND action_name IN (\(reads)) AND status_code < 400
                    """, arguments: StatementArguments([name] + auditReads))
                lastTokenCreated[name] = try Int64.fetchOne(db, sql: """
                    SELECT max(event_time) FROM audit_events WHERE user_email = ? AND action_name = 'generateDbToken' AND status_code < 400
                    """, arguments: [name])
            }

            var reviews: [PrincipalReview] = []
            var holders: [Int: [String]] = [:]  // grant row index -> principals receiving it
            for row in principals {
                let id: Int64 = row["id"]
                let name: String = row["user_name"]
                let kind: IdentityKind = (row["kind"] as String) == "service_principal" ? .servicePrincipal : .user
                let paths = graph.groups(ofPrincipal: id)
                let adminPath = paths.first { graph.groupNames[$0.key] == Directory.adminsGroup }?.value
                var permissions: [EffectivePermission] = []
                for (index, grant) in grants.enumerated() {
                    let object = "\(grant["object_type"] as String)/\(grant["object_id"] as String)"
                    if let principal: Int64 = grant["principal_id"], principal == id {
                        permissions.append(EffectivePermission(object: object, level: grant["permission_level"], via: []))
                        holders[index, default: []].append(name)
                    } else if let group: Int64 = grant["group_id"], let path = paths[group] {
                        permissions.append(EffectivePermission(
                            object: object, level: grant["permission_level"], via: path.map { graph.groupNames[$0] ?? String($0) }))
                        holders[index, default: []].append(name)
                    }
                }
                let activity = lastActivity[name] ?? nil
                let created: Int64 = row["created_time"]
                reviews.append(PrincipalReview(
                    id: id, name: name, displayName: row["display_name"], kind: kind, createdTime: created, active: row["active"],
                    isAdmin: adminPath != nil, adminVia: adminPath.map { $0.map { graph.groupNames[$0] ?? String($0) } } ?? [],
                    permissions: permissions, lastActivity: activity,
                    // Dormant: no activity within the window, and old enough to have had the chance.
                    dormant: created < since && (activity ?? Int64.min) < since))
            }

            var unused: [UnusedGrant] = []
            for (index, grant) in grants.enumerated() {
                // A token grant is used by creating tokens; an audit-log grant by reading audit data.
                let usage = (grant["object_type"] as String) == PermissionObjectType.tokens.name ? lastTokenCreated : lastRead
                let used = (holders[index] ?? []).compactMap { usage[$0] ?? nil }.max()
                guard (used ?? Int64.min) < since else { continue }
                let object = "\(grant["object_type"] as String)/\(grant["object_id"] as String)"
                if let group: Int64 = grant["group_id"] {
                    unused.append(UnusedGrant(object: object, grantee: graph.groupNames[group] ?? String(group), granteeKind: .group,
                                              level: grant["permission_level"], lastUsed: used))
                } else if let principal: Int64 = grant["principal_id"], let row = principals.first(where: { ($0["id"] as Int64) == principal }) {
                    let kind: IdentityKind = (row["kind"] as String) == "service_principal" ? .servicePrincipal : .user
                    unused.append(UnusedGrant(object: object, grantee: row["user_name"], granteeKind: kind, level: grant["permission_level"], lastUsed: used))
                }
            }

            let sinceDay = String(Timestamp.formatRFC3339(millis: since).prefix(10))
            let tokens = try Row.fetchAll(db, sql: """
                SELECT t.token_id, t.comment, t.creation_time, t.expiry_time, t.last_used_day, p.user_name
                FROM tokens t JOIN principals p ON p.id = t.principal_id
                WHERE t.revoked_time IS NULL AND (t.expiry_time < 0 OR t.expiry_time > ?) ORDER BY t.creation_time
                """, arguments: [now]).map { row -> TokenReview in
                let expiry: Int64 = row["expiry_time"]
                let lastUsed: String? = row["last_used_day"]
                let created: Int64 = row["creation_time"]
                return TokenReview(
                    tokenID: row["token_id"], owner: row["user_name"], comment: row["comment"], creationTime: created, expiryTime: expiry,
                    lastUsedDay: lastUsed, neverExpires: expiry < 0,
                    unused: (lastUsed ?? "") < sinceDay && created < since)
            }
            return AccessReview(
                generatedAt: now, days: days, principals: reviews,
                admins: reviews.filter(\.isAdmin).map(\.name), unusedGrants: unused,
                tokens: tokens.filter { $0.neverExpires || $0.unused },
                dormantUsers: reviews.filter { $0.dormant && $0.active }.map(\.name))
        }
    }
}
