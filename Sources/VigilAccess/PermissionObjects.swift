import VigilCore

/// The objects permissions can be granted on, as data: a later object type (apps, clusters, jobs, alerts) is one
/// more entry with its levels.
public struct PermissionObjectType: Sendable {
    public var name: String
    /// Levels this type allows, with the description `permissionLevels` returns.
    public var levels: [(level: String, description: String)]
    /// Checks an object id and a level granted on it; throws a message naming the problem.
    public var validate: @Sendable (_ objectID: String, _ level: String?) throws -> Void

    /// `audit-logs`: the audit log as a whole (`all`) or the events of one workspace (its `workspace_id`).
    public static let auditLogs = PermissionObjectType(
        name: "audit-logs",
        levels: [
            ("CAN_VIEW", "Can read audit events, their proofs and run SQL on them"),
            ("CAN_USE", "Can ingest audit events (on audit-logs/all only)"),
            ("CAN_MANAGE", "Can read and ingest audit events and manage who else can"),
        ],
        validate: { objectID, level in
            guard objectID == "all" || (!objectID.isEmpty && objectID.count <= 64 && objectID.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw VigilError(.invalidParameter, "audit-logs object id must be 'all' or a workspace_id, got '\(objectID.prefix(64))'")
            }
            if let level, !["CAN_VIEW", "CAN_USE", "CAN_MANAGE"].contains(level) {
                throw VigilError(.invalidParameter, "permission_level \(level.prefix(32)) is not valid for audit-logs; use CAN_VIEW, CAN_USE or CAN_MANAGE")
            }
            if level == "CAN_USE", objectID != "all" {
                throw VigilError(.invalidParameter, "CAN_USE (ingest) can only be granted on audit-logs/all")
            }
        })

    /// `authorization/tokens`: who may create personal access tokens (Databricks' token usage permission).
    /// Group `users` holds CAN_USE from the first start; an admin can narrow it.
    public static let tokens = PermissionObjectType(
        name: "authorization",
        levels: [("CAN_USE", "Can create and use personal access tokens"), ("CAN_MANAGE", "Can create tokens and manage who else can")],
        validate: { objectID, level in
            guard objectID == "tokens" else {
                throw VigilError(.invalidParameter, "authorization object id must be 'tokens', got '\(objectID.prefix(64))'")
            }
            if let level, !["CAN_USE", "CAN_MANAGE"].contains(level) {
                throw VigilError(.invalidParameter, "permission_level \(level.prefix(32)) is not valid for authorization/tokens; use CAN_USE or CAN_MANAGE")
            }
        })

    /// `apps/{name}`: who may use an app (read and ship its logs, follow `/logz`) and who may manage it (change,
    /// start, stop, delete it and its permissions). The creator holds CAN_MANAGE from the start.
    public static let apps = PermissionObjectType(
        name: "apps",
        levels: [("CAN_USE", "Can use the app: read, follow and ship its logs"), ("CAN_MANAGE", "Can manage the app and its permissions")],
        validate: { objectID, level in
            if let problem = AppName.problem(objectID) {
                throw VigilError(.invalidParameter, "apps object id must be an app name: \(problem)")
            }
            if let level, !["CAN_USE", "CAN_MANAGE"].contains(level) {
                throw VigilError(.invalidParameter, "permission_level \(level.prefix(32)) is not valid for apps; use CAN_USE or CAN_MANAGE")
            }
        })

    /// `clusters/{cluster_id}`: CAN_ATTACH_TO (see the cluster, its events and nodes), CAN_RESTART (also start and
    /// restart it), CAN_MANAGE (also edit, terminate, and change its permissions). The creator holds CAN_MANAGE.
    public static let clusters = PermissionObjectType(
        name: "clusters",
        levels: [
            ("CAN_ATTACH_TO", "Can see the cluster, its events and its nodes"),
            ("CAN_RESTART", "Can also start and restart the cluster"),
            ("CAN_MANAGE", "Can also edit and terminate the cluster and manage its permissions"),
        ],
        validate: { objectID, level in
            if let problem = ClusterID.problem(objectID) {
                throw VigilError(.invalidParameter, "clusters object id must be a cluster id: \(problem)")
            }
            if let level, !["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"].contains(level) {
                throw VigilError(.invalidParameter, "permission_level \(level.prefix(32)) is not valid for clusters; use CAN_ATTACH_TO, CAN_RESTART or CAN_MANAGE")
            }
        })

    /// `jobs/{job_id}`: CAN_VIEW (see the job and its runs and output), CAN_MANAGE_RUN (also run it and report its
    /// runs: what `vigil job run` needs), CAN_MANAGE (also manage its permissions), IS_OWNER (the creator).
    public static let jobs = PermissionObjectType(
        name: "jobs",
        levels: [
            ("CAN_VIEW", "Can see the job, its runs and their output"),
            ("CAN_MANAGE_RUN", "Can also run the job and report its runs (vigil job run)"),
            ("CAN_MANAGE", "Can also manage the job's permissions"),
            ("IS_OWNER", "Owns the job"),
        ],
        validate: { objectID, level in
            guard let id = Int64(objectID), id > 0, String(id) == objectID else {
                throw VigilError(.invalidParameter, "jobs object id must be a job_id (a positive integer), got '\(objectID.prefix(64))'")
            }
            if let level, !["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"].contains(level) {
                throw VigilError(.invalidParameter, "permission_level \(level.prefix(32)) is not valid for jobs; use CAN_VIEW, CAN_MANAGE_RUN, CAN_MANAGE or IS_OWNER")
            }
        })

    public static let all: [PermissionObjectType] = [.auditLogs, .tokens, .apps, .clusters, .jobs]

    public static func named(_ name: String) -> PermissionObjectType? { all.first { $0.name == name } }
}
