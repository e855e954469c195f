import GRDB
import VigilCore
import VigilStore

/// Which events a principal may read: all of them, or only some workspaces' (`workspace_id`).
public enum AuditScope: Sendable, Equatable {
    case all
    case workspaces(Set<String>)

    /// nil = no limit; otherwise the allowed `workspace_id` values.
    public var workspaceIDs: [String]? {
        switch self {
        case .all: nil
        case .workspaces(let ids): ids.sorted()
        }
    }
}

/// What an endpoint demands of its caller. Every route names one; `Access.allows` is the one decision.
public enum Requirement: String, Sendable, CaseIterable {
    /// No token needed (`/health`, `/.well-known/databricks-config`).
    case open
    /// Any valid token: the caller's own things (`/Me`, own tokens, own statements).
    case authenticated
    /// Read audit events and run SQL on them, possibly limited to some workspaces.
    case readAuditLog
    /// Read across the whole log (ledger proofs, checkpoints, metrics): no workspace limit.
    case readWholeAuditLog
    /// Ingest audit events.
    case ingest
    /// Create a personal access token (CAN_USE on `authorization/tokens`).
    case createTokens
    /// Read users, groups, service principals, permissions and access reviews (admins and auditors).
    case readIdentities
    /// Change identities, group membership, permissions, checkpoints: members of `admins`.
    case administer
    /// CAN_USE or CAN_MANAGE on the app the request names (`{name}` in its path): read, follow and get its logs.
    case useApp
    /// CAN_USE on the app the request names, or the ingest permission (CAN_USE on audit-logs/all): ship its logs.
    case shipAppLogs
    /// CAN_MANAGE on the app the request names: change, start, stop or delete it, and change its permissions.
    case manageApp
    /// CAN_MANAGE on the app the request names, or reading identities: see who may use it.
    case viewAppPermissions
    /// Create a cluster, or register one from `vigil agent`: admins, and producers (the ingest permission, CAN_USE on
    /// audit-logs/all), which agents run with. Databricks gives this through the `allow-cluster-create` entitlement.
    case createClusters
    /// CAN_MANAGE on the cluster the request names (`{cluster_id}` in its path): change who may use it.
    case manageCluster
    /// CAN_MANAGE on the cluster the request names, or reading identities: see who may use it.
    case viewClusterPermissions
    /// CAN_MANAGE or IS_OWNER on the job the request names (`{job_id}` in its path): change who may use it.
    case manageJob
    /// CAN_MANAGE or IS_OWNER on the job the request names, or reading identities: see who may use it.
    case viewJobPermissions
    /// No token in a header: the request carries a token to sign in with (`/login`), checked by its handler and
    /// rate-limited per address like every request without a valid token.
    case signIn
}

/// What one authenticated principal may do, computed from its groups (nested) and its grants (direct or
/// through any group).
public struct Access: Sendable {
    public var principal: Principal
    public var isAdmin: Bool
    /// nil when the principal may not read the audit log at all.
    public var auditScope: AuditScope?
    public var canIngest: Bool
    public var canCreateTokens: Bool
    /// The best level held on each app (directly or through a group): `CAN_USE` or `CAN_MANAGE`, by app name.
    public var appLevels: [String: String]
    /// The best level held on each cluster: `CAN_ATTACH_TO`, `CAN_RESTART` or `CAN_MANAGE`, by cluster id.
    public var clusterLevels: [String: String]
    /// The best level held on each job: `CAN_VIEW`, `CAN_MANAGE_RUN`, `CAN_MANAGE` or `IS_OWNER`, by job id.
    public var jobLevels: [String: String]

    public init(principal: Principal, isAdmin: Bool, auditScope: AuditScope?, canIngest: Bool, canCreateTokens: Bool,
                appLevels: [String: String] = [:], clusterLevels: [String: String] = [:], jobLevels: [String: String] = [:]) {
        self.clusterLevels = clusterLevels
        self.jobLevels = jobLevels
        self.principal = principal
        self.isAdmin = isAdmin
        self.auditScope = auditScope
        self.canIngest = canIngest
        self.canCreateTokens = canCreateTokens
        self.appLevels = appLevels
    }

    /// Whether the principal meets `requirement`; `object` is the app a per-app requirement is about.
    public func allows(_ requirement: Requirement, object: String? = nil) -> Bool {
        if isAdmin { return true }
        switch requirement {
        case .open, .authenticated, .signIn: return true
        case .readAuditLog: return auditScope != nil
        case .readWholeAuditLog: return auditScope == .all
        case .ingest: return canIngest
        case .createTokens: return canCreateTokens
        case .readIdentities: return auditScope == .all
        case .administer: return false
        case .useApp: return object.map { canUse(app: $0) } ?? false
        case .shipAppLogs: return canIngest || (object.map { canUse(app: $0) } ?? false)
        case .manageApp: return object.map { appLevels[$0] == "CAN_MANAGE" } ?? false
        case .viewAppPermissions: return auditScope == .all || (object.map { appLevels[$0] == "CAN_MANAGE" } ?? false)
        case .createClusters: return canIngest
        case .manageCluster: return object.map { has(.manage, onCluster: $0) } ?? false
        case .viewClusterPermissions: return auditScope == .all || (object.map { has(.manage, onCluster: $0) } ?? false)
        case .manageJob: return object.map { has(.manage, onJob: $0) } ?? false
        case .viewJobPermissions: return auditScope == .all || (object.map { has(.manage, onJob: $0) } ?? false)
        }
    }

    /// Job permission levels, weakest first: each includes those before it.
    public enum JobLevel: Int, Sendable, Comparable {
        case view, manageRun, manage, owner

        public init?(_ name: String) {
            switch name {
            case "CAN_VIEW": self = .view
            case "CAN_MANAGE_RUN": self = .manageRun
            case "CAN_MANAGE": self = .manage
            case "IS_OWNER": self = .owner
            default: return nil
            }
        }

        public var name: String {
            switch self {
            case .view: "CAN_VIEW"
            case .manageRun: "CAN_MANAGE_RUN"
            case .manage: "CAN_MANAGE"
            case .owner: "IS_OWNER"
            }
        }

        public static func < (lhs: JobLevel, rhs: JobLevel) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Whether the principal holds `level` or a stronger one on job `id` (admins hold every level; auditors who
    /// read the whole audit log may view every job and its runs).
    public func has(_ level: JobLevel, onJob id: String) -> Bool {
        if isAdmin { return true }
        if level == .view, auditScope == .all { return true }
        guard let held = jobLevels[id].flatMap(JobLevel.init) else { return false }
        return held >= level
    }

    /// Cluster permission levels, weakest first: each includes those before it.
    public enum ClusterLevel: Int, Sendable, Comparable {
        case attach, restart, manage

        public init?(_ name: String) {
            switch name {
            case "CAN_ATTACH_TO": self = .attach
            case "CAN_RESTART": self = .restart
            case "CAN_MANAGE": self = .manage
            default: return nil
            }
        }

        public var name: String {
            switch self {
            case .attach: "CAN_ATTACH_TO"
            case .restart: "CAN_RESTART"
            case .manage: "CAN_MANAGE"
            }
        }

        public static func < (lhs: ClusterLevel, rhs: ClusterLevel) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Whether the principal holds `level` or a stronger one on cluster `id` (admins hold every level).
    public func has(_ level: ClusterLevel, onCluster id: String) -> Bool {
        if isAdmin { return true }
        guard let held = clusterLevels[id].flatMap(ClusterLevel.init) else { return false }
        return held >= level
    }

    /// CAN_USE or CAN_MANAGE on app `name` (admins use every app).
    public func canUse(app name: String) -> Bool {
        isAdmin || appLevels[name] != nil
    }

    /// The admin's view: everything.
    public static func administrator(_ principal: Principal) -> Access {
        Access(principal: principal, isAdmin: true, auditScope: .all, canIngest: true, canCreateTokens: true)
    }
}

/// Computes `Access` for a principal from the database (group closure and grants), once per request.
public struct AccessResolver: Sendable {
    public let database: VigilDatabase

    public init(database: VigilDatabase) {
        self.database = database
    }

    public func access(for principal: Principal) async throws -> Access {
        try await database.pool.read { db in
            let graph = try MembershipGraph.load(db)
            let groups = graph.groups(ofPrincipal: principal.id)
            let isAdmin = groups.keys.contains { graph.groupNames[$0] == Directory.adminsGroup }
            if isAdmin { return Access.administrator(principal) }
            let groupList = Array(groups.keys)
            let placeholders = groupList.isEmpty ? "NULL" : Array(repeating: "?", count: groupList.count).joined(separator: ",")
            var arguments: StatementArguments = [principal.id]
            arguments += StatementArguments(groupList)
            let rows = try Row.fetchAll(db, sql: """
                SELECT object_type, object_id, permission_level FROM permissions
                WHERE principal_id = ? OR group_id IN (\(placeholders))
                """, arguments: arguments)
            var all = false
            var workspaces: Set<String> = []
            var ingest = false
            var tokens = false
            var apps: [String: String] = [:]
            var clusters: [String: String] = [:]
            var jobs: [String: String] = [:]
            for row in rows {
                let objectID: String = row["object_id"]
                let level: String = row["permission_level"]
                if (row["object_type"] as String) == PermissionObjectType.apps.name {
                    if apps[objectID] != "CAN_MANAGE" { apps[objectID] = level }
                    continue
                }
                if (row["object_type"] as String) == PermissionObjectType.clusters.name {
                    if let held = clusters[objectID].flatMap(Access.ClusterLevel.init), let new = Access.ClusterLevel(level), held >= new { continue }
                    clusters[objectID] = level
                    continue
                }
                if (row["object_type"] as String) == PermissionObjectType.jobs.name {
                    if let held = jobs[objectID].flatMap(Access.JobLevel.init), let new = Access.JobLevel(level), held >= new { continue }
                    jobs[objectID] = level
                    continue
                }
                if (row["object_type"] as String) == PermissionObjectType.tokens.name {
                    tokens = tokens || level == "CAN_USE" || level == "CAN_MANAGE"
                    continue
                }
                if level == "CAN_VIEW" || level == "CAN_MANAGE" {
                    if objectID == "all" { all = true } else { workspaces.insert(objectID) }
                }
                if (level == "CAN_USE" || level == "CAN_MANAGE") && objectID == "all" { ingest = true }
            }
            let scope: AuditScope? = all ? .all : workspaces.isEmpty ? nil : .workspaces(workspaces)
            return Access(principal: principal, isAdmin: false, auditScope: scope, canIngest: ingest, canCreateTokens: tokens, appLevels: apps, clusterLevels: clusters, jobLevels: jobs)
        }
    }
}
