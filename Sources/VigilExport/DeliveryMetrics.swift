/// Families with one series per destination (names are `[A-Za-z0-9_-]`, so they need no escaping), written from
/// rows read at scrape time: delivery's and forwarding's.
struct PerDestinationFamilies<Row> {
    let rows: [(name: String, row: Row)]
    var out = ""

    mutating func family(_ name: String, _ type: String, _ help: String, _ value: (Row) -> String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for (destination, row) in rows { out += "\(name){destination=\"\(destination)\"} \(value(row))\n" }
    }
}

/// The delivery families of `/metrics`.
public enum DeliveryMetrics {
    public static func text(_ services: [DeliveryService]) async -> String {
        guard !services.isEmpty else { return "" }
        typealias Row = (counters: DeliveryService.Counters, lag: (events: Int64, seconds: Double))
        var rows: [(name: String, row: Row)] = []
        for service in services {
            rows.append((service.configuration.name, (service.stats, (try? await service.lag()) ?? (0, 0))))
        }
        var families = PerDestinationFamilies(rows: rows)
        families.family("vigil_delivery_events_total", "counter", "Events delivered to object storage.") { String($0.counters.events) }
        families.family("vigil_delivery_files_total", "counter", "Log files written (a batch redone after a crash counts again).") { String($0.counters.files) }
        families.family("vigil_delivery_bytes_total", "counter", "Bytes of log files written.") { String($0.counters.bytes) }
        families.family("vigil_delivery_digests_total", "counter", "Signed digest files written.") { String($0.counters.digests) }
        families.family("vigil_delivery_failures_total", "counter", "Delivery or digest attempts that failed and will be retried.") { String($0.counters.failures) }
        families.family("vigil_delivery_lag_events", "gauge", "Committed events not yet delivered.") { String($0.lag.events) }
        families.family("vigil_delivery_lag_seconds", "gauge", "Age of the oldest committed event not yet delivered (0 when caught up).") { String($0.lag.seconds) }
        return families.out
    }
}

/// The forwarding families of `/metrics`.
public enum ForwardMetrics {
    public static func text(_ services: [ForwardService]) async -> String {
        guard !services.isEmpty else { return "" }
        typealias Row = (counters: ForwardService.Counters, lag: (events: Int64, seconds: Double))
        var rows: [(name: String, row: Row)] = []
        for service in services {
            rows.append((service.configuration.name, (service.stats, (try? await service.lag()) ?? (0, 0))))
        }
        var families = PerDestinationFamilies(rows: rows)
        families.family("vigil_forward_events_total", "counter", "Events sent to the destination (a batch sent again counts again).") { String($0.counters.events) }
        families.family("vigil_forward_batches_total", "counter", "Batches the destination took.") { String($0.counters.batches) }
        families.family("vigil_forward_failures_total", "counter", "Sends that failed and will be retried.") { String($0.counters.failures) }
        families.family("vigil_forward_lag_events", "gauge", "Committed events not yet sent (or skipped by the filter).") { String($0.lag.events) }
        families.family("vigil_forward_lag_seconds", "gauge", "Age of the oldest committed event not yet sent (0 when caught up).") { String($0.lag.seconds) }
        return families.out
    }
}
