import Hummingbird
import VigilAccess
import VigilCore

/// SCIM 2.0 Groups. A PATCH that only adds members is audited as `addPrincipalsToGroup` (or
/// `addPrincipalToGroup` for one), one that only removes as `removePrincipalsFromGroup`, anything else as
/// `updateGroup`; the member ids are in `request_params.members`.
struct SCIMGroupsController {
    let directory: Directory

    func register(on router: Router<VigilRequestContext>) {
        let base = RouteTable.scim
        router.on(RouteTable.entry(.get, base + "/Groups"), use: list)
        router.on(RouteTable.entry(.post, base + "/Groups"), use: create)
        router.on(RouteTable.entry(.get, base + "/Groups/{id}"), use: get)
        router.on(RouteTable.entry(.put, base + "/Groups/{id}"), use: replace)
        router.on(RouteTable.entry(.patch, base + "/Groups/{id}"), use: patch)
        router.on(RouteTable.entry(.delete, base + "/Groups/{id}"), use: delete)
    }

    func json(_ group: Group) async throws -> JSONValue {
        SCIMJSON.group(group, members: try await directory.members(of: group.id), parents: try await directory.parents(of: .group(group.id)))
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let parameters = try SCIMRequest.listParameters(request)
        var items: [(JSONValue, [String: [String]])] = []
        for group in try await directory.groups() {
            items.append((try await json(group), [
                "id": [String(group.id)], "displayname": [group.displayName], "externalid": group.externalID.map { [$0] } ?? [],
            ]))
        }
        return SCIMResponse.json(SCIMRequest.page(items, parameters))
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await SCIMRequest.body(request)
        guard let name = try SCIMRequest.string(body, "displayName") else { throw VigilError(.invalidParameter, "displayName is required") }
        context.auditNote.set("targetGroupName", name)
        let group = try await directory.createGroup(displayName: name, externalID: try SCIMRequest.string(body, "externalId"))
        context.auditNote.set("targetGroupId", String(group.id))
        for member in try SCIMRequest.memberIDs(body.first { $0.key == "members" }?.value) {
            try await directory.addMember(try await self.member(member), to: group.id)
        }
        return SCIMResponse.json(try await json(group), status: .created)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let parameters = try SCIMRequest.listParameters(request)
        let group = try await find(context)
        return SCIMResponse.json(SCIMJSON.project(try await json(group), attributes: parameters.attributes, excluded: parameters.excluded))
    }

    /// PUT: the display name and the member list become what the body says.
    @Sendable func replace(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let group = try await find(context)
        let body = try await SCIMRequest.body(request)
        guard let name = try SCIMRequest.string(body, "displayName") else { throw VigilError(.invalidParameter, "displayName is required") }
        try await directory.renameGroup(id: group.id, displayName: name, externalID: try SCIMRequest.string(body, "externalId"))
        let wanted = Set(try SCIMRequest.memberIDs(body.first { $0.key == "members" }?.value))
        let current = Set(try await directory.members(of: group.id).map(\.id))
        for id in wanted.subtracting(current) { try await directory.addMember(try await member(id), to: group.id) }
        for id in current.subtracting(wanted) { try await directory.removeMember(try await member(id), from: group.id) }
        return SCIMResponse.json(try await json(try await directory.group(id: group.id) ?? group))
    }

    @Sendable func patch(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let group = try await find(context)
        let operations = try SCIMRequest.patchOperations(try await SCIMRequest.body(request))
        var added: [Int64] = []
        var removed: [Int64] = []
        var renamed = false
        for operation in operations {
            let path = operation.path?.lowercased()
            switch (operation.op, path) {
            case ("add", "members"?):
                added += try SCIMRequest.memberIDs(operation.value)
            case ("add", nil) where operation.value?["members"] != nil:  // {"op":"add","value":{"members":[…]}}
                added += try SCIMRequest.memberIDs(operation.value?["members"])
            case ("remove", "members"?):
                removed += try SCIMRequest.memberIDs(operation.value)
            case ("remove", let filter?) where SCIMRequest.memberFilterID(filter) != nil:
                removed += [SCIMRequest.memberFilterID(filter)].compactMap { $0 }
            case ("replace", "members"?):
                let wanted = Set(try SCIMRequest.memberIDs(operation.value))
                let current = Set(try await directory.members(of: group.id).map(\.id))
                added += Array(wanted.subtracting(current))
                removed += Array(current.subtracting(wanted))
            case ("replace", "displayname"?), ("replace", nil), ("add", "displayname"?):
                let value = path == nil ? operation.value?["displayName"] : operation.value
                guard case .string(let name)? = value else { throw VigilError(.invalidParameter, "displayName must be a string") }
                try await directory.renameGroup(id: group.id, displayName: name, externalID: group.externalID)
                renamed = true
            default:
                throw VigilError(.invalidParameter, "unsupported PATCH operation \(operation.op) \(operation.path ?? "(no path)") on a group")
            }
        }
        for id in added { try await directory.addMember(try await member(id), to: group.id) }
        for id in removed { try await directory.removeMember(try await member(id), from: group.id) }
        let action: String =
            if renamed || (!added.isEmpty && !removed.isEmpty) { "updateGroup" }
            else if !added.isEmpty { added.count == 1 ? "addPrincipalToGroup" : "addPrincipalsToGroup" }
            else if !removed.isEmpty { removed.count == 1 ? "removePrincipalFromGroup" : "removePrincipalsFromGroup" }
            else { "updateGroup" }
        context.auditNote.action = ("accounts", action)
        if !added.isEmpty { context.auditNote.set("addedMembers", added.map(String.init).joined(separator: ",")) }
        if !removed.isEmpty { context.auditNote.set("removedMembers", removed.map(String.init).joined(separator: ",")) }
        return SCIMResponse.json(try await json(try await directory.group(id: group.id) ?? group))
    }

    @Sendable func delete(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let group = try await find(context)
        try await directory.deleteGroup(id: group.id)
        return Response(status: .noContent)
    }

    private func find(_ context: VigilRequestContext) async throws -> Group {
        let id = try SCIMRequest.id(context)
        guard let group = try await directory.group(id: id) else { throw VigilError(.notFound, "Group with id \(id) not found.") }
        context.auditNote.set("targetGroupName", group.displayName)
        context.auditNote.set("targetGroupId", String(id))
        return group
    }

    private func member(_ id: Int64) async throws -> Member {
        switch try await directory.kind(of: id) {
        case .group?: return .group(id)
        case .user?, .servicePrincipal?: return .principal(id)
        case nil: throw VigilError(.notFound, "No user, service principal or group with id \(id).")
        }
    }
}
