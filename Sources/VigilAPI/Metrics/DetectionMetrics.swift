import VigilAlerts

/// The detection service's figures in the Prometheus text format, read at scrape time.
enum DetectionMetrics {
    static func text(_ stats: DetectionService.Stats) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: Int64) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("vigil_detection_events_evaluated_total", "counter", "Committed events the detection rules were run on.", stats.evaluated)
        metric("vigil_detection_events_dropped_total", "counter", "Committed events not evaluated because the detection queue was full.", stats.dropped)
        metric("vigil_detection_alerts_total", "counter", "Detection firings stored in alert_history.", stats.fired)
        metric("vigil_detection_queue_events", "gauge", "Committed events waiting for the detection rules.", Int64(stats.queued))
        metric("vigil_detection_rules", "gauge", "Detection rules running (API and --rules-dir, correlations included).", Int64(stats.rules))
        metric("vigil_detection_correlation_groups", "gauge", "Correlation windows held (one per rule and group-by value).", Int64(stats.trackedGroups))
        metric("vigil_detection_correlation_groups_dropped_total", "counter", "New correlation groups not tracked because the group limit was reached.", Int64(stats.droppedGroups))
        metric("vigil_detection_rule_files_refused", "gauge", "Files under --rules-dir refused for problems (their previous rules keep running).", Int64(stats.fileErrors))
        metric("vigil_detection_reloads_total", "counter", "Times the rule set was rebuilt (API changes and rule file changes).", stats.reloads)
        out += "# HELP vigil_detection_alerts_suppressed_total Firings not stored because their rule passed --detection-alert-limit (alerts per rule per minute).\n"
        out += "# TYPE vigil_detection_alerts_suppressed_total counter\n"
        for (rule, count) in stats.suppressed.sorted(by: { $0.key < $1.key }) {
            out += "vigil_detection_alerts_suppressed_total{rule_id=\"\(PrometheusText.escape(rule))\"} \(count)\n"
        }
        metric("vigil_notifications_repeated_total", "counter", "Firing notices queued again because their alert was still TRIGGERED after the repeat interval.", stats.repeated)
        return out
    }
}
