import Hummingbird
import VigilAccess
import VigilCore
import VigilStore

/// SCIM 2.0 Users, ServicePrincipals and Me (reference §4.2). Changes are audited under the route's
/// `accounts` action with the target's name and id.
struct SCIMUsersController {
    let directory: Directory

    func register(on router: Router<VigilRequestContext>) {
        let base = RouteTable.scim
        router.on(RouteTable.entry(.get, base + "/Me"), use: me)
        router.on(RouteTable.entry(.get, base + "/Users"), use: listUsers)
        router.on(RouteTable.entry(.post, base + "/Users"), use: createUser)
        router.on(RouteTable.entry(.get, base + "/Users/{id}"), use: getUser)
        router.on(RouteTable.entry(.put, base + "/Users/{id}"), use: updateUser)
        router.on(RouteTable.entry(.patch, base + "/Users/{id}"), use: updateUser)
        router.on(RouteTable.entry(.delete, base + "/Users/{id}"), use: deletePrincipal)
        router.on(RouteTable.entry(.get, base + "/ServicePrincipals"), use: listServicePrincipals)
        router.on(RouteTable.entry(.post, base + "/ServicePrincipals"), use: createServicePrincipal)
        router.on(RouteTable.entry(.get, base + "/ServicePrincipals/{id}"), use: getServicePrincipal)
        router.on(RouteTable.entry(.put, base + "/ServicePrincipals/{id}"), use: updateServicePrincipal)
        router.on(RouteTable.entry(.patch, base + "/ServicePrincipals/{id}"), use: updateServicePrincipal)
        router.on(RouteTable.entry(.delete, base + "/ServicePrincipals/{id}"), use: deletePrincipal)
    }

    @Sendable func me(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let parents = try await directory.parents(of: .principal(principal.id))
        if let user = try await directory.user(id: principal.id) { return SCIMResponse.json(SCIMJSON.user(user, groups: parents)) }
        if let sp = try await directory.servicePrincipal(id: principal.id) {
            // As Databricks: /Me of a service principal is a User whose userName is the application id.
            let asUser = User(id: sp.id, userName: sp.applicationID, displayName: sp.displayName, active: sp.active,
                              externalID: sp.externalID, createdTime: sp.createdTime)
            return SCIMResponse.json(SCIMJSON.user(asUser, groups: parents))
        }
        throw VigilError(.notFound, "the caller has no SCIM identity")
    }

    @Sendable func listUsers(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let parameters = try SCIMRequest.listParameters(request)
        var items: [(JSONValue, [String: [String]])] = []
        for user in try await directory.users() {
            let groups = try await directory.parents(of: .principal(user.id))
            items.append((SCIMJSON.user(user, groups: groups), [
                "id": [String(user.id)], "username": [user.userName], "displayname": user.displayName.map { [$0] } ?? [],
                "active": [String(user.active)], "externalid": user.externalID.map { [$0] } ?? [], "emails.value": [user.userName],
                "emails": [user.userName],
            ]))
        }
        return SCIMResponse.json(SCIMRequest.page(items, parameters))
    }

    @Sendable func createUser(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await SCIMRequest.body(request)
        guard let userName = try SCIMRequest.string(body, "userName") else { throw VigilError(.invalidParameter, "userName is required") }
        context.auditNote.set("targetUserName", userName)
        let user = try await directory.createUser(
            userName: userName, displayName: try SCIMRequest.string(body, "displayName"), active: try SCIMRequest.bool(body, "active") ?? true,
            externalID: try SCIMRequest.string(body, "externalId"))
        context.auditNote.set("targetUserId", String(user.id))
        for group in try SCIMRequest.memberIDs(body.first { $0.key == "groups" }?.value) {
            try await directory.addMember(.principal(user.id), to: group)
        }
        return SCIMResponse.json(SCIMJSON.user(user, groups: try await directory.parents(of: .principal(user.id))), status: .created)
    }

    @Sendable func getUser(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let parameters = try SCIMRequest.listParameters(request)
        let id = try SCIMRequest.id(context)
        guard let user = try await directory.user(id: id) else { throw VigilError(.notFound, "User \(id) not found.") }
        let value = SCIMJSON.user(user, groups: try await directory.parents(of: .principal(id)))
        return SCIMResponse.json(SCIMJSON.project(value, attributes: parameters.attributes, excluded: parameters.excluded))
    }

    /// PUT replaces userName, displayName, active and externalId; PATCH applies `replace`/`add` operations to
    /// them (`active` is how a user is deactivated, which also stops their tokens).
    @Sendable func updateUser(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let id = try SCIMRequest.id(context)
        guard var user = try await directory.user(id: id) else { throw VigilError(.notFound, "User \(id) not found.") }
        context.auditNote.set("targetUserName", user.userName)
        context.auditNote.set("targetUserId", String(id))
        let body = try await SCIMRequest.body(request)
        if request.method == .put, try SCIMRequest.string(body, "userName") == nil { throw VigilError(.invalidParameter, "userName is required") }
        var attributes = Attributes(displayName: user.displayName, active: user.active, externalID: user.externalID, userName: user.userName)
        try attributes.apply(body, replacing: request.method == .put)
        (user.displayName, user.active, user.externalID) = (attributes.displayName, attributes.active, attributes.externalID)
        let newName = attributes.userName == user.userName ? nil : attributes.userName
        if !user.active { context.auditNote.set("active", "false") }
        try await directory.updatePrincipal(id: id, displayName: user.displayName, active: user.active, externalID: user.externalID, userName: newName)
        let updated = try await directory.user(id: id) ?? user
        return SCIMResponse.json(SCIMJSON.user(updated, groups: try await directory.parents(of: .principal(id))))
    }

    @Sendable func deletePrincipal(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let id = try SCIMRequest.id(context)
        if let user = try await directory.user(id: id) {
            context.auditNote.set("targetUserName", user.userName)
        } else if let sp = try await directory.servicePrincipal(id: id) {
            context.auditNote.set("targetServicePrincipalName", sp.applicationID)
        } else {
            throw VigilError(.notFound, "Resource \(id) not found.")
        }
        context.auditNote.set("targetUserId", String(id))
        try await directory.deletePrincipal(id: id)
        return Response(status: .noContent)
    }

    @Sendable func listServicePrincipals(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let parameters = try SCIMRequest.listParameters(request)
        var items: [(JSONValue, [String: [String]])] = []
        for sp in try await directory.servicePrincipals() {
            let groups = try await directory.parents(of: .principal(sp.id))
            items.append((SCIMJSON.servicePrincipal(sp, groups: groups), [
                "id": [String(sp.id)], "applicationid": [sp.applicationID], "displayname": sp.displayName.map { [$0] } ?? [],
                "active": [String(sp.active)], "externalid": sp.externalID.map { [$0] } ?? [],
            ]))
        }
        return SCIMResponse.json(SCIMRequest.page(items, parameters))
    }

    @Sendable func createServicePrincipal(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await SCIMRequest.body(request)
        let sp = try await directory.createServicePrincipal(
            applicationID: try SCIMRequest.string(body, "applicationId"), displayName: try SCIMRequest.string(body, "displayName"),
            active: try SCIMRequest.bool(body, "active") ?? true, externalID: try SCIMRequest.string(body, "externalId"))
        context.auditNote.set("targetServicePrincipalName", sp.applicationID)
        context.auditNote.set("targetUserId", String(sp.id))
        for group in try SCIMRequest.memberIDs(body.first { $0.key == "groups" }?.value) {
            try await directory.addMember(.principal(sp.id), to: group)
        }
        return SCIMResponse.json(SCIMJSON.servicePrincipal(sp, groups: try await directory.parents(of: .principal(sp.id))), status: .created)
    }

    @Sendable func getServicePrincipal(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let parameters = try SCIMRequest.listParameters(request)
        let id = try SCIMRequest.id(context)
        guard let sp = try await directory.servicePrincipal(id: id) else { throw VigilError(.notFound, "Service principal \(id) not found.") }
        let value = SCIMJSON.servicePrincipal(sp, groups: try await directory.parents(of: .principal(id)))
        return SCIMResponse.json(SCIMJSON.project(value, attributes: parameters.attributes, excluded: parameters.excluded))
    }

    @Sendable func updateServicePrincipal(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let id = try SCIMRequest.id(context)
        guard var sp = try await directory.servicePrincipal(id: id) else { throw VigilError(.notFound, "Service principal \(id) not found.") }
        context.auditNote.set("targetServicePrincipalName", sp.applicationID)
        context.auditNote.set("targetUserId", String(id))
        var attributes = Attributes(displayName: sp.displayName, active: sp.active, externalID: sp.externalID, userName: nil)
        try attributes.apply(try await SCIMRequest.body(request), replacing: request.method == .put)
        (sp.displayName, sp.active, sp.externalID) = (attributes.displayName, attributes.active, attributes.externalID)
        try await directory.updatePrincipal(id: id, displayName: sp.displayName, active: sp.active, externalID: sp.externalID)
        return SCIMResponse.json(SCIMJSON.servicePrincipal(sp, groups: try await directory.parents(of: .principal(id))))
    }

    /// The attributes PUT and PATCH may change on a user or service principal.
    struct Attributes {
        var displayName: String?
        var active: Bool
        var externalID: String?
        /// nil for service principals (their name is the application id, fixed).
        var userName: String?

        /// PUT (`replacing`) takes every attribute from the body (absent = cleared, `active` defaults to true);
        /// PATCH applies its operations to the current values.
        mutating func apply(_ body: [JSONMember], replacing: Bool) throws {
            if replacing {
                displayName = try SCIMRequest.string(body, "displayName")
                active = try SCIMRequest.bool(body, "active") ?? true
                externalID = try SCIMRequest.string(body, "externalId")
                if userName != nil, let name = try SCIMRequest.string(body, "userName") { userName = name }
                return
            }
            for operation in try SCIMRequest.patchOperations(body) {
                let changes = try SCIMUsersController.attributeChanges(operation)
                if let value = changes["active"] { active = try SCIMUsersController.boolValue(value, "active") }
                if let value = changes["displayname"] { displayName = SCIMUsersController.stringValue(value) }
                if let value = changes["externalid"] { externalID = SCIMUsersController.stringValue(value) }
                if userName != nil, let value = changes["username"], let name = SCIMUsersController.stringValue(value) { userName = name }
            }
        }
    }

    /// `{"op":"replace","path":"active","value":false}` or `{"op":"replace","value":{"active":false}}` as
    /// lower-cased attribute → value.
    static func attributeChanges(_ operation: SCIMRequest.PatchOperation) throws -> [String: JSONValue] {
        guard operation.op != "remove" else {
            guard let path = operation.path else { throw VigilError(.invalidParameter, "remove needs a path") }
            return [path.lowercased(): .null]
        }
        if let path = operation.path { return [path.lowercased(): operation.value ?? .null] }
        guard case .object(let members)? = operation.value else {
            throw VigilError(.invalidParameter, "an operation without a path needs an object value")
        }
        return Dictionary(members.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    static func boolValue(_ value: JSONValue, _ name: String) throws -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string(let text) where ["true", "false"].contains(text.lowercased()): return text.lowercased() == "true"
        // Databricks' documented form: "value": [{"value": "false"}].
        case .array(let items) where items.count == 1 && items[0]["value"] != nil: return try boolValue(items[0]["value"]!, name)
        default: throw VigilError(.invalidParameter, "\(name) must be true or false")
        }
    }

    static func stringValue(_ value: JSONValue) -> String? {
        if case .string(let text) = value { return text }
        return nil
    }
}

/// SCIM responses: `application/scim+json` would be exact, but Databricks answers `application/json`.
enum SCIMResponse {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        JSONResponse.make(Array(JSONWriter.text(of: value).utf8), status: status)
    }
}
