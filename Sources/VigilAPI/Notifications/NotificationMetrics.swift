import VigilNotify

/// The outbox and each destination's deliveries in the Prometheus text format, read at scrape time.
enum NotificationMetrics {
    static func text(outbox: [OutboxItem.State: Int], perDestination: [String: NotificationService.Counters], unroutable: Int64) -> String {
        var out = "# HELP vigil_notification_outbox Notifications in the outbox by state (pending ones wait for their next attempt).\n"
        out += "# TYPE vigil_notification_outbox gauge\n"
        for state in OutboxItem.State.allCases { out += "vigil_notification_outbox{state=\"\(state.rawValue)\"} \(outbox[state] ?? 0)\n" }
        let series: [(String, String, KeyPath<NotificationService.Counters, Int64>)] = [
            ("vigil_notifications_delivered_total", "Notifications a destination accepted.", \.delivered),
            ("vigil_notification_retries_total", "Failed attempts that will be retried (5xx, 429, timeouts, refused connections).", \.retried),
            ("vigil_notifications_failed_total", "Notifications given up: refused for good or out of attempts.", \.failed),
            ("vigil_notifications_dropped_total", "Notifications not sent because their destination was deleted.", \.dropped),
        ]
        let destinations = perDestination.sorted { $0.key < $1.key }
        for (name, help, path) in series {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (id, counters) in destinations {
                out += "\(name){destination_id=\"\(id)\",destination_type=\"\(counters.type)\"} \(counters[keyPath: path])\n"
            }
        }
        out += "# HELP vigil_notification_unroutable_total Destination references (notify: or --notify-default) that named no destination.\n"
        out += "# TYPE vigil_notification_unroutable_total counter\nvigil_notification_unroutable_total \(unroutable)\n"
        return out
    }
}
