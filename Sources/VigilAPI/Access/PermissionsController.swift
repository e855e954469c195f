import Hummingbird
import VigilAccess
import VigilCore
import VigilMonitoring
import VigilStore

/// The Permissions API (reference §4.3) for the object types of `PermissionObjectType.all`. PUT replaces the
/// direct grants, PATCH merges them; both are audited as `change<Type>Acl` with the ACL sent as JSON text in
/// `request_params.access_control_list`, the shape the permission-change SQL queries read.
///
/// Apps have routes of their own (`/api/2.0/permissions/apps/{name}`): who may read and change an app's
/// permissions is decided per app (its CAN_MANAGE holders), and the app must exist.
struct PermissionsController {
    let directory: Directory
    let permissions: PermissionStore
    let apps: AppStore
    let clusters: ClusterStore
    let jobs: JobStore

    func register(on router: Router<VigilRequestContext>) {
        for path in ["/api/2.0/permissions/{object_type}/{object_id}", "/api/2.0/permissions/apps/{name}", "/api/2.0/permissions/clusters/{cluster_id}",
                     "/api/2.0/permissions/jobs/{job_id}"] {
            router.on(RouteTable.entry(.get, path), use: get)
            router.on(RouteTable.entry(.put, path), use: change)
            router.on(RouteTable.entry(.patch, path), use: change)
            router.on(RouteTable.entry(.get, path + "/permissionLevels"), use: levels)
        }
    }

    func object(_ context: VigilRequestContext) async throws -> (PermissionObjectType, String) {
        // The apps routes name the app as {name}, the clusters routes the cluster as {cluster_id}; the generic ones
        // name a type and an id.
        let typeName = context.parameters.get("object_type")
            ?? (context.parameters.get("cluster_id") != nil ? PermissionObjectType.clusters.name
                : context.parameters.get("job_id") != nil ? PermissionObjectType.jobs.name : PermissionObjectType.apps.name)
        guard let type = PermissionObjectType.named(typeName) else {
            throw VigilError(
                .notFound, "object type '\(typeName.prefix(64))' has no permissions in Vigil; types: \(PermissionObjectType.all.map(\.name).joined(separator: ", "))")
        }
        let id = context.parameters.get("object_id") ?? context.parameters.get("name") ?? context.parameters.get("cluster_id") ?? context.parameters.get("job_id") ?? ""
        try type.validate(id, nil)
        if type.name == PermissionObjectType.apps.name, try await apps.get(id) == nil { throw AppStore.notFound(id) }
        if type.name == PermissionObjectType.clusters.name, try await clusters.get(id) == nil { throw ClusterStore.notFound(id) }
        if type.name == PermissionObjectType.jobs.name, try await jobs.job(id: Int64(id) ?? 0) == nil { throw JobStore.jobNotFound(Int64(id) ?? 0) }
        context.auditNote.set("request_object_type", type.name)
        context.auditNote.set("request_object_id", id)
        // Cluster records carry `cluster_id` as every other clusters action does, so one filter finds them all.
        if type.name == PermissionObjectType.clusters.name { context.auditNote.set("cluster_id", id) }
        if type.name == PermissionObjectType.jobs.name { context.auditNote.set("job_id", id) }
        return (type, id)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let (type, id) = try await object(context)
        return try await response(type, id)
    }

    @Sendable func levels(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let (type, _) = try await object(context)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("permission_levels")
            writer.beginArray()
            for (index, level) in type.levels.enumerated() {
                if index > 0 { writer.comma() }
                writer.beginObject()
                writer.key("permission_level"); writer.string(level.level); writer.comma()
                writer.key("description"); writer.string(level.description)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
    }

    @Sendable func change(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let (type, id) = try await object(context)
        let body = try await RequestBody.read(request, allowed: ["access_control_list"])
        guard let list = body.members.first(where: { $0.key == "access_control_list" })?.value, case .array(let entries) = list else {
            throw VigilError(.invalidParameter, "access_control_list must be an array of {user_name|group_name|service_principal_name, permission_level}")
        }
        var grants: [(Member, String)] = []
        var normalized: [JSONValue] = []
        for (index, entry) in entries.enumerated() {
            func text(_ key: String) -> String? { if case .string(let value)? = entry[key] { value } else { nil } }
            let named = ["user_name", "group_name", "service_principal_name"].compactMap { key in text(key).map { (key, $0) } }
            guard named.count == 1, let (key, name) = named.first else {
                throw VigilError(.invalidParameter, "access_control_list[\(index)] needs exactly one of user_name, group_name or service_principal_name")
            }
            guard let level = text("permission_level") else {
                throw VigilError(.invalidParameter, "access_control_list[\(index)].permission_level is required")
            }
            try type.validate(id, level)
            guard let member = try await directory.resolve(
                userName: text("user_name"), groupName: text("group_name"), servicePrincipalName: text("service_principal_name"))
            else {
                throw VigilError(.invalidParameter, "access_control_list[\(index)]: \(key) \(name.prefix(128)) does not exist")
            }
            grants.append((member, level))
            normalized.append(.object([JSONMember(key, .string(name)), JSONMember("permission_level", .string(level))]))
        }
        if request.method == .put {
            try await permissions.replace(on: type.name, id, with: grants)
        } else {
            try await permissions.update(on: type.name, id, with: grants)
        }
        context.auditNote.action = Self.auditAction(type.name)
        context.auditNote.set("access_control_list", JSONWriter.text(of: .array(normalized)))
        return try await response(type, id)
    }

    /// Token permissions are Databricks' `accounts`/`changeDbTokenAcl`; other types follow its `changeClusterAcl`,
    /// `changeAppsAcl` pattern (`audit-logs` → `vigil`/`changeAuditLogsAcl`).
    static func auditAction(_ typeName: String) -> (service: String, action: String) {
        if typeName == PermissionObjectType.tokens.name { return ("accounts", "changeDbTokenAcl") }
        if typeName == PermissionObjectType.apps.name { return ("apps", "changeAppsAcl") }
        if typeName == PermissionObjectType.clusters.name { return ("clusters", "changeClusterAcl") }
        if typeName == PermissionObjectType.jobs.name { return ("jobs", "changeJobAcl") }
        return ("vigil", "change" + typeName.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + "Acl")
    }

    /// ObjectPermissions: direct grants, grants inherited from `audit-logs/all`, and `admins` (CAN_MANAGE on
    /// everything).
    func response(_ type: PermissionObjectType, _ id: String) async throws -> Response {
        let direct = try await permissions.grants(on: type.name, id)
        let inherited = id == "all" || type.name != PermissionObjectType.auditLogs.name ? [] : try await permissions.grants(on: type.name, "all")
        var order: [String] = []
        var entries: [String: (grant: Grant, permissions: [(String, String?)])] = [:]
        func add(_ grant: Grant, from object: String?) {
            let key = "\(grant.kind.rawValue):\(grant.name)"
            if entries[key] == nil { order.append(key) }
            entries[key, default: (grant, [])].permissions.append((grant.level, object))
        }
        if let admins = try await directory.group(named: Directory.adminsGroup) {
            add(Grant(member: .group(admins.id), kind: .group, name: admins.displayName, displayName: admins.displayName, level: "CAN_MANAGE"),
                from: "/\(type.name)/")
        }
        for grant in direct { add(grant, from: nil) }
        for grant in inherited { add(grant, from: "/\(type.name)/all") }
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("object_id"); writer.string("/\(type.name)/\(id)"); writer.comma()
            // Databricks names a cluster's ACL object type in the singular ("cluster"), its path in the plural.
            writer.key("object_type"); writer.string(type.name == PermissionObjectType.clusters.name ? "cluster" : type.name == PermissionObjectType.jobs.name ? "job" : type.name); writer.comma()
            writer.key("access_control_list")
            writer.beginArray()
            for (index, key) in order.enumerated() {
                guard let entry = entries[key] else { continue }
                if index > 0 { writer.comma() }
                writer.beginObject()
                switch entry.grant.kind {
                case .user: writer.key("user_name")
                case .group: writer.key("group_name")
                case .servicePrincipal: writer.key("service_principal_name")
                }
                writer.string(entry.grant.name); writer.comma()
                if let display = entry.grant.displayName { writer.key("display_name"); writer.string(display); writer.comma() }
                writer.key("all_permissions")
                writer.beginArray()
                for (position, permission) in entry.permissions.enumerated() {
                    if position > 0 { writer.comma() }
                    writer.beginObject()
                    writer.key("permission_level"); writer.string(permission.0); writer.comma()
                    writer.key("inherited"); writer.bool(permission.1 != nil)
                    if let from = permission.1 {
                        writer.comma()
                        writer.key("inherited_from_object"); writer.beginArray(); writer.string(from); writer.endArray()
                    }
                    writer.endObject()
                }
                writer.endArray()
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
    }
}
