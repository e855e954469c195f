import Prometheus
import VigilCore

/// The app log families: what was stored, refused, cut, limited, deleted, and who follows live.
public final class AppLogMetrics: Sendable {
    let linesAccepted: Counter
    let linesCut: Counter
    let linesDuplicate: Counter
    let pushesLimited: Counter
    let linesDeleted: Counter
    let hostLinesDeleted: Counter
    let followers: Gauge
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        linesAccepted = registry.makeCounter(descriptor: VigilMetrics.name("vigil_app_log_lines_accepted_total", "App log lines stored."))
        linesCut = registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_app_log_lines_cut_total", "App log lines stored cut to the line limit (--app-log-line-bytes)."))
        linesDuplicate = registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_app_log_lines_duplicate_total", "App log lines of resent pushes (same Idempotency-Key) not stored again."))
        pushesLimited = registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_app_log_pushes_limited_total", "App log pushes refused with 429 by the per-app rate (--app-log-rate)."))
        linesDeleted = registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_app_log_lines_deleted_total", "App log lines deleted by retention or with their app."))
        hostLinesDeleted = registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_host_log_lines_deleted_total", "Host log lines (syslog) deleted by retention."))
        followers = registry.makeGauge(descriptor: VigilMetrics.name("vigil_app_log_followers", "Live followers of app logs (/logz/stream)."))
        for reason in ValidationReason.allCases { _ = rejected(reason) }
        _ = followerDropped("too_slow")
        for outcome in ["accepted", "unauthenticated", "forbidden", "bad_origin", "unknown_app"] { _ = streamConnection(outcome) }
    }

    func rejected(_ reason: ValidationReason) -> Counter {
        registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_app_log_lines_rejected_total", "App log lines refused by validation, by reason."),
            labels: [("reason", reason.rawValue)])
    }

    func followerDropped(_ reason: String) -> Counter {
        registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_app_log_followers_dropped_total", "Live followers disconnected by the server, by reason (too_slow: fell behind)."),
            labels: [("reason", reason)])
    }

    func streamConnection(_ outcome: String) -> Counter {
        registry.makeCounter(
            descriptor: VigilMetrics.name("vigil_app_log_stream_connections_total", "WebSocket connections to /logz/stream, by outcome."),
            labels: [("outcome", outcome)])
    }

    public func deleted(_ count: Int) { linesDeleted.increment(by: Int64(count)) }
    public func hostDeleted(_ count: Int) { hostLinesDeleted.increment(by: Int64(count)) }
}
