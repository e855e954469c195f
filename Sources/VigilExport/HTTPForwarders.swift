import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore
import VigilStore

/// The HTTP client of forwarding and S3: redirects are not followed (a 3xx would turn a POST into a GET without its
/// body, and a 2xx to that would move the cursor past events never sent), so a 3xx fails like any non-2xx.
public enum ExportHTTP {
    public static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(
        redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(60))))
}

/// One POST; any answer but 2xx (or a body the receiver uses to say no) fails the batch, which is then sent again.
/// Errors name the host, never a token.
struct HTTPPoster: Sendable {
    let client: HTTPClient
    let timeout: TimeAmount

    init(client: HTTPClient = ExportHTTP.client, timeout: TimeAmount = .seconds(30)) {
        self.client = client
        self.timeout = timeout
    }

    func post(_ url: String, body: [UInt8], headers: [(String, String)], what: String) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "Vigil")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw VigilError(.unavailable, "\(what) \(URLComponents(string: url)?.host ?? "?"): no answer: \(type(of: error))")
        }
        var collected = try await response.body.collect(upTo: 1 << 20)
        let text = collected.readString(length: collected.readableBytes) ?? ""
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw VigilError(.unavailable, "\(what) \(URLComponents(string: url)?.host ?? "?"): HTTP \(status)\(text.isEmpty ? "" : ": \(text.prefix(300))")")
        }
        return (status, text)
    }
}

/// A generic HTTPS webhook: each batch one POST of NDJSON (the events in the table shape, `event_id` included),
/// signed as Vigil's notification webhooks are: `X-Vigil-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>")`
/// with `X-Vigil-Timestamp`; `X-Vigil-First-Seq`/`X-Vigil-Last-Seq` let a receiver see order and resends.
public struct WebhookForwarder: Forwarder {
    public let url: String
    let secret: String?
    let poster: HTTPPoster
    let clock: any WallClock

    public init(url: String, signingSecret: String?, clock: any WallClock = SystemWallClock()) {
        self.url = url
        secret = signingSecret
        poster = HTTPPoster()
        self.clock = clock
    }

    public func send(_ events: [StoredEvent]) async throws {
        var body: [UInt8] = []
        for stored in events { body += stored.event.canonicalBytes() + [UInt8(ascii: "\n")] }
        var headers = [("Content-Type", "application/x-ndjson"), ("X-Vigil-First-Seq", String(events.first?.seq ?? 0)),
                       ("X-Vigil-Last-Seq", String(events.last?.seq ?? 0))]
        if let secret {
            let timestamp = String(clock.nowMillis() / 1000)
            headers.append(("X-Vigil-Timestamp", timestamp))
            headers.append(("X-Vigil-Signature", "sha256=" + Self.signature(secret: secret, timestamp: timestamp, body: body)))
        }
        _ = try await poster.post(url, body: body, headers: headers, what: "webhook")
    }

    public static func signature(secret: String, timestamp: String, body: [UInt8]) -> String {
        WebhookSignature.hex(secret: secret, timestamp: timestamp, body: body)
    }
}

/// Splunk HTTP Event Collector (reference interop-formats.md §4): envelopes stacked in one body (not an array),
/// `Authorization: Splunk <token>`; success is HTTP 200 with `"code":0`.
public struct SplunkHECForwarder: Forwarder {
    public let url: String
    let token: String
    let sourcetype: String
    let index: String?
    let hostname: String
    let poster: HTTPPoster

    public init(url: String, token: String, sourcetype: String, index: String?, hostname: String?) {
        self.url = url
        self.token = token
        self.sourcetype = sourcetype
        self.index = index
        self.hostname = hostname ?? ProcessInfo.processInfo.hostName
        poster = HTTPPoster()
    }

    public static func envelope(_ event: AuditEvent, host: String, sourcetype: String, index: String?) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 700)
        writer.beginObject()
        writer.key("time"); writer.rawBytes(String(format: "%lld.%03lld", event.eventTimeMillis / 1000, abs(event.eventTimeMillis % 1000))); writer.comma()
        writer.key("host"); writer.string(host); writer.comma()
        writer.key("source"); writer.string("vigil"); writer.comma()
        writer.key("sourcetype"); writer.string(sourcetype); writer.comma()
        if let index { writer.key("index"); writer.string(index); writer.comma() }
        writer.key("event"); event.writeTableJSON(into: &writer)
        writer.endObject()
        return writer.bytes
    }

    public func send(_ events: [StoredEvent]) async throws {
        var body: [UInt8] = []
        for stored in events {
            body += Self.envelope(stored.event, host: hostname, sourcetype: sourcetype, index: index) + [UInt8(ascii: "\n")]
        }
        let reply = try await poster.post(url, body: body, headers: [("Authorization", "Splunk \(token)"), ("Content-Type", "application/json")],
                                          what: "Splunk HEC")
        if let value = try? JSONParser.parse(Array(reply.body.utf8)), case .number(let code)? = value["code"], code != "0" {
            throw VigilError(.unavailable, "Splunk HEC refused the batch: \(reply.body.prefix(300))")
        }
    }
}

/// OpenTelemetry logs over OTLP/HTTP with the JSON encoding (`POST /v1/logs`): one resource (`service.name` vigil),
/// one scope (`vigil.audit`), a log record per event with its time, a severity from its status, the event as the
/// body (table-shape JSON text) and its key fields as attributes.
public struct OTLPForwarder: Forwarder {
    public let url: String
    let poster: HTTPPoster

    public init(url: String) {
        self.url = url
        poster = HTTPPoster()
    }

    public static func body(_ events: [StoredEvent]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: events.count * 900 + 200)
        writer.rawBytes(#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"vigil"}}]},"scopeLogs":[{"scope":{"name":"vigil.audit"},"logRecords":["#)
        for (position, stored) in events.enumerated() {
            let event = stored.event
            if position > 0 { writer.comma() }
            let status = event.response?.statusCode.map(Int.init)
            let (number, text) = status.map { $0 >= 500 ? (17, "ERROR") : $0 >= 400 ? (13, "WARN") : (9, "INFO") } ?? (9, "INFO")
            writer.beginObject()
            writer.key("timeUnixNano"); writer.string(String(event.eventTimeMillis) + "000000"); writer.comma()
            writer.key("observedTimeUnixNano"); writer.string(String(stored.receivedMillis) + "000000"); writer.comma()
            writer.key("severityNumber"); writer.integer(number); writer.comma()
            writer.key("severityText"); writer.string(text); writer.comma()
            writer.key("body"); writer.beginObject(); writer.key("stringValue"); writer.string(String(decoding: event.canonicalBytes(), as: UTF8.self)); writer.endObject(); writer.comma()
            writer.key("attributes"); writer.beginArray()
            let attributes: [(String, String?)] = [
                ("event.id", event.eventID), ("databricks.service_name", event.serviceName), ("databricks.action_name", event.actionName),
                ("user.email", event.userIdentity?.email), ("client.address", event.sourceIPAddress),
                ("http.response.status_code", status.map(String.init)), ("databricks.workspace_id", event.workspaceID),
            ]
            var first = true
            for case let (key, value?) in attributes {
                if !first { writer.comma() }
                first = false
                writer.beginObject(); writer.key("key"); writer.string(key); writer.comma()
                writer.key("value"); writer.beginObject(); writer.key("stringValue"); writer.string(value); writer.endObject(); writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.rawBytes("]}]}]}")
        return writer.bytes
    }

    public func send(_ events: [StoredEvent]) async throws {
        _ = try await poster.post(url, body: Self.body(events), headers: [("Content-Type", "application/json")], what: "OTLP")
    }
}
