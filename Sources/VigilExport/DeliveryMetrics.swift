/// The delivery families of `/metrics`, one series per destination (names are `[A-Za-z0-9_-]`, so they need no
/// escaping), read at scrape time.
public enum DeliveryMetrics {
    public static func text(_ services: [DeliveryService]) async -> String {
        guard !services.isEmpty else { return "" }
        var rows: [(name: String, counters: DeliveryService.Counters, lag: (events: Int64, seconds: Double))] = []
        for service in services {
            rows.append((service.configuration.name, service.stats, (try? await service.lag()) ?? (0, 0)))
        }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: (Int) -> String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (index, row) in rows.enumerated() { out += "\(name){destination=\"\(row.name)\"} \(value(index))\n" }
        }
        family("vigil_delivery_events_total", "counter", "Events delivered to object storage.") { String(rows[$0].counters.events) }
        family("vigil_delivery_files_total", "counter", "Log files written (a batch redone after a crash counts again).") { String(rows[$0].counters.files) }
        family("vigil_delivery_bytes_total", "counter", "Bytes of log files written.") { String(rows[$0].counters.bytes) }
        family("vigil_delivery_digests_total", "counter", "Signed digest files written.") { String(rows[$0].counters.digests) }
        family("vigil_delivery_failures_total", "counter", "Delivery or digest attempts that failed and will be retried.") { String(rows[$0].counters.failures) }
        family("vigil_delivery_lag_events", "gauge", "Committed events not yet delivered.") { String(rows[$0].lag.events) }
        family("vigil_delivery_lag_seconds", "gauge", "Age of the oldest committed event not yet delivered (0 when caught up).") { String(rows[$0].lag.seconds) }
        return out
    }
}

/// The forwarding families of `/metrics`, one series per destination, read at scrape time.
public enum ForwardMetrics {
    public static func text(_ services: [ForwardService]) async -> String {
        guard !services.isEmpty else { return "" }
        var rows: [(name: String, counters: ForwardService.Counters, lag: (events: Int64, seconds: Double))] = []
        for service in services {
            rows.append((service.configuration.name, service.stats, (try? await service.lag()) ?? (0, 0)))
        }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: (Int) -> String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (index, row) in rows.enumerated() { out += "\(name){destination=\"\(row.name)\"} \(value(index))\n" }
        }
        family("vigil_forward_events_total", "counter", "Events sent to the destination (a batch sent again counts again).") { String(rows[$0].counters.events) }
        family("vigil_forward_batches_total", "counter", "Batches the destination took.") { String(rows[$0].counters.batches) }
        family("vigil_forward_failures_total", "counter", "Sends that failed and will be retried.") { String(rows[$0].counters.failures) }
        family("vigil_forward_lag_events", "gauge", "Committed events not yet sent (or skipped by the filter).") { String(rows[$0].lag.events) }
        family("vigil_forward_lag_seconds", "gauge", "Age of the oldest committed event not yet sent (0 when caught up).") { String(rows[$0].lag.seconds) }
        return out
    }
}
