import Foundation
import Testing
import VigilCore
import VigilExport
import VigilServer
import VigilTesting

/// Forwarding run by the server to HTTP receivers (a webhook, Splunk HEC and OTLP shapes), through outages and a
/// restart. Syslog (rsyslog) and CloudWatch Logs (moto) are checked by scripts/check-forwarding.
@Suite("Forwarding")
struct ForwardingTests {
    static func configuration(_ forwards: [ForwardConfiguration]) -> VigilConfiguration {
        var configuration = VigilConfiguration()
        configuration.forwards = forwards.map { entry in
            var entry = entry
            entry.intervalMillis = 100
            entry.filter = ForwardFilter(serviceNames: ["fwd"])
            return entry
        }
        return configuration
    }

    static func events(_ range: Range<Int>) -> String {
        let now = Timestamp.formatRFC3339(millis: SystemWallClock().nowMillis() - 1000)
        return "[" + range.map { #"{"service_name":"fwd","action_name":"login","event_time":"\#(now)","event_id":"fwd-\#($0)"}"# }.joined(separator: ",") + "]"
    }

    static func ids(_ received: [WebhookReceiver.Received]) -> [String] {
        received.flatMap { message in
            message.text.split(separator: "\n").compactMap { line -> String? in
                guard case .string(let id)? = try? JSONParser.parse(Array(line.utf8))["event_id"] else { return nil }
                return id
            }
        }
    }

    @Test("a webhook gets signed NDJSON batches in seq order; down (503) for a while, then back, it gets everything once it is up")
    func webhookThroughOutage() async throws {
        try await WebhookReceiver.run(script: Array(repeating: .init(503, "down"), count: 3)) { receiver in
            var forward = ForwardConfiguration(name: "siem", url: "\(receiver.url)/ingest")
            forward.signingSecret = "s3cret"
            forward.batchEvents = 40
            try await LiveServer.run(configuration: Self.configuration([forward])) { server in
                #expect(try await server.request(.POST, "/api/2.0/audit/events", json: Self.events(0..<100)).status == 200)
                try await AppLogsTests.eventually { Set(Self.ids(receiver.received)).count == 100 }
                let delivered = receiver.received.filter { !$0.text.isEmpty }
                // The three refused sends were the first batch, sent again: in seq order, nothing lost.
                let ids = Self.ids(delivered)
                #expect(Array(ids.suffix(100)) == (0..<100).map { "fwd-\($0)" })
                let accepted = try #require(delivered.last)
                #expect(accepted.headers["content-type"] == "application/x-ndjson")
                let timestamp = try #require(accepted.headers["x-vigil-timestamp"])
                #expect(accepted.headers["x-vigil-signature"] == "sha256=" + WebhookForwarder.signature(secret: "s3cret", timestamp: timestamp, body: accepted.body))
                #expect(accepted.headers["x-vigil-last-seq"] != nil)
                let metrics = try await server.request(.GET, "/metrics").text
                #expect(metrics.contains(#"vigil_forward_failures_total{destination="siem"} 3"#))
                try await AppLogsTests.eventually {
                    try await server.request(.GET, "/metrics").text.contains(#"vigil_forward_lag_events{destination="siem"} 0"#)
                }
            }
        }
    }

    @Test("Splunk HEC: stacked envelopes with the token; a non-zero code is retried. OTLP: a logs request per batch")
    func splunkAndOTLP() async throws {
        try await WebhookReceiver.run(script: [.init(200, #"{"text":"Server is busy","code":9}"#)], fallback: .init(200, #"{"text":"Success","code":0}"#)) { receiver in
          try await WebhookReceiver.run { collector in
            var splunk = ForwardConfiguration(name: "splunk", url: "splunk-hec+\(receiver.url)")
            splunk.token = "11111111-2222-3333-4444-555555555555"
            splunk.index = "audit"
            let otlp = ForwardConfiguration(name: "otel", url: "otlp+\(collector.url)")
            try await LiveServer.run(configuration: Self.configuration([splunk, otlp])) { server in
                #expect(try await server.request(.POST, "/api/2.0/audit/events", json: Self.events(0..<5)).status == 200)
                try await AppLogsTests.eventually {
                    receiver.received.filter { $0.path == "/services/collector/event" }.count >= 2 && collector.received.contains { $0.path == "/v1/logs" }
                }
                let hec = try #require(receiver.received.last { $0.path == "/services/collector/event" })
                #expect(hec.headers["authorization"] == "Splunk 11111111-2222-3333-4444-555555555555")
                let envelopes = hec.text.split(separator: "\n").map { try? JSONParser.parse(Array($0.utf8)) }
                #expect(envelopes.count == 5)
                #expect(envelopes.first??["index"] == .string("audit"))
                #expect(envelopes.first??["event"]?["event_id"] == .string("fwd-0"))
                let logs = try #require(collector.received.first { $0.path == "/v1/logs" })
                let records = try JSONParser.parse(logs.body)["resourceLogs"]?[0]?["scopeLogs"]?[0]?["logRecords"]
                guard case .array(let items)? = records else { Issue.record("\(logs.text)"); return }
                #expect(items.count == 5)
                let metrics = try await server.request(.GET, "/metrics").text
                #expect(metrics.contains(#"vigil_forward_failures_total{destination="splunk"} 1"#))
                #expect(metrics.contains(#"vigil_forward_failures_total{destination="otel"} 0"#))
            }
          }
        }
    }

    @Test("after a restart forwarding goes on from its cursor: what was sent is not sent again, what came later is")
    func resumesAfterRestart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try await WebhookReceiver.run { receiver in
            let forward = ForwardConfiguration(name: "siem", url: "\(receiver.url)/in")
            try await LiveServer.run(configuration: Self.configuration([forward]), dataDirectory: folder.path) { server in
                _ = try await server.request(.POST, "/api/2.0/audit/events", json: Self.events(0..<20))
                try await AppLogsTests.eventually { Self.ids(receiver.received).count == 20 }
            }
            try await LiveServer.run(configuration: Self.configuration([forward]), dataDirectory: folder.path) { server in
                _ = try await server.request(.POST, "/api/2.0/audit/events", json: Self.events(20..<30))
                try await AppLogsTests.eventually { Self.ids(receiver.received).count >= 30 }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(Self.ids(receiver.received) == (0..<30).map { "fwd-\($0)" })
        }
        // The name keeps its URL: pointing it elsewhere refuses the start.
        var moved = ForwardConfiguration(name: "siem", url: "http://127.0.0.1:9/elsewhere")
        moved.intervalMillis = 100
        await #expect(throws: VigilError.self) {
            try await LiveServer.run(configuration: Self.configuration([moved]), dataDirectory: folder.path) { _ in }
        }
    }
}
