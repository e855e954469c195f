import VigilAccess
import VigilCore

/// SCIM resource shapes (reference databricks.md §4.2) as JSON values, so `attributes`/`excludedAttributes`
/// can be applied before writing.
enum SCIMJSON {
    static let userSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let workspaceUserSchema = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"
    static let groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    static let servicePrincipalSchema = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
    static let listSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    static let errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"
    static let patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

    static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    static func groupRefs(_ groups: [Group]) -> JSONValue {
        .array(groups.map { group in
            .object([
                JSONMember("display", .string(group.displayName)), JSONMember("type", .string("direct")),
                JSONMember("value", .string(String(group.id))), JSONMember("$ref", .string("Groups/\(group.id)")),
            ])
        })
    }

    static func user(_ user: User, groups: [Group]) -> JSONValue {
        var members = [
            JSONMember("schemas", .array([.string(userSchema), .string(workspaceUserSchema)])),
            JSONMember("id", .string(String(user.id))),
            JSONMember("userName", .string(user.userName)),
            JSONMember("active", .bool(user.active)),
            JSONMember("emails", .array([.object([
                JSONMember("value", .string(user.userName)), JSONMember("type", .string("work")), JSONMember("primary", .bool(true)),
            ])])),
            JSONMember("groups", groupRefs(groups)),
        ]
        if let name = user.displayName { members.insert(JSONMember("displayName", .string(name)), at: 3) }
        if let external = user.externalID { members.append(JSONMember("externalId", .string(external))) }
        return .object(members)
    }

    static func servicePrincipal(_ principal: ServicePrincipal, groups: [Group]) -> JSONValue {
        var members = [
            JSONMember("schemas", .array([.string(servicePrincipalSchema)])),
            JSONMember("id", .string(String(principal.id))),
            JSONMember("applicationId", .string(principal.applicationID)),
            JSONMember("active", .bool(principal.active)),
            JSONMember("groups", groupRefs(groups)),
        ]
        if let name = principal.displayName { members.insert(JSONMember("displayName", .string(name)), at: 3) }
        if let external = principal.externalID { members.append(JSONMember("externalId", .string(external))) }
        return .object(members)
    }

    static func group(_ group: Group, members: [MemberInfo], parents: [Group]) -> JSONValue {
        var fields = [
            JSONMember("schemas", .array([.string(groupSchema)])),
            JSONMember("id", .string(String(group.id))),
            JSONMember("displayName", .string(group.displayName)),
            JSONMember("members", .array(members.map { member in
                let collection =
                    switch member.kind {
                    case .user: "Users"
                    case .servicePrincipal: "ServicePrincipals"
                    case .group: "Groups"
                    }
                return .object([
                    JSONMember("display", .string(member.displayName ?? member.name)),
                    JSONMember("value", .string(String(member.id))),
                    JSONMember("$ref", .string("\(collection)/\(member.id)")),
                ])
            })),
            JSONMember("groups", groupRefs(parents)),
            JSONMember("meta", .object([JSONMember("resourceType", .string("WorkspaceGroup"))])),
        ]
        if let external = group.externalID { fields.append(JSONMember("externalId", .string(external))) }
        return .object(fields)
    }

    /// Keeps only `attributes` (plus `id` and `schemas`) or drops `excludedAttributes`, case-insensitively.
    static func project(_ value: JSONValue, attributes: Set<String>?, excluded: Set<String>?) -> JSONValue {
        guard case .object(let members) = value else { return value }
        return .object(members.filter { member in
            let key = member.key.lowercased()
            if let attributes { return key == "id" || key == "schemas" || attributes.contains(key) }
            if let excluded { return !excluded.contains(key) }
            return true
        })
    }

    static func list(_ resources: [JSONValue], total: Int, startIndex: Int) -> JSONValue {
        .object([
            JSONMember("schemas", .array([.string(listSchema)])),
            JSONMember("totalResults", .number(String(total))),
            JSONMember("startIndex", .number(String(startIndex))),
            JSONMember("itemsPerPage", .number(String(resources.count))),
            JSONMember("Resources", .array(resources)),
        ])
    }
}
