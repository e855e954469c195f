import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore

/// One figure of Vigil's own to publish: a series of `/metrics` and what it is worth for the period just ended (a
/// gauge's reading, a counter's increase since the last publication).
public struct MetricFigure: Sendable, Equatable {
    public struct Dimension: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    public var dimensions: [Dimension]
    public var value: Double
    /// `Count` for counters (increases), `None` for gauges.
    public var unit: String
    /// The series' identity (`name{label="value"}`): what `commit` is told was published.
    public var series: String

    public init(name: String, dimensions: [Dimension], value: Double, unit: String, series: String? = nil) {
        self.name = name
        self.dimensions = dimensions
        self.value = value
        self.unit = unit
        self.series = series ?? name + dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
    }
}

/// What the publisher reads each period: the figures of its series (the reader is made for the entry's `include`),
/// and a `commit` to call with the series
/// each accepted request held, so that only those counters' baseline moves. A refused request leaves its series'
/// baseline where it was and the next period's increase covers both: nothing is lost to a CloudWatch outage, and
/// nothing is counted twice when one request of several fails.
public typealias MetricReadings = @Sendable () async throws -> (figures: [MetricFigure], commit: @Sendable (Set<String>) -> Void)

/// CloudWatch metrics for Vigil's own figures (reference interop-formats.md §3.2): every `interval`, the series
/// named in `include` are read from `/metrics` and sent with `PutMetricData` (JSON 1.0, what current SDKs send,
/// signed with Signature V4 as service `monitoring`), 500 figures a request. Each label becomes a dimension (at most
/// 30; empty values left out, values cut at 1,024 characters); NaN and infinite readings are left out (CloudWatch
/// refuses them). No timestamp is sent: CloudWatch stamps the figures on arrival, which is when they were read.
public final class CloudWatchMetricsPublisher: Service, Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Names the destination in metrics and logs.
        public var name: String
        public var namespace: String
        public var intervalMillis: Int64 = 60_000
        public var include: Set<String>
        public var region: String = "us-east-1"
        public var endpoint: String?
        public var credentials: SigV4.Credentials

        public init(name: String, namespace: String, include: Set<String>, credentials: SigV4.Credentials) {
            self.name = name
            self.namespace = namespace
            self.include = include
            self.credentials = credentials
        }

        /// The series published when `include` is not given: ingest, refusals, queues, lag, integrity.
        public static let defaultInclude: [String] = [
            "vigil_ingest_events_accepted_total", "vigil_ingest_events_rejected_total", "vigil_authentication_failures_total",
            "vigil_sequencer_queue_events", "vigil_detection_alerts_total", "vigil_ledger_verification_failures_total",
            "vigil_self_audit_failures_total", "vigil_delivery_lag_seconds", "vigil_forward_lag_seconds", "vigil_http_connections_open",
        ]
    }

    public struct Counters: Sendable, Equatable {
        public var figures: Int64 = 0
        public var requests: Int64 = 0
        public var failures: Int64 = 0
        public var lastSuccessMillis: Int64?
    }

    public let configuration: Configuration
    let readings: MetricReadings
    let api: AWSJSONClient
    let clock: any WallClock
    let logger: Logger
    let counters = Mutex(Counters())
    /// Names asked for that `/metrics` did not have at the last read (warned about once each).
    let missingWarned = Mutex(Set<String>())

    public init(configuration: Configuration, readings: @escaping MetricReadings, clock: any WallClock, logger: Logger,
                client: HTTPClient = ExportHTTP.client) {
        self.configuration = configuration
        self.readings = readings
        self.clock = clock
        self.logger = logger
        var api = AWSJSONClient(
            endpoint: configuration.endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "https://monitoring.\(configuration.region).amazonaws.com",
            signer: SigV4(credentials: configuration.credentials, region: configuration.region, service: "monitoring"),
            targetPrefix: "GraniteServiceVersion20100801", contentType: "application/x-amz-json-1.0", what: "CloudWatch PutMetricData", client: client)
        // Errors then carry the query protocol's codes too (awsQueryCompatible).
        api.extraHeaders = [("x-amzn-query-mode", "true")]
        self.api = api
    }

    public var stats: Counters { counters.withLock { $0 } }

    public func run() async throws {
        logger.info("CloudWatch metrics publishing", metadata: [
            "destination": "\(configuration.name)", "namespace": "\(configuration.namespace)", "series": "\(configuration.include.count)",
        ])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.configuration.intervalMillis)) }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { break }
            do {
                try await publishOnce()
            } catch {
                logger.warning("CloudWatch metrics not published; the next period carries the counters' increase", metadata: [
                    "destination": "\(configuration.name)", "error": "\(error)",
                ])
            }
        }
    }

    /// Reads and sends one period's figures; answers how many were sent. Throws (and counts a failure) when a
    /// request is refused or unanswered; the baseline is then kept for the next period.
    @discardableResult
    public func publishOnce() async throws -> Int {
        let (figures, commit) = try await readings()
        // A histogram or summary named by its family is published as its `_count` and `_sum`.
        let present = Set(figures.map(\.name))
        let newlyMissing = missingWarned.withLock { warned -> [String] in
            let missing = configuration.include.filter { !present.contains($0) && !present.contains($0 + "_count") }.subtracting(warned)
            warned.formUnion(missing)
            return missing.sorted()
        }
        if !newlyMissing.isEmpty {
            logger.notice("Series named for CloudWatch have no values yet (a typo, or nothing counted so far)", metadata: [
                "destination": "\(configuration.name)", "series": "\(newlyMissing.joined(separator: ", "))",
            ])
        }
        let sendable = figures.filter(\.value.isFinite)
        var sent = 0
        for start in stride(from: 0, to: sendable.count, by: 500) {
            let chunk = Array(sendable[start..<min(start + 500, sendable.count)])
            counters.withLock { $0.requests += 1 }
            let (status, text) = try await failureCounted { try await self.api.call("PutMetricData", body: Self.body(namespace: self.configuration.namespace, figures: chunk)) }
            guard (200..<300).contains(status) else {
                counters.withLock { $0.failures += 1 }
                throw VigilError(.unavailable, "CloudWatch PutMetricData: HTTP \(status) \(AWSJSONClient.errorType(text))")
            }
            sent += chunk.count
            commit(Set(chunk.map(\.series)))
            counters.withLock { $0.figures += Int64(chunk.count) }
        }
        counters.withLock { $0.lastSuccessMillis = clock.nowMillis() }
        return sent
    }

    private func failureCounted<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            counters.withLock { $0.failures += 1 }
            throw error
        }
    }

    /// `{"Namespace":…,"MetricData":[{"MetricName":…,"Dimensions":[{"Name":…,"Value":…}],"Value":…,"Unit":…}]}`.
    public static func body(namespace: String, figures: [MetricFigure]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256 * figures.count + 64)
        writer.beginObject()
        writer.key("Namespace"); writer.string(namespace); writer.comma()
        writer.key("MetricData"); writer.beginArray()
        for (position, figure) in figures.enumerated() {
            if position > 0 { writer.comma() }
            writer.beginObject()
            writer.key("MetricName"); writer.string(String(figure.name.prefix(255))); writer.comma()
            let dimensions = figure.dimensions.filter { !$0.name.isEmpty && !$0.value.isEmpty }.prefix(30)
            if !dimensions.isEmpty {
                writer.key("Dimensions"); writer.beginArray()
                for (index, dimension) in dimensions.enumerated() {
                    if index > 0 { writer.comma() }
                    writer.beginObject()
                    writer.key("Name"); writer.string(String(dimension.name.prefix(255))); writer.comma()
                    writer.key("Value"); writer.string(String(dimension.value.prefix(1024)))
                    writer.endObject()
                }
                writer.endArray(); writer.comma()
            }
            writer.key("Value"); writer.rawBytes(Self.number(figure.value)); writer.comma()
            writer.key("Unit"); writer.string(figure.unit)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// A finite double as JSON: whole numbers without a fraction.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// `/metrics` lines for the publishers.
    public static func metricsText(_ publishers: [CloudWatchMetricsPublisher]) -> String {
        guard !publishers.isEmpty else { return "" }
        var families = PerDestinationFamilies(rows: publishers.map { ($0.configuration.name, $0.stats) })
        families.family("vigil_cloudwatch_metrics_figures_total", "counter", "Figures published to CloudWatch metrics.") { String($0.figures) }
        families.family("vigil_cloudwatch_metrics_failures_total", "counter",
                        "PutMetricData requests refused or unanswered (their figures go with the next period).") { String($0.failures) }
        families.family("vigil_cloudwatch_metrics_last_success_timestamp_seconds", "gauge",
                        "When a period was last published whole (0: never).") { String(Double($0.lastSuccessMillis ?? 0) / 1000) }
        return families.out
    }
}
