import Hummingbird
import NIOCore
import VigilAlerts
import VigilMonitoring
import VigilNotify
import VigilStore

/// `GET /metrics` in the Prometheus text format (authenticated like every other endpoint).
struct MetricsController {
    let metrics: VigilMetrics
    let sequencer: Sequencer
    let sql: SQLStatementRunner
    let statements: StatementRegistry
    let openConnections: @Sendable () -> Int
    let logFollowers: @Sendable () -> Int
    let clusters: ClusterStore
    let detections: DetectionService
    let notifications: NotificationService
    let extraMetrics: @Sendable () async -> String

    init(_ dependencies: APIDependencies) {
        metrics = dependencies.metrics
        sequencer = dependencies.sequencer
        sql = dependencies.sql
        statements = dependencies.statements
        openConnections = dependencies.openConnections
        logFollowers = { [tail = dependencies.logTail] in tail.followerCount }
        clusters = dependencies.clusters
        detections = dependencies.detections
        notifications = dependencies.notifications
        extraMetrics = dependencies.extraMetrics
    }

    /// Every family, read now: what a scrape gets and what `vigil_metrics` alarms sample.
    func exposition() async throws -> [UInt8] {
        let load = sql.executor.snapshot
        var bytes = metrics.exposition(
            queuedEvents: sequencer.queuedEvents,
            sql: .init(running: load.running, queued: load.queued, keptResultBytes: statements.keptBytes),
            openConnections: openConnections(), logFollowers: logFollowers())
        bytes += Array(ComputeMetrics.text(clusters: try await clusters.all(), samples: try await clusters.latestSamples()).utf8)
        bytes += Array(DetectionMetrics.text(detections.stats).utf8)
        bytes += Array(NotificationMetrics.text(
            outbox: try await notifications.outboxCounts(), perDestination: notifications.perDestination,
            unroutable: notifications.unroutableReferences).utf8)
        bytes += Array(await extraMetrics().utf8)
        return bytes
    }

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/metrics")) { _, _ in
            let bytes = try await exposition()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
