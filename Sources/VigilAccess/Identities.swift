/// A user: a person who signs in with a token.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var userName: String
    public var displayName: String?
    public var active: Bool
    public var externalID: String?
    public var createdTime: Int64

    public init(id: Int64, userName: String, displayName: String?, active: Bool, externalID: String?, createdTime: Int64) {
        self.id = id
        self.userName = userName
        self.displayName = displayName
        self.active = active
        self.externalID = externalID
        self.createdTime = createdTime
    }
}

/// A service principal: a workload identity with an application id and its own tokens.
public struct ServicePrincipal: Sendable, Equatable {
    public var id: Int64
    public var applicationID: String
    public var displayName: String?
    public var active: Bool
    public var externalID: String?
    public var createdTime: Int64
}

/// A group; members are principals and other groups (nesting, cycles refused).
public struct Group: Sendable, Equatable {
    public var id: Int64
    public var displayName: String
    public var externalID: String?
    public var createdTime: Int64
}

/// Something that can be a group member or hold a permission.
public enum Member: Sendable, Hashable {
    case principal(Int64)
    case group(Int64)
}

/// What kind of identity an id names.
public enum IdentityKind: String, Sendable {
    case user
    case servicePrincipal = "service_principal"
    case group
}

/// A member as SCIM and the legacy groups API show it.
public struct MemberInfo: Sendable, Equatable {
    public var id: Int64
    public var kind: IdentityKind
    /// user name, application id, or group display name.
    public var name: String
    public var displayName: String?
}
