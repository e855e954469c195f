import Prometheus
import VigilCore
import VigilMonitoring
import VigilStore

/// Vigil's Prometheus families. Every family has HELP text so `promtool check metrics` is clean.
/// The registry is per application (never the global `MetricsSystem`), so tests can run several servers.
public final class VigilMetrics: SequencerObserver, Sendable {
    public let registry = PrometheusCollectorRegistry()

    let eventsAccepted: Counter
    let eventsDuplicate: Counter
    let nodeRowsAccepted: Counter
    let nodeRowsDuplicate: Counter
    let heartbeats: Counter
    let jobRunDuration: DurationHistogram
    let batchEvents: ValueHistogram
    let batchSubmissions: ValueHistogram
    let commitDuration: DurationHistogram
    let queueDepth: Gauge
    let selfAuditFailures: Counter
    let authFailures: Counter
    let ledgerFailures: Counter
    let sqlRunning: Gauge
    let sqlQueued: Gauge
    let sqlKeptResultBytes: Gauge
    let sqlResultsClosed: Counter
    let unauthenticatedLimited: Counter
    let connectionsOpen: Gauge
    let connectionsRefused: Counter
    public let appLogs: AppLogMetrics

    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    public init() {
        eventsAccepted = registry.makeCounter(
            descriptor: Self.name("vigil_ingest_events_accepted_total", "Events stored by ingest (first time seen)."))
        eventsDuplicate = registry.makeCounter(
            descriptor: Self.name("vigil_ingest_events_duplicate_total", "Ingested events already stored with the same event_id and content (idempotent retries)."))
        nodeRowsAccepted = registry.makeCounter(
            descriptor: Self.name("vigil_node_timeline_rows_accepted_total", "Node timeline rows stored (first time seen)."))
        nodeRowsDuplicate = registry.makeCounter(
            descriptor: Self.name("vigil_node_timeline_rows_duplicate_total", "Node timeline rows already stored with the same values (retries)."))
        heartbeats = registry.makeCounter(
            descriptor: Self.name("vigil_node_heartbeats_total", "Heartbeats stored from vigil agent (one per node per interval)."))
        jobRunDuration = registry.makeDurationHistogram(
            descriptor: Self.name("vigil_job_run_duration_seconds", "Duration of ended job runs, from run-now to the end."),
            buckets: [.seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(900), .seconds(3600), .seconds(4 * 3600), .seconds(24 * 3600)])
        batchEvents = registry.makeValueHistogram(
            descriptor: Self.name("vigil_sequencer_batch_events", "Events written per sequencer transaction (group commit size)."),
            buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 2000, 5000, 10000, 20000])
        batchSubmissions = registry.makeValueHistogram(
            descriptor: Self.name("vigil_sequencer_batch_submissions", "Requests sharing one sequencer transaction."),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128])
        commitDuration = registry.makeDurationHistogram(
            descriptor: Self.name("vigil_sequencer_commit_duration_seconds", "Time to write and fsync one sequencer transaction."),
            buckets: Self.latencyBuckets)
        queueDepth = registry.makeGauge(
            descriptor: Self.name("vigil_sequencer_queue_events", "Events waiting for the next sequencer transaction."))
        selfAuditFailures = registry.makeCounter(
            descriptor: Self.name("vigil_self_audit_failures_total", "API requests answered 503 because their audit record could not be written."))
        authFailures = registry.makeCounter(
            descriptor: Self.name("vigil_authentication_failures_total", "Requests refused with 401 (missing, unknown, expired or revoked token)."))
        ledgerFailures = registry.makeCounter(
            descriptor: Self.name("vigil_ledger_verification_failures_total", "Problems found by the background ledger verifier (run vigil verify)."))
        sqlRunning = registry.makeGauge(descriptor: Self.name("vigil_sql_statements_running", "SQL statements running on the SQL executor."))
        sqlQueued = registry.makeGauge(descriptor: Self.name("vigil_sql_statements_queued", "SQL statements waiting for a SQL executor thread."))
        sqlKeptResultBytes = registry.makeGauge(
            descriptor: Self.name("vigil_sql_kept_result_bytes", "Bytes held by kept statement results (bounded by --sql-kept-result-bytes)."))
        sqlResultsClosed = registry.makeCounter(
            descriptor: Self.name("vigil_sql_results_closed_total", "Statement results dropped (CLOSED) by their time to live or the byte budget."))
        unauthenticatedLimited = registry.makeCounter(
            descriptor: Self.name(
                "vigil_unauthenticated_requests_limited_total", "Requests without a valid token refused with 429 by the per-address rate limit."))
        connectionsOpen = registry.makeGauge(descriptor: Self.name("vigil_http_connections_open", "Open client connections."))
        connectionsRefused = registry.makeCounter(
            descriptor: Self.name("vigil_http_connections_refused_total", "Connections refused at once because --max-connections were open."))
        appLogs = AppLogMetrics(registry: registry)
        for reason in ["principal_busy", "queue_full", "shutting_down"] { _ = sqlRefusedCounter(reason) }
        for phase in ["head", "body", "idle", "write"] { _ = requestDeadlineCounter(phase) }
        for result in ["SUCCESS", "FAILED", "TIMEDOUT", "CANCELED", "INTERNAL_ERROR"] { _ = jobRunsCounter(result) }
        for reason in ValidationReason.allCases {
            _ = rejectedCounter(reason)
            _ = nodeRowRejectedCounter(reason)
        }
    }

    static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func rejectedCounter(_ reason: ValidationReason) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_ingest_events_rejected_total", "Ingested events refused by validation, by reason."),
            labels: [("reason", reason.rawValue)])
    }

    func jobRunsCounter(_ result: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_job_runs_total", "Job runs ended, by result (SUCCESS, FAILED, TIMEDOUT, CANCELED, or INTERNAL_ERROR when the runner vanished)."),
            labels: [("result", result)])
    }

    /// Counts an ended run and its duration.
    public func jobRunEnded(_ run: JobRunRecord) {
        jobRunsCounter(run.lifeCycle == .internalError ? "INTERNAL_ERROR" : run.result?.rawValue ?? "FAILED").increment()
        jobRunDuration.recordNanoseconds(run.runDuration * 1_000_000)
    }

    func nodeRowRejectedCounter(_ reason: ValidationReason) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_node_timeline_rows_rejected_total", "Node timeline rows refused by validation, by reason."),
            labels: [("reason", reason.rawValue)])
    }

    /// Each refused item (event or row) counts once, under its first problem's reason; valid items in a refused
    /// request are not counted.
    func countRejections(_ problems: [ValidationProblem], counter: (ValidationReason) -> Counter) {
        var firstReasonByIndex: [Int: ValidationReason] = [:]
        for problem in problems where firstReasonByIndex[problem.index] == nil {
            firstReasonByIndex[problem.index] = problem.reason
        }
        var counts: [ValidationReason: Int64] = [:]
        for reason in firstReasonByIndex.values { counts[reason, default: 0] += 1 }
        for (reason, count) in counts { counter(reason).increment(by: count) }
    }

    func requestDuration(method: String, route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Self.name("vigil_http_request_duration_seconds", "API request latency including the self-audit commit."),
            labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets)
    }

    func requestCounter(method: String, route: String, code: Int) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_http_requests_total", "API requests by route and status code."),
            labels: [("method", method), ("route", route), ("code", String(code))])
    }

    func sqlRefusedCounter(_ reason: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_sql_statements_refused_total", "SQL statements refused with 429 before running, by reason."),
            labels: [("reason", reason)])
    }

    /// A connection closed because its request head or body did not arrive in time (slow or idle clients).
    /// Events a source sent (`kubernetes`, `syslog`), by outcome: `stored`, `duplicate`, `refused`.
    public func sourceEvents(_ source: String, _ outcome: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_source_events_total", "Events received from a source (kubernetes, syslog) by outcome: stored, duplicate or refused."),
            labels: [("source", source), ("outcome", outcome)])
    }

    public func requestDeadlineCounter(_ phase: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_http_request_deadline_expired_total", "Connections closed on a deadline, by phase: head, body or idle (a request did not arrive in time), write (the client stopped reading)."),
            labels: [("phase", phase)])
    }

    public func connectionRefused() { connectionsRefused.increment() }

    func sqlStatementCounter(_ state: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("vigil_sql_statements_total", "SQL statements finished, by final state."), labels: [("state", state)])
    }

    public func ledgerVerificationFailed() { ledgerFailures.increment() }

    public func sequencerDidCommit(events: Int, submissions: Int, duration: Duration, outcomes: [Sequencer.Outcome]) {
        batchEvents.record(Double(events))
        batchSubmissions.record(Double(submissions))
        commitDuration.record(duration)
    }

    /// What the SQL executor and the kept results hold at scrape time.
    public struct SQLLoad: Sendable {
        public var running: Int
        public var queued: Int
        public var keptResultBytes: Int

        public init(running: Int, queued: Int, keptResultBytes: Int) {
            self.running = running
            self.queued = queued
            self.keptResultBytes = keptResultBytes
        }
    }

    /// The exposition text, with the gauges read at scrape time.
    public func exposition(queuedEvents: Int, sql: SQLLoad? = nil, openConnections: Int? = nil, logFollowers: Int? = nil) -> [UInt8] {
        queueDepth.set(Int64(queuedEvents))
        if let logFollowers { appLogs.followers.set(Int64(logFollowers)) }
        if let openConnections { connectionsOpen.set(Int64(openConnections)) }
        if let sql {
            sqlRunning.set(Int64(sql.running))
            sqlQueued.set(Int64(sql.queued))
            sqlKeptResultBytes.set(Int64(sql.keptResultBytes))
        }
        return registry.emitToBuffer()
    }
}
