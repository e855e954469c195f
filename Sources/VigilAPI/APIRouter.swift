import Hummingbird
import Logging
import VigilCore
import VigilAccess
import VigilAlerts
import VigilLogs
import VigilMonitoring
import VigilNotify
import VigilSQL
import VigilStore

/// Everything the API needs, built once by `VigilServer`.
public struct APIDependencies: Sendable {
    public var database: VigilDatabase
    public var sequencer: Sequencer
    public var tokens: TokenStore
    public var recorder: SelfAuditRecorder
    public var metrics: VigilMetrics
    public var checkpointSigner: CheckpointSigner
    public var limits: IngestLimits
    public var sql: SQLStatementRunner
    public var statements: StatementRegistry
    /// Whether the server answers over TLS (responses then carry HSTS).
    public var servesTLS = false
    /// The per-address limit on requests without a valid token.
    public var gate = UnauthenticatedGate()
    /// Open client connections now (for /metrics).
    public var openConnections: @Sendable () -> Int = { 0 }
    public var clock: any WallClock
    public var logger: Logger
    /// App log lines (`logs.sqlite`), their live followers, limits and per-app rate.
    public var logs: LogStore
    public var logTail: LogTail
    public var logLimits: LogLimits
    public var logLimiter: AppLogRateLimiter
    public var logStream = LogStreamSocket.Configuration()
    /// More `/metrics` families from modules the API does not know (delivery), read at scrape time.
    public var extraMetrics: @Sendable () async -> String = { "" }
    /// The externally visible base URL (app URLs are made from it).
    public var publicURL: PublicURL
    /// Clusters, their nodes and events.
    public var clusters: ClusterStore
    /// Jobs and their runs.
    public var jobs: JobStore
    /// Sigma detections on the committed stream (the server runs it as a service and feeds it from the sequencer).
    public var detections: DetectionService
    /// Notification destinations and the outbox's delivery (run as a service).
    public var destinations: DestinationStore
    public var notifications: NotificationService
    /// SQL alerts (Alerts V2) run on their schedules (a service).
    public var sqlAlerts: SQLAlertService
    /// Metric alarms evaluated each period (a service).
    public var metricAlarms: MetricAlarmService

    public init(database: VigilDatabase, sequencer: Sequencer, tokens: TokenStore, recorder: SelfAuditRecorder,
                metrics: VigilMetrics, checkpointSigner: CheckpointSigner, limits: IngestLimits, sql: SQLStatementRunner,
                statementLimits: StatementRegistry.Limits = .init(), logs: LogStore, logLimits: LogLimits = LogLimits(),
                publicURL: PublicURL = PublicURL(configured: nil), detections: DetectionService.Configuration = .init(),
                notifications: NotificationSettings = .init(), clock: any WallClock, logger: Logger) {
        self.database = database
        self.sequencer = sequencer
        self.tokens = tokens
        self.recorder = recorder
        self.metrics = metrics
        self.checkpointSigner = checkpointSigner
        self.limits = limits
        self.sql = sql
        self.statements = StatementRegistry(limits: statementLimits, closed: { [metrics] count in metrics.sqlResultsClosed.increment(by: Int64(count)) })
        self.clock = clock
        self.logger = logger
        self.logs = logs
        self.logLimits = logLimits
        self.logTail = LogTail(maxBacklogLines: logLimits.followerBacklogLines)
        self.logLimiter = AppLogRateLimiter(linesPerSecond: logLimits.linesPerSecond, burstLines: logLimits.burstLines, clock: clock)
        self.publicURL = publicURL
        self.clusters = ClusterStore(database: database, clock: clock, workspaceID: recorder.workspaceID)
        self.jobs = JobStore(database: database, clock: clock, workspaceID: recorder.workspaceID)
        self.destinations = DestinationStore(database: database, clock: clock)
        let notifier = NotificationService(
            database: database,
            delivery: NotificationDelivery(smtp: notifications.smtp, externalURL: { [publicURL] in publicURL.base }, timeout: notifications.deliveryTimeout,
                                           grouping: notifications.routing.grouping),
            configuration: notifications.service, clock: clock, logger: logger)
        self.notifications = notifier
        let audit: @Sendable ([AlertRecord]) async -> Void = { [recorder, logger] alerts in
            // One commit for a pass's firings (or resolutions), each in the workspace of the events that raised it.
            do {
                _ = try await recorder.sequencer.submit(
                    alerts.map { recorder.event(for: DetectionAudit.record($0), workspace: $0.workspaceID) }, priority: true)
            } catch {
                logger.error("Detection alerts could not be audited", metadata: ["count": "\(alerts.count)", "error": "\(error)"])
            }
        }
        // Transitions' notifications were committed with them: send them now. The audit record follows in the
        // sequencer's next commit, which under heavy ingest is a whole batch of events away.
        let notifyAndAudit: @Sendable ([AlertRecord]) async -> Void = { alerts in
            notifier.wake()
            await audit(alerts)
        }
        self.detections = DetectionService(
            store: DetectionStore(
                database: database, clock: clock, routing: notifications.routing,
                link: { [publicURL] id in publicURL.base + "/api/2.0/vigil/alerts/\(id)" },
                resolveAfterMillis: Int64(detections.resolveAfter / .milliseconds(1)),
                unroutable: { references, alertID in notifier.countUnroutable(references, alertID: alertID) }),
            configuration: detections, logger: logger, stored: { _ in notifier.wake() }, fired: audit, resolved: notifyAndAudit)
        self.sqlAlerts = SQLAlertService(
            store: SQLAlertStore(detections: self.detections.store), logger: logger,
            runQuery: { [sql, database, clock] owner, text in
                await Self.runAsOwner(owner, text, runner: sql, database: database, clock: clock)
            },
            changed: notifyAndAudit)
        self.metricAlarms = MetricAlarmService(
            store: MetricAlarmStore(detections: self.detections.store, minimumPeriodSeconds: notifications.minimumAlarmPeriodSeconds),
            workspaceID: recorder.workspaceID, logger: logger, changed: notifyAndAudit)
    }

    /// Runs a SQL alert's query with its owner's access now (their workspaces, their apps' log lines, their view
    /// of information_schema), at most 10,000 rows; an owner who is gone or may no longer run SQL is an error.
    static func runAsOwner(_ owner: String, _ text: String, runner: SQLStatementRunner, database: VigilDatabase,
                           clock: any WallClock) async -> Result<(columns: [String], rows: [[SQLValue]]), VigilError> {
        do {
            let directory = Directory(database: database, clock: clock)
            var member = try await directory.resolve(userName: owner, groupName: nil, servicePrincipalName: nil)
            if member == nil { member = try await directory.resolve(userName: nil, groupName: nil, servicePrincipalName: owner) }
            guard case .principal(let id)? = member else { return .failure(VigilError(.permissionDenied, "the alert's owner \(owner) no longer exists")) }
            let active = try await database.pool.read { db in try Bool.fetchOne(db, sql: "SELECT active FROM principals WHERE id = ?", arguments: [id]) } ?? false
            guard active else { return .failure(VigilError(.permissionDenied, "the alert's owner \(owner) is deactivated")) }
            let access = try await AccessResolver(database: database).access(for: Principal(id: id, userName: owner, kind: "user"))
            guard let scope = access.auditScope else {
                return .failure(VigilError(.permissionDenied, "the alert's owner \(owner) may no longer run SQL over the audit log"))
            }
            let apps = AppStore(database: database, clock: clock)
            let appScope: [Int64]? = access.isAdmin ? nil : try await apps.keys().filter { access.canUse(app: $0.key) }.map(\.value).sorted()
            let statement = SQLStatementRunner.Statement(
                text, now: clock.nowMillis(), workspaceScope: scope.workspaceIDs, appScope: appScope,
                computedTables: InformationSchema(database: database, catalog: runner.compiler.catalog, access: access), rowLimit: 10_000)
            let result: Result<SQLResult, SQLError> = await withCheckedContinuation { continuation in
                do throws(SQLExecutor.Refusal) {
                    try runner.submit(statement, owner: id, cancellation: StatementCancellation()) { continuation.resume(returning: $0) }
                } catch {
                    continuation.resume(returning: .failure(SQLError(.resourceExhausted, error.description)))
                }
            }
            switch result {
            case .success(let rows): return .success((rows.columns.map(\.name), rows.rows))
            case .failure(let error): return .failure(VigilError(.invalidParameter, "\(error)"))
            }
        } catch {
            return .failure(VigilError(.internal, "\(error)"))
        }
    }

    var authenticator: RequestAuthenticator {
        RequestAuthenticator(tokens: tokens, sessions: SessionStore(database: database, clock: clock))
    }
}

/// Builds the router: one middleware (authentication + self-audit) in front of one controller per resource.
public enum APIRouter {
    public static func build(_ dependencies: APIDependencies) -> Router<VigilRequestContext> {
        let router = Router(context: VigilRequestContext.self)
        let ledger = LedgerStore(database: dependencies.database)
        router.add(middleware: SecurityHeadersMiddleware(servesTLS: dependencies.servesTLS))
        router.add(middleware: AuditedRequestMiddleware(
            authenticator: dependencies.authenticator, resolver: AccessResolver(database: dependencies.database), recorder: dependencies.recorder,
            metrics: dependencies.metrics, logger: dependencies.logger, gate: dependencies.gate))
        HealthController(database: dependencies.database, workspaceID: dependencies.recorder.workspaceID).register(on: router)
        let ingestor = EventIngestor(
            decoder: EventDecoder(limits: dependencies.limits), sequencer: dependencies.sequencer,
            recorder: dependencies.recorder, metrics: dependencies.metrics, clock: dependencies.clock)
        AuditEventsController(ingestor: ingestor, events: EventStore(database: dependencies.database), ledger: ledger).register(on: router)
        KubernetesSourceController(ingestor: ingestor, metrics: dependencies.metrics, workspaceID: dependencies.recorder.workspaceID).register(on: router)
        HostLogsController(store: HostLogStore(database: dependencies.logs.database)).register(on: router)
        NodeTimelineController(
            decoder: NodeTimelineDecoder(limits: dependencies.limits), store: NodeTimelineStore(database: dependencies.database),
            metrics: dependencies.metrics, clock: dependencies.clock
        ).register(on: router)
        LedgerController(ledger: ledger, signer: dependencies.checkpointSigner).register(on: router)
        TokensController(tokens: dependencies.tokens, directory: Directory(database: dependencies.database, clock: dependencies.clock))
            .register(on: router)
        StatementsController(
            runner: dependencies.sql, registry: dependencies.statements, clock: dependencies.clock, logger: dependencies.logger,
            metrics: dependencies.metrics, apps: AppStore(database: dependencies.database, clock: dependencies.clock)
        ).register(on: router)
        let directory = Directory(database: dependencies.database, clock: dependencies.clock)
        SCIMUsersController(directory: directory).register(on: router)
        SCIMGroupsController(directory: directory).register(on: router)
        GroupsController(directory: directory).register(on: router)
        let apps = AppStore(database: dependencies.database, clock: dependencies.clock)
        let clusters = dependencies.clusters
        PermissionsController(
            directory: directory, permissions: PermissionStore(database: dependencies.database, clock: dependencies.clock), apps: apps,
            clusters: clusters, jobs: dependencies.jobs
        ).register(on: router)
        JobsController(jobs: dependencies.jobs, logs: dependencies.logs, limits: dependencies.logLimits, metrics: dependencies.metrics,
                       clock: dependencies.clock).register(on: router)
        ClustersController(clusters: clusters).register(on: router)
        DetectionsController(service: dependencies.detections, events: EventStore(database: dependencies.database)).register(on: router)
        NotificationDestinationsController(store: dependencies.destinations).register(on: router)
        SilencesController(database: dependencies.database, clock: dependencies.clock).register(on: router)
        SQLAlertsController(store: dependencies.sqlAlerts.store, destinations: dependencies.destinations).register(on: router)
        MetricAlarmsController(store: dependencies.metricAlarms.store).register(on: router)
        HeartbeatController(
            clusters: clusters, decoder: NodeTimelineDecoder(limits: dependencies.limits), metrics: dependencies.metrics, clock: dependencies.clock
        ).register(on: router)
        AppsController(apps: apps, publicURL: dependencies.publicURL, tail: dependencies.logTail).register(on: router)
        AppLogsController(
            apps: apps, store: dependencies.logs, tail: dependencies.logTail, limiter: dependencies.logLimiter, limits: dependencies.logLimits,
            maxRequestBytes: dependencies.limits.maxRequestBytes, metrics: dependencies.metrics.appLogs, clock: dependencies.clock
        ).register(on: router)
        LoginController(
            tokens: dependencies.tokens, sessions: SessionStore(database: dependencies.database, clock: dependencies.clock),
            servesTLS: dependencies.servesTLS
        ).register(on: router)
        LogzController(apps: apps, store: dependencies.logs).register(on: router)
        AppLogSettingsController(apps: apps, defaultRetentionMillis: dependencies.logLimits.retentionMillis).register(on: router)
        let database = dependencies.database
        let clock = dependencies.clock
        AccessReviewController(review: { days in
            try await AccessReview.build(database: database, now: clock.nowMillis(), days: days)
        }).register(on: router)
        let metrics = MetricsController(dependencies)
        metrics.register(on: router)
        // Metric alarms on Vigil's own series read the same text a scrape gets.
        dependencies.metricAlarms.store.sampler.setSource { String(decoding: try await metrics.exposition(), as: UTF8.self) }
        return router
    }

    /// The live tail's WebSocket side (served by the upgrade channel, not the router).
    public static func logStreamSocket(_ dependencies: APIDependencies) -> LogStreamSocket {
        LogStreamSocket(
            authenticator: dependencies.authenticator, resolver: AccessResolver(database: dependencies.database),
            apps: AppStore(database: dependencies.database, clock: dependencies.clock), store: dependencies.logs, tail: dependencies.logTail,
            recorder: dependencies.recorder, metrics: dependencies.metrics.appLogs, publicURL: dependencies.publicURL, gate: dependencies.gate,
            servesTLS: dependencies.servesTLS, configuration: dependencies.logStream, logger: dependencies.logger)
    }
}
