import Foundation
import Synchronization
import Testing
import VigilCore
import VigilTesting
@testable import VigilExport

/// CloudWatch metrics for Vigil's own figures: the PutMetricData body, the signed request, and what a refusal does.
@Suite("CloudWatch metrics publisher")
struct CloudWatchMetricsTests {
    static let credentials = SigV4.Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    @Test("the body: namespace, names, labels as dimensions (empty values left out, at most 30, values cut at 1,024), whole numbers plain, units")
    func body() throws {
        let many = (0..<40).map { MetricFigure.Dimension("d\($0)", "v") }
        let figures = [
            MetricFigure(name: "vigil_ingest_events_accepted_total", dimensions: [], value: 1200, unit: "Count"),
            MetricFigure(name: "vigil_forward_lag_seconds", dimensions: [.init("destination", "siem"), .init("empty", "")], value: 1.5, unit: "None"),
            MetricFigure(name: "wide", dimensions: many + [.init("long", String(repeating: "x", count: 2000))], value: 0, unit: "None"),
        ]
        let value = try JSONParser.parse(CloudWatchMetricsPublisher.body(namespace: "Vigil/Prod", figures: figures))
        #expect(value["Namespace"] == .string("Vigil/Prod"))
        guard case .array(let data)? = value["MetricData"] else {
            Issue.record("no MetricData")
            return
        }
        #expect(data.count == 3)
        #expect(data[0]["MetricName"] == .string("vigil_ingest_events_accepted_total") && data[0]["Value"] == .number("1200"))
        #expect(data[0]["Unit"] == .string("Count") && data[0]["Dimensions"] == nil)
        #expect(data[1]["Value"] == .number("1.5") && data[1]["Unit"] == .string("None"))
        #expect(data[1]["Dimensions"] == .array([.object([JSONMember("Name", .string("destination")), JSONMember("Value", .string("siem"))])]))
        guard case .array(let wide)? = data[2]["Dimensions"] else { return }
        #expect(wide.count == 30)
    }

    @Test("a period is one signed PutMetricData (JSON 1.0, service monitoring); infinite readings left out; 500 figures a request")
    func signedRequest() async throws {
        try await WebhookReceiver.run(fallback: .init(200, "{}")) { receiver in
            let figures = (0..<1001).map { MetricFigure(name: "m\($0)", dimensions: [], value: Double($0), unit: "None") }
                + [MetricFigure(name: "inf", dimensions: [], value: .infinity, unit: "None")]
            let published = Mutex<[Set<String>]>([])
            let publisher = Self.publisher(receiver.url) { (figures, { keys in published.withLock { $0.append(keys) } }) }
            #expect(try await publisher.publishOnce() == 1001)
            let requests = receiver.received
            #expect(requests.count == 3)
            let first = try #require(requests.first)
            #expect(first.path == "/")
            #expect(first.headers["x-amz-target"] == "GraniteServiceVersion20100801.PutMetricData")
            #expect(first.headers["content-type"] == "application/x-amz-json-1.0")
            let authorization = try #require(first.headers["authorization"])
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") && authorization.contains("/eu-west-1/monitoring/aws4_request"))
            #expect(!requests.contains { $0.text.contains("\"inf\"") })
            #expect(publisher.stats.figures == 1001 && publisher.stats.requests == 3 && publisher.stats.failures == 0)
            #expect(publisher.stats.lastSuccessMillis == 5_000)
            #expect(published.withLock { $0.map(\.count) } == [500, 500, 1], "each accepted request commits its own series")
        }
    }

    @Test("when one request of several is refused, only the accepted requests' series are committed (none counted twice)")
    func partialFailure() async throws {
        try await WebhookReceiver.run(script: [.init(200, "{}"), .init(500, #"{"__type":"InternalServiceFault"}"#)]) { receiver in
            let figures = (0..<700).map { MetricFigure(name: "c\($0)", dimensions: [], value: 1, unit: "Count") }
            let published = Mutex<Set<String>>([])
            let publisher = Self.publisher(receiver.url) { (figures, { keys in published.withLock { $0.formUnion(keys) } }) }
            await #expect(throws: VigilError.self) { try await publisher.publishOnce() }
            let committed = published.withLock { $0 }
            #expect(committed == Set((0..<500).map { "c\($0)" }))
            #expect(publisher.stats.figures == 500 && publisher.stats.failures == 1)
        }
    }

    @Test("a refused request throws with CloudWatch's error, is counted, and keeps the baseline (commit not called) so the next period carries it")
    func refusal() async throws {
        try await WebhookReceiver.run(script: [.init(400, #"{"__type":"com.amazon.coral.validate#InvalidParameterValueException","message":"bad value"}"#)],
                                      fallback: .init(200, "{}")) { receiver in
            let commits = Mutex(0)
            let publisher = Self.publisher(receiver.url) {
                ([MetricFigure(name: "vigil_ingest_events_accepted_total", dimensions: [], value: 3, unit: "Count")], { _ in commits.withLock { $0 += 1 } })
            }
            await #expect(throws: VigilError.self) { try await publisher.publishOnce() }
            #expect(commits.withLock { $0 } == 0)
            #expect(publisher.stats.failures == 1 && publisher.stats.lastSuccessMillis == nil)
            let second = try await publisher.publishOnce()
            #expect(second == 1)
            #expect(commits.withLock { $0 } == 1)
            let text = CloudWatchMetricsPublisher.metricsText([publisher])
            #expect(text.contains(#"vigil_cloudwatch_metrics_failures_total{destination="cw"} 1"#))
            #expect(text.contains(#"vigil_cloudwatch_metrics_figures_total{destination="cw"} 1"#))
            #expect(text.contains(#"vigil_cloudwatch_metrics_last_success_timestamp_seconds{destination="cw"} 5.0"#))
        }
    }

    @Test("an endpoint that does not answer is an error that names it, counted as a failure")
    func unreachable() async throws {
        let publisher = Self.publisher("http://127.0.0.1:9") { ([MetricFigure(name: "m", dimensions: [], value: 1, unit: "None")], { _ in }) }
        await #expect(throws: VigilError.self) { try await publisher.publishOnce() }
        #expect(publisher.stats.failures == 1)
    }

    static func publisher(_ endpoint: String, readings: @escaping MetricReadings) -> CloudWatchMetricsPublisher {
        var configuration = CloudWatchMetricsPublisher.Configuration(name: "cw", namespace: "Vigil", include: ["m"], credentials: credentials)
        configuration.region = "eu-west-1"
        configuration.endpoint = endpoint
        return CloudWatchMetricsPublisher(configuration: configuration, readings: readings, clock: FixedWallClock(millis: 5_000), logger: .init(label: "test"))
    }
}
