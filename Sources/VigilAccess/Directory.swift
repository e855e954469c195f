import Foundation
import GRDB
import VigilCore
import VigilStore

/// Users, service principals and groups, and group membership. Every write is one transaction; the caller
/// audits it. Names are unique per kind: a user name, an application id, a group display name.
public struct Directory: Sendable {
    public static let adminsGroup = "admins"
    public static let usersGroup = "users"

    public let database: VigilDatabase
    public let clock: any WallClock

    public init(database: VigilDatabase, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    // MARK: Ids

    /// The next id of the shared identity id space (principals and groups).
    static func nextID(_ db: Database) throws -> Int64 {
        let highest = try Int64.fetchOne(db, sql: """
            SELECT max(m) FROM (SELECT max(id) AS m FROM principals UNION ALL SELECT max(id) FROM groups)
            """) ?? 0
        return highest + 1
    }

    /// Creates `admins` and `users` when missing and puts the bootstrap admin in both.
    public func bootstrap(admin: Principal) async throws {
        let now = clock.nowMillis()
        try await database.pool.write { db in
            for name in [Self.adminsGroup, Self.usersGroup] where try Self.groupID(db, named: name) == nil {
                try db.execute(sql: "INSERT INTO groups(id, display_name, created_time) VALUES (?, ?, ?)",
                               arguments: [try Self.nextID(db), name, now])
            }
            for name in [Self.adminsGroup, Self.usersGroup] {
                guard let group = try Self.groupID(db, named: name) else { continue }
                try Self.insertMember(db, group: group, member: .principal(admin.id), now: now)
            }
            // Everyone may create tokens until an admin says otherwise: seeded once, so a narrowed ACL stays narrow.
            if try String.fetchOne(db, sql: "SELECT value FROM vigil_meta WHERE key = 'tokens_acl_seeded'") == nil,
                let users = try Self.groupID(db, named: Self.usersGroup)
            {
                try PermissionStore.upsert(db, PermissionObjectType.tokens.name, "tokens", .group(users), "CAN_USE", now)
                try db.execute(sql: "INSERT INTO vigil_meta(key, value) VALUES ('tokens_acl_seeded', '1')")
            }
        }
    }

    // MARK: Users and service principals

    public func createUser(userName: String, displayName: String?, active: Bool, externalID: String?) async throws -> User {
        try Self.validateName(userName, field: "userName")
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            if try Int64.fetchOne(db, sql: "SELECT id FROM principals WHERE user_name = ? COLLATE NOCASE", arguments: [userName]) != nil {
                throw VigilError(.alreadyExists, "User with username \(userName) already exists.")
            }
            let id = try Self.nextID(db)
            try db.execute(sql: """
                INSERT INTO principals(id, user_name, display_name, kind, active, created_time, external_id)
                VALUES (?, ?, ?, 'user', ?, ?, ?)
                """, arguments: [id, userName, displayName, active, now, externalID])
            try Self.addToUsersGroup(db, principal: id, now: now)
            return User(id: id, userName: userName, displayName: displayName, active: active, externalID: externalID, createdTime: now)
        }
    }

    public func createServicePrincipal(applicationID: String?, displayName: String?, active: Bool, externalID: String?) async throws -> ServicePrincipal {
        let application = applicationID ?? UUID().uuidString.lowercased()
        try Self.validateName(application, field: "applicationId")
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            if try Int64.fetchOne(db, sql: "SELECT id FROM principals WHERE application_id = ? OR user_name = ?", arguments: [application, application]) != nil {
                throw VigilError(.alreadyExists, "Service principal with applicationId \(application) already exists.")
            }
            let id = try Self.nextID(db)
            // A service principal's user_name is its application id: that is the name tokens and audit events carry.
            try db.execute(sql: """
                INSERT INTO principals(id, user_name, display_name, kind, active, created_time, external_id, application_id)
                VALUES (?, ?, ?, 'service_principal', ?, ?, ?, ?)
                """, arguments: [id, application, displayName, active, now, externalID, application])
            try Self.addToUsersGroup(db, principal: id, now: now)
            return ServicePrincipal(id: id, applicationID: application, displayName: displayName, active: active, externalID: externalID, createdTime: now)
        }
    }

    public func users() async throws -> [User] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM principals WHERE kind = 'user' ORDER BY id").map(Self.user)
        }
    }

    public func servicePrincipals() async throws -> [ServicePrincipal] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM principals WHERE kind = 'service_principal' ORDER BY id").map(Self.servicePrincipal)
        }
    }

    public func user(id: Int64) async throws -> User? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM principals WHERE id = ? AND kind = 'user'", arguments: [id]).map(Self.user)
        }
    }

    public func servicePrincipal(id: Int64) async throws -> ServicePrincipal? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM principals WHERE id = ? AND kind = 'service_principal'", arguments: [id]).map(Self.servicePrincipal)
        }
    }

    /// Replaces a user's or service principal's mutable attributes (SCIM PUT/PATCH).
    public func updatePrincipal(id: Int64, displayName: String?, active: Bool, externalID: String?, userName: String? = nil) async throws {
        try await database.pool.write { db in
            if let userName {
                try Self.validateName(userName, field: "userName")
                if try Int64.fetchOne(db, sql: "SELECT id FROM principals WHERE user_name = ? COLLATE NOCASE AND id <> ?", arguments: [userName, id]) != nil {
                    throw VigilError(.alreadyExists, "User with username \(userName) already exists.")
                }
                try db.execute(sql: "UPDATE principals SET user_name = ? WHERE id = ? AND kind = 'user'", arguments: [userName, id])
            }
            if !active, let admins = try Self.groupID(db, named: Self.adminsGroup), try Self.isLastAdmin(db, principal: id, group: admins) {
                throw VigilError(.invalidParameter, "Deactivating the last direct member of admins would leave Vigil without an administrator.")
            }
            try db.execute(sql: "UPDATE principals SET display_name = ?, active = ?, external_id = ? WHERE id = ?",
                           arguments: [displayName, active, externalID, id])
            guard db.changesCount == 1 else { throw VigilError(.notFound, "No principal with id \(id).") }
        }
    }

    /// Deletes a user or service principal with its memberships, permissions and tokens. The bootstrap admin
    /// cannot be deleted (nobody could administer Vigil afterwards).
    public func deletePrincipal(id: Int64) async throws {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT user_name, kind FROM principals WHERE id = ? AND kind <> 'group'", arguments: [id]) else {
                throw VigilError(.notFound, "No principal with id \(id).")
            }
            if (row["user_name"] as String) == PrincipalStore.adminUserName, (row["kind"] as String) == "user" {
                throw VigilError(.invalidParameter, "The bootstrap admin user cannot be deleted.")
            }
            if let admins = try Self.groupID(db, named: Self.adminsGroup), try Self.isLastAdmin(db, principal: id, group: admins) {
                throw VigilError(.invalidParameter, "Deleting the last direct member of admins would leave Vigil without an administrator.")
            }
            try db.execute(sql: "DELETE FROM tokens WHERE principal_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM principals WHERE id = ?", arguments: [id])
        }
    }

    // MARK: Groups

    public func createGroup(displayName: String, externalID: String?) async throws -> Group {
        try Self.validateName(displayName, field: "displayName")
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            if try Self.groupID(db, named: displayName) != nil {
                throw VigilError(.alreadyExists, "Group with name \(displayName) already exists.")
            }
            let id = try Self.nextID(db)
            try db.execute(sql: "INSERT INTO groups(id, display_name, external_id, created_time) VALUES (?, ?, ?, ?)",
                           arguments: [id, displayName, externalID, now])
            return Group(id: id, displayName: displayName, externalID: externalID, createdTime: now)
        }
    }

    public func groups() async throws -> [Group] {
        try await database.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM groups ORDER BY id").map(Self.group) }
    }

    public func group(id: Int64) async throws -> Group? {
        try await database.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM groups WHERE id = ?", arguments: [id]).map(Self.group) }
    }

    public func group(named name: String) async throws -> Group? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM groups WHERE display_name = ?", arguments: [name]).map(Self.group)
        }
    }

    public func renameGroup(id: Int64, displayName: String, externalID: String?) async throws {
        try Self.validateName(displayName, field: "displayName")
        try await database.pool.write { db in
            if let other = try Self.groupID(db, named: displayName), other != id {
                throw VigilError(.alreadyExists, "Group with name \(displayName) already exists.")
            }
            if let current = try String.fetchOne(db, sql: "SELECT display_name FROM groups WHERE id = ?", arguments: [id]),
                [Self.adminsGroup, Self.usersGroup].contains(current), current != displayName
            {
                throw VigilError(.invalidParameter, "The built-in group \(current) cannot be renamed.")
            }
            try db.execute(sql: "UPDATE groups SET display_name = ?, external_id = ? WHERE id = ?", arguments: [displayName, externalID, id])
            guard db.changesCount == 1 else { throw VigilError(.notFound, "Group with id \(id) not found.") }
        }
    }

    public func deleteGroup(id: Int64) async throws {
        try await database.pool.write { db in
            guard let name = try String.fetchOne(db, sql: "SELECT display_name FROM groups WHERE id = ?", arguments: [id]) else {
                throw VigilError(.notFound, "Group with id \(id) not found.")
            }
            if [Self.adminsGroup, Self.usersGroup].contains(name) {
                throw VigilError(.invalidParameter, "The built-in group \(name) cannot be deleted.")
            }
            try db.execute(sql: "DELETE FROM groups WHERE id = ?", arguments: [id])
        }
    }

    /// Adds `member` to `group`; adding what is already there is a no-op. A group that would become its own
    /// ancestor is refused, so membership stays a DAG and inheritance terminates.
    public func addMember(_ member: Member, to group: Int64) async throws {
        let now = clock.nowMillis()
        try await database.pool.write { db in
            guard try Self.exists(db, group: group) else { throw VigilError(.notFound, "Group with id \(group) not found.") }
            switch member {
            case .principal(let id):
                guard try Int64.fetchOne(db, sql: "SELECT id FROM principals WHERE id = ?", arguments: [id]) != nil else {
                    throw VigilError(.notFound, "No user or service principal with id \(id).")
                }
            case .group(let id):
                guard try Self.exists(db, group: id) else { throw VigilError(.notFound, "Group with id \(id) not found.") }
                let graph = try MembershipGraph.load(db)
                if id == group || graph.ancestors(ofGroup: group).contains(id) {
                    throw VigilError(.invalidParameter, "Adding group \(id) to group \(group) would create a membership cycle.")
                }
            }
            try Self.insertMember(db, group: group, member: member, now: now)
        }
    }

    /// Removes `member` from `group`. Returns false when it was not a direct member.
    @discardableResult
    public func removeMember(_ member: Member, from group: Int64) async throws -> Bool {
        try await database.pool.write { db in
            guard try Self.exists(db, group: group) else { throw VigilError(.notFound, "Group with id \(group) not found.") }
            switch member {
            case .principal(let id):
                if try Self.isLastAdmin(db, principal: id, group: group) {
                    throw VigilError(.invalidParameter, "Removing the last direct member of admins would leave Vigil without an administrator.")
                }
                try db.execute(sql: "DELETE FROM group_members WHERE group_id = ? AND principal_id = ?", arguments: [group, id])
            case .group(let id):
                try db.execute(sql: "DELETE FROM group_members WHERE group_id = ? AND member_group_id = ?", arguments: [group, id])
            }
            return db.changesCount > 0
        }
    }

    /// Direct members of `group`.
    public func members(of group: Int64) async throws -> [MemberInfo] {
        try await database.pool.read { db in
            var members = try Row.fetchAll(db, sql: """
                SELECT p.id, p.kind, p.user_name, p.display_name FROM group_members m JOIN principals p ON p.id = m.principal_id
                WHERE m.group_id = ? ORDER BY p.id
                """, arguments: [group]).map { row in
                MemberInfo(
                    id: row["id"], kind: (row["kind"] as String) == "service_principal" ? .servicePrincipal : .user,
                    name: row["user_name"], displayName: row["display_name"])
            }
            members += try Row.fetchAll(db, sql: """
                SELECT g.id, g.display_name FROM group_members m JOIN groups g ON g.id = m.member_group_id
                WHERE m.group_id = ? ORDER BY g.id
                """, arguments: [group]).map { MemberInfo(id: $0["id"], kind: .group, name: $0["display_name"], displayName: $0["display_name"]) }
            return members
        }
    }

    /// Groups `member` belongs to directly.
    public func parents(of member: Member) async throws -> [Group] {
        try await database.pool.read { db in
            let (column, id): (String, Int64) =
                switch member {
                case .principal(let id): ("principal_id", id)
                case .group(let id): ("member_group_id", id)
                }
            return try Row.fetchAll(db, sql: """
                SELECT g.* FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.\(column) = ? ORDER BY g.id
                """, arguments: [id]).map(Self.group)
        }
    }

    /// The principal (user or service principal) with `id`, as authentication sees it.
    public func principal(id: Int64) async throws -> Principal? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, user_name, kind FROM principals WHERE id = ?", arguments: [id]).map {
                Principal(id: $0["id"], userName: $0["user_name"], kind: $0["kind"])
            }
        }
    }

    /// Which kind an id names, or nil.
    public func kind(of id: Int64) async throws -> IdentityKind? {
        try await database.pool.read { db in
            if let kind = try String.fetchOne(db, sql: "SELECT kind FROM principals WHERE id = ?", arguments: [id]) {
                return kind == "service_principal" ? .servicePrincipal : .user
            }
            return try Self.exists(db, group: id) ? .group : nil
        }
    }

    /// A principal or group by the name the Databricks APIs use (user name, application id, group name).
    public func resolve(userName: String?, groupName: String?, servicePrincipalName: String?) async throws -> Member? {
        try await database.pool.read { db in
            if let userName {
                return try Int64.fetchOne(db, sql: "SELECT id FROM principals WHERE user_name = ? COLLATE NOCASE AND kind = 'user'", arguments: [userName]).map(Member.principal)
            }
            if let servicePrincipalName {
                return try Int64.fetchOne(db, sql: "SELECT id FROM principals WHERE application_id = ?", arguments: [servicePrincipalName]).map(Member.principal)
            }
            if let groupName { return try Self.groupID(db, named: groupName).map(Member.group) }
            return nil
        }
    }

    // MARK: Rows and helpers

    static func user(_ row: Row) -> User {
        User(id: row["id"], userName: row["user_name"], displayName: row["display_name"], active: row["active"],
             externalID: row["external_id"], createdTime: row["created_time"])
    }

    static func servicePrincipal(_ row: Row) -> ServicePrincipal {
        ServicePrincipal(id: row["id"], applicationID: row["application_id"] ?? row["user_name"], displayName: row["display_name"],
                         active: row["active"], externalID: row["external_id"], createdTime: row["created_time"])
    }

    static func group(_ row: Row) -> Group {
        Group(id: row["id"], displayName: row["display_name"], externalID: row["external_id"], createdTime: row["created_time"])
    }

    static func groupID(_ db: Database, named name: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM groups WHERE display_name = ?", arguments: [name])
    }

    static func exists(_ db: Database, group: Int64) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM groups WHERE id = ?)", arguments: [group]) ?? false
    }

    static func insertMember(_ db: Database, group: Int64, member: Member, now: Int64) throws {
        switch member {
        case .principal(let id):
            try db.execute(sql: """
                INSERT OR IGNORE INTO group_members(group_id, principal_id, added_time) VALUES (?, ?, ?)
                """, arguments: [group, id, now])
        case .group(let id):
            try db.execute(sql: """
                INSERT OR IGNORE INTO group_members(group_id, member_group_id, added_time) VALUES (?, ?, ?)
                """, arguments: [group, id, now])
        }
    }

    static func addToUsersGroup(_ db: Database, principal: Int64, now: Int64) throws {
        if let users = try groupID(db, named: usersGroup) { try insertMember(db, group: users, member: .principal(principal), now: now) }
    }

    static func isLastAdmin(_ db: Database, principal: Int64, group: Int64) throws -> Bool {
        guard let admins = try groupID(db, named: adminsGroup), admins == group else { return false }
        let others = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM group_members WHERE group_id = ? AND principal_id IS NOT NULL AND principal_id <> ?
            """, arguments: [group, principal]) ?? 0
        let isMember = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM group_members WHERE group_id = ? AND principal_id = ?)", arguments: [group, principal]) ?? false
        return isMember && others == 0
    }

    /// Names are 1–255 characters without control characters.
    static func validateName(_ name: String, field: String) throws {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 255 else {
            throw VigilError(.invalidParameter, "\(field) must be 1 to 255 characters")
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw VigilError(.invalidParameter, "\(field) must not contain control characters")
        }
    }
}
