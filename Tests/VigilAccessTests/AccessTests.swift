import Testing
@testable import VigilAccess
import VigilCore
import VigilStore
import VigilTesting

/// A fresh database with the bootstrap admin in `admins` and `users`.
func withDirectory<T>(_ body: (VigilDatabase, Directory, Principal) async throws -> T) async throws -> T {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let database = try VigilDatabase.open(dataDirectory: folder.path)
    let (admin, _) = try await PrincipalStore(database: database).ensureAdmin()
    let directory = Directory(database: database)
    try await directory.bootstrap(admin: admin)
    return try await body(database, directory, admin)
}

func principal(_ user: User) -> Principal { Principal(id: user.id, userName: user.userName, kind: "user") }

@Suite("Identities, groups and access")
struct AccessTests {
    @Test("groups nest, a cycle is refused, and users and groups share one id space")
    func nestingAndCycles() async throws {
        try await withDirectory { _, directory, _ in
            let engineers = try await directory.createGroup(displayName: "engineers", externalID: nil)
            let platform = try await directory.createGroup(displayName: "platform", externalID: nil)
            let alice = try await directory.createUser(userName: "alice@x.com", displayName: "Alice", active: true, externalID: nil)
            #expect(Set([engineers.id, platform.id, alice.id]).count == 3)
            try await directory.addMember(.group(platform.id), to: engineers.id)
            try await directory.addMember(.principal(alice.id), to: platform.id)
            await #expect(throws: VigilError.self) { try await directory.addMember(.group(engineers.id), to: platform.id) }
            await #expect(throws: VigilError.self) { try await directory.addMember(.group(engineers.id), to: engineers.id) }
            let members = try await directory.members(of: engineers.id)
            #expect(members.map(\.name) == ["platform"])
            #expect(try await directory.parents(of: .principal(alice.id)).map(\.displayName).contains("platform"))
            await #expect(throws: VigilError.self) { _ = try await directory.createUser(userName: "ALICE@x.com", displayName: nil, active: true, externalID: nil) }
        }
    }

    @Test("a grant to a group reaches members of nested groups; admins hold everything")
    func inheritance() async throws {
        try await withDirectory { database, directory, admin in
            let auditors = try await directory.createGroup(displayName: "auditors", externalID: nil)
            let team = try await directory.createGroup(displayName: "risk-team", externalID: nil)
            let bob = try await directory.createUser(userName: "bob@x.com", displayName: nil, active: true, externalID: nil)
            let carol = try await directory.createUser(userName: "carol@x.com", displayName: nil, active: true, externalID: nil)
            try await directory.addMember(.group(team.id), to: auditors.id)
            try await directory.addMember(.principal(bob.id), to: team.id)
            let permissions = PermissionStore(database: database)
            try await permissions.update(on: "audit-logs", "all", with: [(.group(auditors.id), "CAN_VIEW")])
            try await permissions.update(on: "audit-logs", "1001", with: [(.principal(carol.id), "CAN_VIEW")])
            let resolver = AccessResolver(database: database)

            let bobAccess = try await resolver.access(for: principal(bob))
            #expect(bobAccess.auditScope == .all)
            #expect(bobAccess.allows(.readAuditLog) && bobAccess.allows(.readIdentities))
            #expect(!bobAccess.allows(.administer) && !bobAccess.allows(.ingest))

            let carolAccess = try await resolver.access(for: principal(carol))
            #expect(carolAccess.auditScope == .workspaces(["1001"]))
            #expect(carolAccess.allows(.readAuditLog) && !carolAccess.allows(.readWholeAuditLog))

            #expect(try await resolver.access(for: admin).isAdmin)
            // Removing bob's team from auditors takes the grant away.
            try await directory.removeMember(.group(team.id), from: auditors.id)
            #expect(try await resolver.access(for: principal(bob)).auditScope == nil)
        }
    }

    @Test("the last admin cannot be removed, deleted or deactivated, and the built-in groups cannot be deleted")
    func lastAdmin() async throws {
        try await withDirectory { _, directory, admin in
            let admins = try #require(try await directory.group(named: Directory.adminsGroup))
            await #expect(throws: VigilError.self) { try await directory.removeMember(.principal(admin.id), from: admins.id) }
            await #expect(throws: VigilError.self) { try await directory.deleteGroup(id: admins.id) }
            await #expect(throws: VigilError.self) { try await directory.deletePrincipal(id: admin.id) }
            // A second admin can take over; then the first may leave, but the last one can neither be deleted,
            // deactivated nor removed.
            let ops = try await directory.createUser(userName: "ops@x.com", displayName: nil, active: true, externalID: nil)
            try await directory.addMember(.principal(ops.id), to: admins.id)
            try await directory.removeMember(.principal(admin.id), from: admins.id)
            await #expect(throws: VigilError.self) { try await directory.deletePrincipal(id: ops.id) }
            await #expect(throws: VigilError.self) {
                try await directory.updatePrincipal(id: ops.id, displayName: nil, active: false, externalID: nil)
            }
            await #expect(throws: VigilError.self) { try await directory.removeMember(.principal(ops.id), from: admins.id) }
        }
    }

    @Test("the access review shows group paths, admins, unused grants, tokens without expiry and dormant users")
    func review() async throws {
        try await withDirectory { database, directory, admin in
            let auditors = try await directory.createGroup(displayName: "auditors", externalID: nil)
            let dave = try await directory.createUser(userName: "dave@x.com", displayName: nil, active: true, externalID: nil)
            try await directory.addMember(.principal(dave.id), to: auditors.id)
            try await PermissionStore(database: database).update(on: "audit-logs", "all", with: [(.group(auditors.id), "CAN_VIEW")])
            _ = try await TokenStore(database: database).create(for: principal(dave), comment: "forever", lifetimeSeconds: nil)
            let now = SystemWallClock().nowMillis()
            // Reviewed at once, dave is too new to be dormant; 31 days on, with no activity, he is.
            #expect(try await AccessReview.build(database: database, now: now, days: 30).dormantUsers.isEmpty)
            let review = try await AccessReview.build(database: database, now: now + 31 * 86_400_000, days: 30)
            #expect(review.admins == [admin.userName])
            let daveReview = try #require(review.principals.first { $0.name == "dave@x.com" })
            #expect(daveReview.permissions == [
                AccessReview.EffectivePermission(object: "audit-logs/all", level: "CAN_VIEW", via: ["auditors"]),
                AccessReview.EffectivePermission(object: "authorization/tokens", level: "CAN_USE", via: ["users"]),
            ])
            #expect(review.unusedGrants.map(\.grantee) == ["auditors", "users"])
            #expect(review.tokens.contains { $0.owner == "dave@x.com" && $0.neverExpires })
            #expect(review.dormantUsers.contains("dave@x.com"))
        }
    }
}
