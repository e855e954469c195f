import GRDB
import VigilCore
import VigilStore

/// A permission held directly by a user, service principal or group on one object.
public struct Grant: Sendable, Equatable {
    public var member: Member
    public var kind: IdentityKind
    /// user name, application id or group name: the key the Permissions API uses.
    public var name: String
    public var displayName: String?
    public var level: String

    public init(member: Member, kind: IdentityKind, name: String, displayName: String?, level: String) {
        self.member = member
        self.kind = kind
        self.name = name
        self.displayName = displayName
        self.level = level
    }
}

/// Direct grants on objects. Replacing (PUT) and merging (PATCH) are single transactions.
public struct PermissionStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock

    public init(database: VigilDatabase, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    public func grants(on objectType: String, _ objectID: String) async throws -> [Grant] {
        try await database.pool.read { db in try Self.grants(db, objectType, objectID) }
    }

    /// Every direct grant of every object of `objectType`, keyed by object id.
    public func allGrants(of objectType: String) async throws -> [String: [Grant]] {
        try await database.pool.read { db in
            var result: [String: [Grant]] = [:]
            let ids = try String.fetchAll(db, sql: "SELECT DISTINCT object_id FROM permissions WHERE object_type = ?", arguments: [objectType])
            for id in ids { result[id] = try Self.grants(db, objectType, id) }
            return result
        }
    }

    /// PUT: the direct grants become exactly `grants` (an empty list removes them all).
    public func replace(on objectType: String, _ objectID: String, with grants: [(Member, String)]) async throws {
        let now = clock.nowMillis()
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM permissions WHERE object_type = ? AND object_id = ?", arguments: [objectType, objectID])
            for (member, level) in grants { try Self.upsert(db, objectType, objectID, member, level, now) }
        }
    }

    /// PATCH: each grantee's level is set; others are kept.
    public func update(on objectType: String, _ objectID: String, with grants: [(Member, String)]) async throws {
        let now = clock.nowMillis()
        try await database.pool.write { db in
            for (member, level) in grants { try Self.upsert(db, objectType, objectID, member, level, now) }
        }
    }

    static func upsert(_ db: Database, _ objectType: String, _ objectID: String, _ member: Member, _ level: String, _ now: Int64) throws {
        let (principal, group): (Int64?, Int64?) =
            switch member {
            case .principal(let id): (id, nil)
            case .group(let id): (nil, id)
            }
        try db.execute(sql: """
            DELETE FROM permissions WHERE object_type = ? AND object_id = ? AND principal_id IS ? AND group_id IS ?
            """, arguments: [objectType, objectID, principal, group])
        try db.execute(sql: """
            INSERT INTO permissions(object_type, object_id, principal_id, group_id, permission_level, granted_time) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [objectType, objectID, principal, group, level, now])
    }

    static func grants(_ db: Database, _ objectType: String, _ objectID: String) throws -> [Grant] {
        try Row.fetchAll(db, sql: """
            SELECT p.principal_id, p.group_id, p.permission_level, pr.user_name, pr.display_name, pr.kind, g.display_name AS group_name
            FROM permissions p LEFT JOIN principals pr ON pr.id = p.principal_id LEFT JOIN groups g ON g.id = p.group_id
            WHERE p.object_type = ? AND p.object_id = ? ORDER BY p.granted_time, p.rowid
            """, arguments: [objectType, objectID]).map { row in
            if let group: Int64 = row["group_id"] {
                return Grant(member: .group(group), kind: .group, name: row["group_name"], displayName: row["group_name"], level: row["permission_level"])
            }
            let kind: IdentityKind = (row["kind"] as String) == "service_principal" ? .servicePrincipal : .user
            return Grant(member: .principal(row["principal_id"]), kind: kind, name: row["user_name"], displayName: row["display_name"], level: row["permission_level"])
        }
    }
}
