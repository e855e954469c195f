import Foundation
import Logging
import Synchronization
import Testing
import VigilCore
import VigilStore
import VigilTesting
@testable import VigilExport

/// The forwarding formats (pure) and the cursor's state machine on a real SQLite file.
struct ForwardFormatTests {
    static let event = AuditEvent(
        accountID: "acc", workspaceID: "42", eventTimeMillis: 1_796_000_000_123, sourceIPAddress: "10.0.0.1",
        userIdentity: UserIdentity(email: "a\"b]c\\d@x.com"), serviceName: "accounts", actionName: "login",
        response: EventResponse(statusCode: 403, errorMessage: "no"), eventID: "evt-1")

    @Test("URLs name the kind: syslog over TCP, UDP or TLS (default ports), OTLP, Splunk HEC, CloudWatch Logs, a webhook; others refused")
    func kinds() throws {
        #expect(try ForwardConfiguration.kind(of: "syslog+tcp://127.0.0.1:6514") == .syslog(transport: .tcp, host: "127.0.0.1", port: 6514))
        #expect(try ForwardConfiguration.kind(of: "syslog+udp://logs.example") == .syslog(transport: .udp, host: "logs.example", port: 514))
        #expect(try ForwardConfiguration.kind(of: "syslog+tls://logs.example") == .syslog(transport: .tls, host: "logs.example", port: 6514))
        #expect(try ForwardConfiguration.kind(of: "otlp+http://127.0.0.1:4318") == .otlp(url: "http://127.0.0.1:4318/v1/logs"))
        #expect(try ForwardConfiguration.kind(of: "otlp+https://c.example/v1/logs") == .otlp(url: "https://c.example/v1/logs"))
        #expect(try ForwardConfiguration.kind(of: "splunk-hec+https://splunk:8088") == .splunk(url: "https://splunk:8088/services/collector/event"))
        #expect(try ForwardConfiguration.kind(of: "cloudwatch-logs:///vigil/audit/node-1") == .cloudWatchLogs(group: "/vigil/audit", stream: "node-1"))
        #expect(try ForwardConfiguration.kind(of: "https://siem.example/in") == .webhook(url: "https://siem.example/in"))
        for bad in ["ftp://x", "syslog+tcp://", "cloudwatch-logs://nostream", "cloudwatch-logs://g/st:ream", "https://", "cloudwatch-logs://gr oup/s"] {
            #expect(throws: VigilError.self, "\(bad)") { try ForwardConfiguration.kind(of: bad) }
        }
    }

    @Test("filters: each list given must hold the event's value; no workspace matches 0")
    func filter() {
        #expect(ForwardFilter().matches(Self.event))
        #expect(ForwardFilter(serviceNames: ["accounts", "apps"]).matches(Self.event))
        #expect(!ForwardFilter(serviceNames: ["apps"]).matches(Self.event))
        #expect(!ForwardFilter(serviceNames: ["accounts"], actionNames: ["logout"]).matches(Self.event))
        #expect(ForwardFilter(workspaceIDs: ["42"]).matches(Self.event))
        var account = Self.event
        account.workspaceID = nil
        #expect(ForwardFilter(workspaceIDs: ["0"]).matches(account))
        #expect(!ForwardFilter(workspaceIDs: ["42"]).matches(account))
    }

    @Test("RFC 5424: facility 13 with the status's severity, the event time, escaped structured data, BOM then the event; octet-counted frames count bytes")
    func syslog() throws {
        let message = SyslogFormat.message(Self.event, hostname: "vigil host\u{1B}")
        let text = String(decoding: message, as: UTF8.self)
        #expect(text.hasPrefix("<108>1 2026-11-30T00:53:20.123Z vigilhost vigil - audit [audit@32473 eventId=\"evt-1\" service=\"accounts\" action=\"login\" user=\"a\\\"b\\]c\\\\d@x.com\" sourceIp=\"10.0.0.1\" status=\"403\" workspace=\"42\"] \u{FEFF}{"))
        #expect(Array(message.suffix(Self.event.canonicalBytes().count)) == Self.event.canonicalBytes())
        var ok = Self.event
        ok.response = EventResponse(statusCode: 200)
        #expect(String(decoding: SyslogFormat.message(ok, hostname: ""), as: UTF8.self).hasPrefix("<110>1 2026-11-30T00:53:20.123Z - vigil"))
        ok.response = EventResponse(statusCode: 503)
        #expect(String(decoding: SyslogFormat.message(ok, hostname: "h"), as: UTF8.self).hasPrefix("<107>1 "))
        let frame = SyslogFormat.frame(Array("é".utf8))
        #expect(frame == Array("2 é".utf8))
    }

    @Test("Splunk HEC envelopes: epoch seconds with milliseconds, source, sourcetype, index, the event as an object")
    func splunk() throws {
        let value = try JSONParser.parse(SplunkHECForwarder.envelope(Self.event, host: "h", sourcetype: "databricks:audit", index: "audit"))
        #expect(value["time"] == .number("1796000000.123"))
        #expect(value["sourcetype"] == .string("databricks:audit") && value["index"] == .string("audit") && value["host"] == .string("h"))
        #expect(value["event"]?["event_id"] == .string("evt-1"))
        #expect(value["event"]?["service_name"] == .string("accounts"))
        let noIndex = try JSONParser.parse(SplunkHECForwarder.envelope(Self.event, host: "h", sourcetype: "s", index: nil))
        #expect(noIndex["index"] == nil)
    }

    @Test("OTLP/HTTP JSON: one resource and scope, a record per event with nanosecond times, severity from the status, attributes")
    func otlp() throws {
        let body = try JSONParser.parse(OTLPForwarder.body([StoredEvent(seq: 0, event: Self.event, receivedMillis: 1_796_000_001_000)]))
        let record = body["resourceLogs"]?[0]?["scopeLogs"]?[0]?["logRecords"]?[0]
        #expect(body["resourceLogs"]?[0]?["resource"]?["attributes"]?[0]?["value"]?["stringValue"] == .string("vigil"))
        #expect(record?["timeUnixNano"] == .string("1796000000123000000"))
        #expect(record?["observedTimeUnixNano"] == .string("1796000001000000000"))
        #expect(record?["severityNumber"] == .number("13") && record?["severityText"] == .string("WARN"))
        guard case .string(let text)? = record?["body"]?["stringValue"] else { Issue.record("no body"); return }
        #expect(try JSONParser.parse(Array(text.utf8))["event_id"] == .string("evt-1"))
        guard case .array(let attributes)? = record?["attributes"] else { Issue.record("no attributes"); return }
        #expect(attributes.contains { $0["key"] == .string("event.id") && $0["value"]?["stringValue"] == .string("evt-1") })
    }

    @Test("CloudWatch batches: in received-time order, cut at 1 MiB counting 26 bytes per event (and at 10,000 events)")
    func cloudWatchBatches() {
        let many = (0..<10_001).map { StoredEvent(seq: Int64($0), event: Self.event, receivedMillis: Int64(20_000 - $0)) }
        let batches = CloudWatchLogsForwarder.batches(many)
        // A table-shape event is a few hundred bytes, so 1 MiB cuts before 10,000 events do.
        #expect(batches.count > 1)
        #expect(batches.allSatisfy { batch in batch.count <= 10_000 && batch.reduce(0) { $0 + $1.message.count + 26 } <= 1_048_576 })
        #expect(batches.dropLast().allSatisfy { batch in batch.reduce(0) { $0 + $1.message.count + 26 } + 600 > 1_048_576 }, "full before cut")
        #expect(batches.map(\.count).reduce(0, +) == 10_001)
        let order = batches.flatMap { $0 }.map(\.timestamp)
        #expect(order.first == 10_000 && order.last == 20_000 && order == order.sorted())
        var big = Self.event
        big.requestParams = [("pad", String(repeating: "x", count: 400_000))]
        let heavy = (0..<5).map { StoredEvent(seq: Int64($0), event: big, receivedMillis: 1) }
        #expect(CloudWatchLogsForwarder.batches(heavy).map(\.count) == [2, 2, 1])
        let spread = (0..<3).map { StoredEvent(seq: Int64($0), event: Self.event, receivedMillis: Int64($0) * 50_000_000) }
        #expect(CloudWatchLogsForwarder.batches(spread).map(\.count) == [2, 1], "cut at 24 hours")
        #expect(AWSJSONClient.errorType(#"{"__type":"com.amazon#ResourceNotFoundException:x","message":"gone"}"#) == "ResourceNotFoundException: gone")
    }
}

/// A receiver that fails its first `failures` sends, then records the batches it took.
final class RecordingForwarder: Forwarder {
    let state = Mutex<(failures: Int, batches: [[Int64]])>((0, []))
    init(failures: Int = 0) { state.withLock { $0.failures = failures } }
    func send(_ events: [StoredEvent]) async throws {
        try state.withLock {
            if $0.failures > 0 {
                $0.failures -= 1
                throw VigilError(.unavailable, "receiver down")
            }
            $0.batches.append(events.map(\.seq))
        }
    }
    var seqs: [Int64] { state.withLock { $0.batches.flatMap { $0 } } }
}

@Suite("Forwarding cursor")
struct ForwardServiceTests {
    @Test("a failed send leaves the cursor; the retry sends the same batch; filtered events are skipped but passed; a new instance resumes")
    func atLeastOnce() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        try await fixture.commit(0..<30)
        var configuration = ForwardConfiguration(name: "siem", url: "https://siem.example/in")
        configuration.batchEvents = 10
        configuration.filter = ForwardFilter(serviceNames: ["accounts", "clusters"])  // fixture services cycle through eight
        let receiver = RecordingForwarder(failures: 2)
        let service = ForwardService(configuration: configuration, forwarder: receiver, database: fixture.database, clock: fixture.clock, logger: Logger(label: "t"))
        try await service.prepare()
        await #expect(throws: VigilError.self) { try await service.forwardBatch() }
        await #expect(throws: VigilError.self) { try await service.forwardBatch() }
        #expect(try await service.cursor() == -1)
        #expect(try await service.lag().events == 30)
        #expect(try await service.forwardBatch() == true)
        #expect(try await service.cursor() == 9)
        // A restart: another instance on the same cursor.
        let again = ForwardService(configuration: configuration, forwarder: receiver, database: fixture.database, clock: fixture.clock, logger: Logger(label: "t"))
        try await again.prepare()
        while try await again.forwardBatch() {}
        #expect(try await again.cursor() == 29)
        #expect(try await again.lag().events == 0)
        let expected = (0..<30).filter { [0, 1].contains($0 % 8) }.map(Int64.init)
        #expect(receiver.seqs == expected, "in seq order, each once, only matching services")
        #expect(try await again.forwardBatch() == false)
        let moved = ForwardService(configuration: ForwardConfiguration(name: "siem", url: "https://other.example"), forwarder: receiver,
                                   database: fixture.database, clock: fixture.clock, logger: Logger(label: "t"))
        await #expect(throws: VigilError.self) { try await moved.prepare() }
        #expect(ForwardService.redacted("https://hooks.example:8443/services/T0/B0/secret?token=x") == "https://hooks.example:8443/…")
        #expect(ForwardService.redacted("https://user:pw@siem.example") == "https://siem.example")
        #expect(ForwardService.redacted("nonsense") == "(a URL)")
        let metrics = await ForwardMetrics.text([again])
        #expect(metrics.contains(#"vigil_forward_lag_events{destination="siem"} 0"#))
    }
}
