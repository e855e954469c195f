import Hummingbird
import VigilAccess
import VigilCore

/// The legacy Groups API 2.0 (reference §4.1), as the `databricks-cli` 0.18 `groups` commands call it:
/// parameters from the query string or a JSON body (sent as `text/json`), `{}` on success, group and member
/// names rather than ids.
struct GroupsController {
    let directory: Directory

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/groups/create"), use: create)
        router.on(RouteTable.entry(.post, "/api/2.0/groups/add-member"), use: addMember)
        router.on(RouteTable.entry(.post, "/api/2.0/groups/remove-member"), use: removeMember)
        router.on(RouteTable.entry(.get, "/api/2.0/groups/list"), use: list)
        router.on(RouteTable.entry(.get, "/api/2.0/groups/list-members"), use: listMembers)
        router.on(RouteTable.entry(.get, "/api/2.0/groups/list-parents"), use: listParents)
        router.on(RouteTable.entry(.post, "/api/2.0/groups/list-parents"), use: listParents)
        router.on(RouteTable.entry(.post, "/api/2.0/groups/delete"), use: delete)
    }

    /// Query string and JSON body merged (the body wins).
    static func parameters(_ request: Request, allowed: Set<String>) async throws -> [String: String] {
        var values: [String: String] = [:]
        let query = try QueryParameters(request, allowed: allowed)
        for key in allowed { if let value = try query.string(key) { values[key] = value } }
        let body = try await RequestBody.read(request, allowed: allowed)
        for key in allowed { if let value = try body.string(key) { values[key] = value } }
        return values
    }

    static func required(_ values: [String: String], _ key: String) throws -> String {
        guard let value = values[key], !value.isEmpty else { throw VigilError(.invalidParameter, "Missing required field: \(key)") }
        return value
    }

    func group(named name: String) async throws -> Group {
        guard let group = try await directory.group(named: name) else {
            throw VigilError(.notFound, "Group \(name) does not exist.")
        }
        return group
    }

    /// The member a request names: `user_name`, `group_name` or `service_principal_name` (exactly one).
    func member(_ values: [String: String]) async throws -> (Member, String) {
        let given = ["user_name", "group_name", "service_principal_name"].compactMap { key in values[key].map { (key, $0) } }
        guard given.count == 1, let (key, name) = given.first else {
            throw VigilError(.invalidParameter, "give exactly one of user_name, group_name or service_principal_name")
        }
        guard let member = try await directory.resolve(
            userName: values["user_name"], groupName: values["group_name"], servicePrincipalName: values["service_principal_name"])
        else {
            throw VigilError(.notFound, "\(key) \(name) does not exist.")
        }
        return (member, name)
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let values = try await Self.parameters(request, allowed: ["group_name"])
        let name = try Self.required(values, "group_name")
        context.auditNote.set("targetGroupName", name)
        let group = try await directory.createGroup(displayName: name, externalID: nil)
        context.auditNote.set("targetGroupId", String(group.id))
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("group_name"); writer.string(group.displayName)
            writer.endObject()
        }
    }

    @Sendable func addMember(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let values = try await Self.parameters(request, allowed: ["parent_name", "user_name", "group_name", "service_principal_name"])
        let parent = try await group(named: try Self.required(values, "parent_name"))
        let (member, name) = try await member(values)
        Self.note(context, parent: parent, memberName: name, member: member)
        try await directory.addMember(member, to: parent.id)
        return JSONResponse.empty
    }

    @Sendable func removeMember(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let values = try await Self.parameters(request, allowed: ["parent_name", "user_name", "group_name", "service_principal_name"])
        let parent = try await group(named: try Self.required(values, "parent_name"))
        let (member, name) = try await member(values)
        Self.note(context, parent: parent, memberName: name, member: member)
        guard try await directory.removeMember(member, from: parent.id) else {
            throw VigilError(.notFound, "\(name) is not a member of \(parent.displayName).")
        }
        return JSONResponse.empty
    }

    static func note(_ context: VigilRequestContext, parent: Group, memberName: String, member: Member) {
        context.auditNote.set("targetGroupName", parent.displayName)
        context.auditNote.set("targetGroupId", String(parent.id))
        switch member {
        case .principal(let id):
            context.auditNote.set("targetUserName", memberName)
            context.auditNote.set("targetUserId", String(id))
        case .group(let id):
            context.auditNote.set("memberGroupName", memberName)
            context.auditNote.set("memberGroupId", String(id))
        }
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try await Self.parameters(request, allowed: [])
        let groups = try await directory.groups()
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("group_names")
            writer.beginArray()
            for (index, group) in groups.enumerated() {
                if index > 0 { writer.comma() }
                writer.string(group.displayName)
            }
            writer.endArray()
            writer.endObject()
        }
    }

    @Sendable func listMembers(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let values = try await Self.parameters(request, allowed: ["group_name"])
        let group = try await group(named: try Self.required(values, "group_name"))
        context.auditNote.set("targetGroupName", group.displayName)
        let members = try await directory.members(of: group.id)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("members")
            writer.beginArray()
            for (index, member) in members.enumerated() {
                if index > 0 { writer.comma() }
                writer.beginObject()
                switch member.kind {
                case .user: writer.key("user_name")
                case .group: writer.key("group_name")
                case .servicePrincipal: writer.key("service_principal_name")
                }
                writer.string(member.name)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
    }

    @Sendable func listParents(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let values = try await Self.parameters(request, allowed: ["user_name", "group_name", "service_principal_name"])
        let (member, _) = try await member(values)
        let parents = try await directory.parents(of: member)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("group_names")
            writer.beginArray()
            for (index, group) in parents.enumerated() {
                if index > 0 { writer.comma() }
                writer.string(group.displayName)
            }
            writer.endArray()
            writer.endObject()
        }
    }

    @Sendable func delete(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let values = try await Self.parameters(request, allowed: ["group_name"])
        let group = try await group(named: try Self.required(values, "group_name"))
        context.auditNote.set("targetGroupName", group.displayName)
        context.auditNote.set("targetGroupId", String(group.id))
        try await directory.deleteGroup(id: group.id)
        return JSONResponse.empty
    }
}
