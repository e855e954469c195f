import Foundation
import VigilCore
import VigilServer
import VigilNotify
import VigilTesting

/// (o)-(p) Detections: ingest throughput over HTTP without rules and with the starter pack (`rules/`) loaded, and
/// the latency from an ingest acknowledgement to the alert's webhook delivery while 10,000 events/s of other traffic flow.
enum DetectionBenchmark {
    static let rulesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules").path

    static func run(batchesPerClient: Int, probes: Int) async throws {
        let plain = try await ingest(rules: false, batches: batchesPerClient)
        let ruled = try await ingest(rules: true, batches: batchesPerClient)
        print(String(format: "(o) HTTP ingest, 4 clients x 1000-event batches: %.0f events/s without rules, %.0f with the starter pack (%d rules, %d alerts); cost %.1f%%",
                     plain.rate, ruled.rate, ruled.rules, ruled.alerts, (1 - ruled.rate / plain.rate) * 100))
        // The same stream at night: the off-hours rule matches a quarter of it, held to --detection-alert-limit.
        let storm = try await ingest(rules: true, batches: batchesPerClient, end: businessHoursEnd() - (17 * 60 + 50 - 5 * 60) * 60_000)
        print(String(format: "(o) the same at night (off-hours access matches a quarter of the events): %.0f events/s, %d alerts stored, %d suppressed by the per-rule limit; cost %.1f%%",
                     storm.rate, storm.alerts, storm.suppressed, (1 - storm.rate / plain.rate) * 100))
        // The target's 10,000 events/s, and half of it: on a machine whose ingest tops out near 10,000 events/s
        // the first measures queueing at saturation, the second the path itself.
        for offered in [10_000, 5_000] {
            let latency = try await alertLatency(probes: probes, eventsPerSecond: offered)
            print(String(format: "(p) ingest acknowledgement to webhook delivery, %d events/s of other ingest offered (%.0f stored): p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d alerts; receiver checked every 1 ms)",
                         offered, latency.load, latency.p50, latency.p99, latency.max, probes))
        }
    }

    static func configuration(rules: Bool) -> VigilConfiguration {
        var configuration = VigilConfiguration()
        if rules { configuration.detections.rulesDirectory = rulesFolder }
        return configuration
    }

    /// The events' newest time: 17:50 UTC of the last weekday before now. The fixture spreads a run's events back
    /// from it (1 ms apart, 10,000,000 ms between clients: client 3's oldest is about 8.4 hours earlier), so every
    /// event falls in the off-hours rule's business hours (08:00-18:00 UTC) whatever hour the benchmark runs.
    /// Outside them a quarter of the stream would be alerts, and the run would measure alert storage instead.
    static func businessHoursEnd(now: Int64 = SystemWallClock().nowMillis()) -> Int64 {
        let day: Int64 = 86_400_000
        let offset: Int64 = (17 * 60 + 50) * 60_000
        var end = now / day * day + offset
        if end > now { end -= day }
        // 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays, 5 and 6 at the weekend.
        while (end / day + 3) % 7 >= 5 { end -= day }
        return end
    }

    static func ingest(rules: Bool, batches: Int, end: Int64 = businessHoursEnd()) async throws -> (rate: Double, rules: Int, alerts: Int, suppressed: Int) {
        try await LiveServer.run(configuration: configuration(rules: rules)) { server in
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<4 {
                    group.addTask {
                        for batch in 0..<batches {
                            let reply = try await server.request(.POST, "/api/2.0/audit/events", body: Benchmarks.body(batch: batch, client: client, end: end))
                            guard reply.status == 200 else { throw VigilError(.internal, "ingest answered \(reply.status)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seconds = (ContinuousClock.now - started).seconds
            // Wait until the rules have seen everything, so the figure includes their work.
            var loaded = 0
            while rules {
                let metrics = try await server.request(.GET, "/metrics").text
                let queued = value(metrics, "vigil_detection_queue_events")
                loaded = Int(value(metrics, "vigil_detection_rules"))
                if queued == 0 { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let total = (ContinuousClock.now - started).seconds
            // Events the rules dropped would flatter the figure: say so.
            let metrics = try await server.request(.GET, "/metrics").text
            let dropped = value(metrics, "vigil_detection_events_dropped_total")
            if dropped > 0 { print("    warning: \(Int(dropped)) events were not evaluated (the detection queue was full)") }
            let suppressed = metrics.split(separator: "\n").filter { $0.hasPrefix("vigil_detection_alerts_suppressed_total{") }
                .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
            return (Double(4 * batches * 1000) / max(seconds, total), loaded, Int(value(metrics, "vigil_detection_alerts_total")), suppressed)
        }
    }

    static func value(_ metrics: String, _ name: String) -> Double {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Background: 1,000-event batches at `eventsPerSecond` (one every 100 ms for 10,000), sent on time whether or not the previous
    /// one was answered (at most four in flight, as four producers would). Probe: a ledger-verification-failure event
    /// (the starter rule, level critical, fires on one event); critical alerts go to a webhook receiver on
    /// 127.0.0.1, watched until the probe's event id arrives in a payload.
    static func alertLatency(probes: Int, eventsPerSecond: Int) async throws -> (p50: Double, p99: Double, max: Double, load: Double) {
        var routed = configuration(rules: true)
        routed.notifications.routing = NotificationRouting(defaultsByLevel: ["critical": ["bench-hook"]])
        let configuration = routed
        return try await WebhookReceiver.run { receiver in
            try await LiveServer.run(configuration: configuration) { server in
                let hook = try await server.request(.POST, "/api/2.0/notification-destinations", json: """
                    {"display_name":"bench-hook","config":{"generic_webhook":{"url":"\(receiver.url)/hook"}}}
                    """)
                guard hook.status == 200 else { throw VigilError(.internal, "destination answered \(hook.status)") }
                let end = businessHoursEnd()
                let background = Task {
                    let began = ContinuousClock.now
                    let stored = await Benchmarks.offer(eventsPerSecond: eventsPerSecond, to: server, end: end) { !Task.isCancelled }
                    return Double(stored) / (ContinuousClock.now - began).seconds
                }
                try await Task.sleep(for: .seconds(1))
                var latencies: [Double] = []
                for probe in 0..<probes {
                    let id = "probe-\(probe)-" + RandomID.hex(byteCount: 4)
                    let event = """
                        [{"service_name":"vigil","action_name":"ledgerVerificationFailed","event_time":"\(Timestamp.formatRFC3339(millis: SystemWallClock().nowMillis()))",
                          "response":{"status_code":500},"event_id":"\(id)"}]
                        """
                    let reply = try await server.request(.POST, "/api/2.0/audit/events", json: event)
                    guard reply.status == 200 else { throw VigilError(.internal, "probe answered \(reply.status)") }
                    let acknowledged = ContinuousClock.now
                    while true {
                        if receiver.received.contains(where: { $0.text.contains(id) }) { break }
                        if ContinuousClock.now - acknowledged > .seconds(30) { throw VigilError(.internal, "probe \(probe) was never delivered") }
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    latencies.append((ContinuousClock.now - acknowledged).seconds * 1000)
                    try await Task.sleep(for: .milliseconds(50))
                }
                background.cancel()
                let load = await background.value
                // How the writer fared: the alert's own commit waits for the transaction running when it fires.
                let metrics = try await server.request(.GET, "/metrics").text
                let commits = value(metrics, "vigil_sequencer_commit_duration_seconds_count")
                let under = { (bound: String) in value(metrics, "vigil_sequencer_commit_duration_seconds_bucket{le=\"\(bound)\"}") }
                print(String(format: "    sequencer: %.0f transactions of %.0f events on average, %.1f ms each; %.0f took over 250 ms, %.0f over 500 ms",
                             commits, value(metrics, "vigil_sequencer_batch_events_sum") / max(commits, 1),
                             value(metrics, "vigil_sequencer_commit_duration_seconds_sum") / max(commits, 1) * 1000,
                             commits - under("0.25"), commits - under("0.5")))
                latencies.sort()
                let p = { (q: Double) in latencies[min(latencies.count - 1, Int(q * Double(latencies.count)))] }
                return (p(0.5), p(0.99), latencies.last ?? 0, load)
            }
        }
    }
}
