import Hummingbird
import Logging
import VigilCore
import VigilAccess
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

    public init(database: VigilDatabase, sequencer: Sequencer, tokens: TokenStore, recorder: SelfAuditRecorder,
                metrics: VigilMetrics, checkpointSigner: CheckpointSigner, limits: IngestLimits, sql: SQLStatementRunner,
                statementLimits: StatementRegistry.Limits = .init(), clock: any WallClock, logger: Logger) {
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
    }
}

/// Builds the router: one middleware (authentication + self-audit) in front of one controller per resource.
public enum APIRouter {
    public static func build(_ dependencies: APIDependencies) -> Router<VigilRequestContext> {
        let router = Router(context: VigilRequestContext.self)
        let ledger = LedgerStore(database: dependencies.database)
        router.add(middleware: SecurityHeadersMiddleware(servesTLS: dependencies.servesTLS))
        router.add(middleware: AuditedRequestMiddleware(
            tokens: dependencies.tokens, resolver: AccessResolver(database: dependencies.database), recorder: dependencies.recorder,
            metrics: dependencies.metrics, logger: dependencies.logger, gate: dependencies.gate))
        HealthController(database: dependencies.database, workspaceID: dependencies.recorder.workspaceID).register(on: router)
        AuditEventsController(
            ingestor: EventIngestor(
                decoder: EventDecoder(limits: dependencies.limits), sequencer: dependencies.sequencer,
                recorder: dependencies.recorder, metrics: dependencies.metrics, clock: dependencies.clock),
            events: EventStore(database: dependencies.database),
            ledger: ledger
        ).register(on: router)
        NodeTimelineController(
            decoder: NodeTimelineDecoder(limits: dependencies.limits), store: NodeTimelineStore(database: dependencies.database),
            metrics: dependencies.metrics, clock: dependencies.clock
        ).register(on: router)
        LedgerController(ledger: ledger, signer: dependencies.checkpointSigner).register(on: router)
        TokensController(tokens: dependencies.tokens, directory: Directory(database: dependencies.database, clock: dependencies.clock))
            .register(on: router)
        StatementsController(
            runner: dependencies.sql, registry: dependencies.statements, clock: dependencies.clock, logger: dependencies.logger,
            metrics: dependencies.metrics
        ).register(on: router)
        let directory = Directory(database: dependencies.database, clock: dependencies.clock)
        SCIMUsersController(directory: directory).register(on: router)
        SCIMGroupsController(directory: directory).register(on: router)
        GroupsController(directory: directory).register(on: router)
        PermissionsController(directory: directory, permissions: PermissionStore(database: dependencies.database, clock: dependencies.clock))
            .register(on: router)
        let database = dependencies.database
        let clock = dependencies.clock
        AccessReviewController(review: { days in
            try await AccessReview.build(database: database, now: clock.nowMillis(), days: days)
        }).register(on: router)
        MetricsController(
            metrics: dependencies.metrics, sequencer: dependencies.sequencer, sql: dependencies.sql, statements: dependencies.statements,
            openConnections: dependencies.openConnections
        ).register(on: router)
        return router
    }
}
