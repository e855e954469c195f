import Hummingbird
import VigilAccess

/// One endpoint: where it lives, what its caller must be allowed (`Requirement`, decided by `Access.allows`
/// in one place, the authentication middleware), and the `service_name`/`action_name` its self-audit record
/// carries (Databricks names where one fits, reference databricks.md §1.2–1.3; Vigil's own names are listed
/// in docs/audit-actions.md).
public struct APIRoute: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    public let requirement: Requirement
    public let service: String
    public let action: String
    /// A browser page: a signed-in browser's session cookie authenticates it too (bearer tokens always do), and a
    /// GET without credentials is sent to `/login` instead of answered 401.
    public let acceptsSession: Bool
    /// The `request_params` key the request's JSON body is recorded under, even when the request is refused before
    /// its handler reads it (`app` for createApp and updateApp: a denied attempt to add scopes is in the audit log).
    public let bodyParam: String?

    init(_ method: HTTPRequest.Method, _ path: String, _ requirement: Requirement, _ service: String, _ action: String,
         session: Bool = false, bodyParam: String? = nil) {
        self.bodyParam = bodyParam
        self.method = method
        self.path = path
        self.requirement = requirement
        self.service = service
        self.action = action
        self.acceptsSession = session
    }
}

/// The route table: every endpoint Vigil serves, in one place. Controllers register handlers for these
/// entries only (`RouteTable.entry(...)` traps at start-up for an unknown one, so no route escapes the
/// table, its audit names or its access requirement).
public enum RouteTable {
    static let scim = "/api/2.0/preview/scim/v2"

    public static let all: [APIRoute] = [
        APIRoute(.get, "/health", .open, "vigil", "health"),
        APIRoute(.get, "/.well-known/databricks-config", .open, "vigil", "hostMetadata"),
        APIRoute(.post, "/api/2.0/audit/events", .ingest, "vigil", "ingestAuditEvents"),
        APIRoute(.post, "/api/2.0/vigil/sources/kubernetes", .ingest, "vigil", "ingestKubernetesAudit"),
        APIRoute(.get, "/api/2.0/vigil/host-logs", .readWholeAuditLog, "vigil", "listHostLogs"),
        APIRoute(.get, "/api/2.0/audit/events", .readAuditLog, "vigil", "listAuditEvents"),
        APIRoute(.get, "/api/2.0/audit/events/{event_id}", .readAuditLog, "vigil", "getAuditEvent"),
        APIRoute(.post, "/api/2.0/vigil/compute/node-timeline", .ingest, "vigil", "ingestNodeTimeline"),
        APIRoute(.post, "/api/2.0/token/create", .createTokens, "accounts", "generateDbToken"),
        APIRoute(.get, "/api/2.0/token/list", .authenticated, "accounts", "listDbTokens"),
        APIRoute(.post, "/api/2.0/token/delete", .authenticated, "accounts", "revokeDbToken"),
        APIRoute(.post, "/api/2.0/token-management/on-behalf-of/tokens", .administer, "accounts", "generateDbToken"),
        APIRoute(.get, "/metrics", .readWholeAuditLog, "vigil", "scrapeMetrics"),
        APIRoute(.get, "/api/2.0/vigil/ledger/checkpoint", .readWholeAuditLog, "vigil", "getLedgerCheckpoint"),
        APIRoute(.post, "/api/2.0/vigil/ledger/checkpoint", .administer, "vigil", "signLedgerCheckpoint"),
        APIRoute(.get, "/api/2.0/vigil/ledger/keys", .readWholeAuditLog, "vigil", "listLedgerKeys"),
        APIRoute(.get, "/api/2.0/vigil/ledger/proof/inclusion", .readWholeAuditLog, "vigil", "getInclusionProof"),
        APIRoute(.get, "/api/2.0/vigil/ledger/proof/consistency", .readWholeAuditLog, "vigil", "getConsistencyProof"),
        APIRoute(.post, "/api/2.0/sql/statements", .readAuditLog, "databrickssql", "commandSubmit"),
        APIRoute(.get, "/api/2.0/sql/statements/{statement_id}", .authenticated, "databrickssql", "getStatement"),
        APIRoute(.get, "/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}", .authenticated, "databrickssql", "getStatementResultChunk"),
        APIRoute(.post, "/api/2.0/sql/statements/{statement_id}/cancel", .authenticated, "databrickssql", "cancelStatement"),
        // SCIM 2.0 (reference §4.2).
        APIRoute(.get, scim + "/Me", .authenticated, "accounts", "getCurrentUser"),
        APIRoute(.get, scim + "/Users", .readIdentities, "accounts", "listUsers"),
        APIRoute(.post, scim + "/Users", .administer, "accounts", "createUser"),
        APIRoute(.get, scim + "/Users/{id}", .readIdentities, "accounts", "getUser"),
        APIRoute(.put, scim + "/Users/{id}", .administer, "accounts", "updateUser"),
        APIRoute(.patch, scim + "/Users/{id}", .administer, "accounts", "updateUser"),
        APIRoute(.delete, scim + "/Users/{id}", .administer, "accounts", "deleteUser"),
        APIRoute(.get, scim + "/ServicePrincipals", .readIdentities, "accounts", "listServicePrincipals"),
        APIRoute(.post, scim + "/ServicePrincipals", .administer, "accounts", "createServicePrincipal"),
        APIRoute(.get, scim + "/ServicePrincipals/{id}", .readIdentities, "accounts", "getServicePrincipal"),
        APIRoute(.put, scim + "/ServicePrincipals/{id}", .administer, "accounts", "updateServicePrincipal"),
        APIRoute(.patch, scim + "/ServicePrincipals/{id}", .administer, "accounts", "updateServicePrincipal"),
        APIRoute(.delete, scim + "/ServicePrincipals/{id}", .administer, "accounts", "deleteServicePrincipal"),
        APIRoute(.get, scim + "/Groups", .readIdentities, "accounts", "listGroups"),
        APIRoute(.post, scim + "/Groups", .administer, "accounts", "createGroup"),
        APIRoute(.get, scim + "/Groups/{id}", .readIdentities, "accounts", "getGroup"),
        APIRoute(.put, scim + "/Groups/{id}", .administer, "accounts", "updateGroup"),
        APIRoute(.patch, scim + "/Groups/{id}", .administer, "accounts", "updateGroup"),
        APIRoute(.delete, scim + "/Groups/{id}", .administer, "accounts", "removeGroup"),
        // Legacy Groups API 2.0 (reference §4.1).
        APIRoute(.post, "/api/2.0/groups/create", .administer, "accounts", "createGroup"),
        APIRoute(.post, "/api/2.0/groups/add-member", .administer, "accounts", "addPrincipalToGroup"),
        APIRoute(.post, "/api/2.0/groups/remove-member", .administer, "accounts", "removePrincipalFromGroup"),
        APIRoute(.get, "/api/2.0/groups/list", .readIdentities, "accounts", "listGroups"),
        APIRoute(.get, "/api/2.0/groups/list-members", .readIdentities, "accounts", "listGroupMembers"),
        APIRoute(.get, "/api/2.0/groups/list-parents", .readIdentities, "accounts", "listGroupParents"),
        APIRoute(.post, "/api/2.0/groups/list-parents", .readIdentities, "accounts", "listGroupParents"),
        APIRoute(.post, "/api/2.0/groups/delete", .administer, "accounts", "removeGroup"),
        // Permissions API (reference §4.3).
        APIRoute(.get, "/api/2.0/permissions/{object_type}/{object_id}", .readIdentities, "accounts", "getPermissions"),
        APIRoute(.put, "/api/2.0/permissions/{object_type}/{object_id}", .administer, "accounts", "changePermissions"),
        APIRoute(.patch, "/api/2.0/permissions/{object_type}/{object_id}", .administer, "accounts", "changePermissions"),
        APIRoute(.get, "/api/2.0/permissions/{object_type}/{object_id}/permissionLevels", .readIdentities, "accounts", "getPermissionLevels"),
        APIRoute(.get, "/api/2.0/vigil/access-review", .readIdentities, "vigil", "getAccessReview"),
        // Apps API (reference §4.7): per-app routes name the app as {name}; its permissions are decided per app.
        APIRoute(.post, "/api/2.0/apps", .authenticated, "apps", "createApp", bodyParam: "app"),
        APIRoute(.get, "/api/2.0/apps", .authenticated, "apps", "listApps"),
        APIRoute(.get, "/api/2.0/apps/{name}", .useApp, "apps", "getApp"),
        APIRoute(.patch, "/api/2.0/apps/{name}", .manageApp, "apps", "updateApp", bodyParam: "app"),
        APIRoute(.delete, "/api/2.0/apps/{name}", .manageApp, "apps", "deleteApp"),
        APIRoute(.post, "/api/2.0/apps/{name}/start", .manageApp, "apps", "startApp"),
        APIRoute(.post, "/api/2.0/apps/{name}/stop", .manageApp, "apps", "stopApp"),
        APIRoute(.get, "/api/2.0/permissions/apps/{name}", .viewAppPermissions, "apps", "getAppPermissions"),
        APIRoute(.put, "/api/2.0/permissions/apps/{name}", .manageApp, "apps", "changeAppsAcl"),
        APIRoute(.patch, "/api/2.0/permissions/apps/{name}", .manageApp, "apps", "changeAppsAcl"),
        APIRoute(.get, "/api/2.0/permissions/apps/{name}/permissionLevels", .viewAppPermissions, "apps", "getAppPermissionLevels"),
        // App logs: Vigil's push and read, and what log shippers already send (Loki push, OTLP/HTTP logs; their app is
        // in the body, so the handler decides per app with the same rule as .shipAppLogs).
        APIRoute(.post, "/api/2.0/vigil/apps/{name}/logs", .shipAppLogs, "vigil", "ingestAppLogs"),
        APIRoute(.get, "/api/2.0/vigil/apps/{name}/logs", .useApp, "vigil", "listAppLogs"),
        APIRoute(.get, "/api/2.0/vigil/apps/{name}/log-settings", .useApp, "vigil", "getAppLogSettings"),
        APIRoute(.patch, "/api/2.0/vigil/apps/{name}/log-settings", .manageApp, "vigil", "updateAppLogSettings"),
        APIRoute(.post, "/loki/api/v1/push", .authenticated, "vigil", "ingestAppLogs"),
        APIRoute(.post, "/v1/logs", .authenticated, "vigil", "ingestAppLogs"),
        // Clusters API (reference §4.4), at /api/2.1 and the /api/2.0 paths older clients use. The cluster is named in the
        // body or query, so the handler decides the per-cluster level (CAN_ATTACH_TO, CAN_RESTART, CAN_MANAGE).
        APIRoute(.post, "/api/2.1/clusters/create", .createClusters, "clusters", "create"),
        APIRoute(.post, "/api/2.1/clusters/edit", .authenticated, "clusters", "edit"),
        APIRoute(.post, "/api/2.1/clusters/start", .authenticated, "clusters", "start"),
        APIRoute(.post, "/api/2.1/clusters/restart", .authenticated, "clusters", "restart"),
        APIRoute(.post, "/api/2.1/clusters/delete", .authenticated, "clusters", "delete"),
        APIRoute(.get, "/api/2.1/clusters/get", .authenticated, "clusters", "get"),
        APIRoute(.get, "/api/2.1/clusters/list", .authenticated, "clusters", "list"),
        APIRoute(.post, "/api/2.1/clusters/events", .authenticated, "clusters", "events"),
        APIRoute(.post, "/api/2.0/clusters/create", .createClusters, "clusters", "create"),
        APIRoute(.post, "/api/2.0/clusters/edit", .authenticated, "clusters", "edit"),
        APIRoute(.post, "/api/2.0/clusters/start", .authenticated, "clusters", "start"),
        APIRoute(.post, "/api/2.0/clusters/restart", .authenticated, "clusters", "restart"),
        APIRoute(.post, "/api/2.0/clusters/delete", .authenticated, "clusters", "delete"),
        APIRoute(.get, "/api/2.0/clusters/get", .authenticated, "clusters", "get"),
        APIRoute(.get, "/api/2.0/clusters/list", .authenticated, "clusters", "list"),
        APIRoute(.post, "/api/2.0/clusters/events", .authenticated, "clusters", "events"),
        APIRoute(.get, "/api/2.0/permissions/clusters/{cluster_id}", .viewClusterPermissions, "clusters", "getClusterPermissions"),
        APIRoute(.put, "/api/2.0/permissions/clusters/{cluster_id}", .manageCluster, "clusters", "changeClusterAcl"),
        APIRoute(.patch, "/api/2.0/permissions/clusters/{cluster_id}", .manageCluster, "clusters", "changeClusterAcl"),
        APIRoute(.get, "/api/2.0/permissions/clusters/{cluster_id}/permissionLevels", .viewClusterPermissions, "clusters", "getClusterPermissionLevels"),
        // Jobs API (reference §4.5) at /api/2.2 and the /api/2.1 paths; the job is in the body, query or run, so the
        // handler decides the per-job level (CAN_VIEW, CAN_MANAGE_RUN, CAN_MANAGE, IS_OWNER).
        APIRoute(.post, "/api/2.2/jobs/create", .authenticated, "jobs", "create"),
        APIRoute(.post, "/api/2.2/jobs/run-now", .authenticated, "jobs", "runNow"),
        APIRoute(.get, "/api/2.2/jobs/list", .authenticated, "jobs", "list"),
        APIRoute(.get, "/api/2.2/jobs/get", .authenticated, "jobs", "get"),
        APIRoute(.get, "/api/2.2/jobs/runs/list", .authenticated, "jobs", "listRuns"),
        APIRoute(.get, "/api/2.2/jobs/runs/get", .authenticated, "jobs", "getRun"),
        APIRoute(.get, "/api/2.2/jobs/runs/get-output", .authenticated, "jobs", "getRunOutput"),
        APIRoute(.post, "/api/2.1/jobs/create", .authenticated, "jobs", "create"),
        APIRoute(.post, "/api/2.1/jobs/run-now", .authenticated, "jobs", "runNow"),
        APIRoute(.get, "/api/2.1/jobs/list", .authenticated, "jobs", "list"),
        APIRoute(.get, "/api/2.1/jobs/get", .authenticated, "jobs", "get"),
        APIRoute(.get, "/api/2.1/jobs/runs/list", .authenticated, "jobs", "listRuns"),
        APIRoute(.get, "/api/2.1/jobs/runs/get", .authenticated, "jobs", "getRun"),
        APIRoute(.get, "/api/2.1/jobs/runs/get-output", .authenticated, "jobs", "getRunOutput"),
        APIRoute(.get, "/api/2.0/permissions/jobs/{job_id}", .viewJobPermissions, "jobs", "getJobPermissions"),
        APIRoute(.put, "/api/2.0/permissions/jobs/{job_id}", .manageJob, "jobs", "changeJobAcl"),
        APIRoute(.patch, "/api/2.0/permissions/jobs/{job_id}", .manageJob, "jobs", "changeJobAcl"),
        APIRoute(.get, "/api/2.0/permissions/jobs/{job_id}/permissionLevels", .viewJobPermissions, "jobs", "getJobPermissionLevels"),
        // The runner's side of a run (`vigil job run`): CAN_MANAGE_RUN on the run's job.
        APIRoute(.post, "/api/2.0/vigil/jobs/runs/{run_id}/start", .authenticated, "jobs", "runStart"),
        APIRoute(.post, "/api/2.0/vigil/jobs/runs/{run_id}/heartbeat", .authenticated, "vigil", "reportJobRunHeartbeat"),
        APIRoute(.post, "/api/2.0/vigil/jobs/runs/{run_id}/finish", .authenticated, "jobs", "runFailed"),
        APIRoute(.post, "/api/2.0/vigil/jobs/runs/{run_id}/output", .authenticated, "vigil", "ingestJobRunOutput"),
        // An agent's report: its node is alive, with its node_timeline rows (producers, or the cluster's managers).
        APIRoute(.post, "/api/2.0/vigil/compute/heartbeat", .authenticated, "vigil", "reportNodeHeartbeat"),
        // Detection rules (Sigma YAML bodies) and what they fired: admins.
        APIRoute(.post, "/api/2.0/vigil/detections", .administer, "vigil", "createDetection"),
        APIRoute(.get, "/api/2.0/vigil/detections", .administer, "vigil", "listDetections"),
        APIRoute(.get, "/api/2.0/vigil/detections/{id}", .administer, "vigil", "getDetection"),
        APIRoute(.put, "/api/2.0/vigil/detections/{id}", .administer, "vigil", "updateDetection"),
        APIRoute(.delete, "/api/2.0/vigil/detections/{id}", .administer, "vigil", "deleteDetection"),
        APIRoute(.post, "/api/2.0/vigil/detections/{id}/backtest", .administer, "vigil", "backtestDetection"),
        APIRoute(.get, "/api/2.0/vigil/alert-history", .administer, "vigil", "listAlertHistory"),
        APIRoute(.get, "/api/2.0/vigil/alerts/{id}", .administer, "vigil", "getAlert"),
        APIRoute(.post, "/api/2.0/vigil/alerts/{id}/acknowledge", .administer, "vigil", "acknowledgeAlert"),
        // Alertmanager-style silences: matching alerts are kept and audited but notify no one.
        APIRoute(.post, "/api/2.0/vigil/silences", .administer, "vigil", "createSilence"),
        APIRoute(.get, "/api/2.0/vigil/silences", .administer, "vigil", "listSilences"),
        APIRoute(.delete, "/api/2.0/vigil/silences/{id}", .administer, "vigil", "expireSilence"),
        // SQL alerts (Alerts V2): anyone who may run SQL makes them; owners and admins see and change theirs.
        APIRoute(.post, "/api/2.0/alerts", .authenticated, "databrickssql", "createAlert"),
        APIRoute(.get, "/api/2.0/alerts", .authenticated, "databrickssql", "listAlerts"),
        APIRoute(.get, "/api/2.0/alerts/{id}", .authenticated, "databrickssql", "getAlert"),
        APIRoute(.patch, "/api/2.0/alerts/{id}", .authenticated, "databrickssql", "updateAlert"),
        APIRoute(.delete, "/api/2.0/alerts/{id}", .authenticated, "databrickssql", "deleteAlert"),
        // Metric alarms (CloudWatch semantics): admins.
        APIRoute(.post, "/api/2.0/vigil/metric-alarms", .administer, "vigil", "putMetricAlarm"),
        APIRoute(.get, "/api/2.0/vigil/metric-alarms", .administer, "vigil", "listMetricAlarms"),
        APIRoute(.get, "/api/2.0/vigil/metric-alarms/{name}", .administer, "vigil", "getMetricAlarm"),
        APIRoute(.delete, "/api/2.0/vigil/metric-alarms/{name}", .administer, "vigil", "deleteMetricAlarm"),
        // Notification destinations (Databricks' API): admins change them; users list them, without their config.
        APIRoute(.post, "/api/2.0/notification-destinations", .administer, "notificationDestinations", "createNotificationDestination"),
        APIRoute(.get, "/api/2.0/notification-destinations", .authenticated, "notificationDestinations", "listNotificationDestinations"),
        APIRoute(.get, "/api/2.0/notification-destinations/{id}", .authenticated, "notificationDestinations", "getNotificationDestination"),
        APIRoute(.patch, "/api/2.0/notification-destinations/{id}", .administer, "notificationDestinations", "updateNotificationDestination"),
        APIRoute(.delete, "/api/2.0/notification-destinations/{id}", .administer, "notificationDestinations", "deleteNotificationDestination"),
        // Browser pages (a session cookie made at /login authenticates them) and the live tail (WebSocket).
        APIRoute(.get, "/login", .signIn, "accounts", "loginPage"),
        APIRoute(.post, "/login", .signIn, "accounts", "login"),
        APIRoute(.post, "/logout", .authenticated, "accounts", "logout", session: true),
        APIRoute(.get, "/apps/{name}/logz", .useApp, "apps", "viewAppLogs", session: true),
        APIRoute(.get, "/apps/{name}/logz/stream", .useApp, "apps", "streamAppLogs", session: true),
    ]

    private static let byKey: [String: APIRoute] = Dictionary(
        all.map { (key(method: $0.method, path: RouterPath($0.path).description), $0) }, uniquingKeysWith: { first, _ in first }
    )

    /// The table entry for a matched endpoint (`context.endpointPath`), or nil for an unknown path.
    public static func route(method: HTTPRequest.Method, endpointPath: String?) -> APIRoute? {
        guard let endpointPath else { return nil }
        return byKey[key(method: method, path: endpointPath)]
    }

    static func entry(_ method: HTTPRequest.Method, _ path: String) -> APIRoute {
        guard let route = all.first(where: { $0.method == method && $0.path == path }) else {
            preconditionFailure("\(method) \(path) is not in RouteTable.all")
        }
        return route
    }

    private static func key(method: HTTPRequest.Method, path: String) -> String { "\(method.rawValue) \(path)" }
}

extension Router where Context == VigilRequestContext {
    /// Registers `handler` for a route of the table.
    @discardableResult
    func on(_ route: APIRoute, use handler: @escaping @Sendable (Request, VigilRequestContext) async throws -> Response) -> Self {
        on(RouterPath(route.path), method: route.method, use: handler)
    }
}
