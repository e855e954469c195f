import Foundation
import Testing
import VigilCore
import VigilExport
import VigilServer
import VigilTesting

/// The server publishes its own figures to a CloudWatch endpoint (a recording HTTP receiver here; moto in
/// scripts/check-forwarding): counters as their increase per period, gauges as read, and a refused period's
/// increase arrives with the next one.
@Suite("CloudWatch metrics (server)")
struct CloudWatchMetricsEndToEndTests {
    @Test("counters are sent as increases that add up to /metrics' total; a refused period is carried by the next; gauges each period")
    func increases() async throws {
        try await WebhookReceiver.run(fallback: .init(200, "{}")) { receiver in
            var configuration = VigilConfiguration()
            var publisher = CloudWatchMetricsPublisher.Configuration(
                name: "cw", namespace: "Vigil", include: ["vigil_ingest_events_accepted_total", "vigil_sequencer_queue_events"],
                credentials: .init(accessKeyID: "test", secretAccessKey: "test"))
            publisher.endpoint = receiver.url
            publisher.intervalMillis = 2000
            configuration.metricPublishers = [publisher]
            try await LiveServer.run(configuration: configuration) { server in
                // The first period sends the counter's increase since the start (0 here) and the gauge.
                try await AppLogsTests.eventually(timeout: .seconds(30)) { !receiver.received.isEmpty }
                #expect(receiver.received[0].text.contains("vigil_sequencer_queue_events"))
                #expect(receiver.received[0].text.contains("vigil_ingest_events_accepted_total"))
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let events = (0..<5).map { EventFixtures.tableJSON($0, endMillis: now) }
                #expect(try await server.request(.POST, "/api/2.0/audit/events", json: "[" + events.joined(separator: ",") + "]").status == 200)
                try await AppLogsTests.eventually(timeout: .seconds(30)) { Self.sent(receiver) >= 5 }
                #expect(Self.sent(receiver) == 5)
                // Just after a period, the next request is refused and 3 more events are ingested: that request carries
                // them, and its increase must arrive again with the one after.
                let seen = receiver.received.count
                try await AppLogsTests.eventually(timeout: .seconds(30)) { receiver.received.count > seen }
                let tick = ContinuousClock.now
                receiver.script([.init(500, #"{"__type":"InternalServiceFault","message":"down"}"#)])
                let more = (5..<8).map { EventFixtures.tableJSON($0, endMillis: now) }
                #expect(try await server.request(.POST, "/api/2.0/audit/events", json: "[" + more.joined(separator: ",") + "]").status == 200)
                let ingestedWithinPeriod = ContinuousClock.now - tick < .milliseconds(1500)
                try await AppLogsTests.eventually(timeout: .seconds(30)) {
                    try await server.request(.GET, "/metrics").text.contains(#"vigil_cloudwatch_metrics_failures_total{destination="cw"} 1"#)
                }
                try await AppLogsTests.eventually(timeout: .seconds(30)) { Self.sent(receiver) >= 8 }
                #expect(Self.sent(receiver) == 8)
                // Unless a loaded machine let a period pass before the ingest, the refused request held the 3.
                let refused = try #require(receiver.received.first { $0.status == 500 })
                if ingestedWithinPeriod { #expect(Self.value(refused) == 3) }
                let metrics = try await server.request(.GET, "/metrics").text
                #expect(metrics.contains("vigil_ingest_events_accepted_total 8"))
            }
        }
    }

    /// The sum of `vigil_ingest_events_accepted_total` values in the requests the receiver accepted.
    static func sent(_ receiver: WebhookReceiver) -> Double {
        receiver.received.filter { $0.status == 200 }.map(value).reduce(0, +)
    }

    /// The `vigil_ingest_events_accepted_total` value one request carried.
    static func value(_ request: WebhookReceiver.Received) -> Double {
        guard let value = try? JSONParser.parse(request.body), case .array(let data)? = value["MetricData"] else { return 0 }
        return data.filter { $0["MetricName"] == .string("vigil_ingest_events_accepted_total") }
            .compactMap { if case .number(let text)? = $0["Value"] { Double(text) } else { nil } }.reduce(0, +)
    }
}
