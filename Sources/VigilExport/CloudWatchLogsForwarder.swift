import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Synchronization
import VigilCore
import VigilStore

/// CloudWatch Logs (reference interop-formats.md §3.1): `PutLogEvents` over the JSON 1.1 protocol, signed with
/// Signature V4 (service `logs`). The group and stream are created on first use (already existing is fine). An
/// event's `timestamp` is when Vigil received it (CloudWatch refuses events older than 14 days, and an imported
/// history would be); its `message` is the event as table-shape JSON, `event_time` included. Batches are cut at
/// 10,000 events, 1 MiB (message bytes + 26 each) and 24 hours, in timestamp order. Events received more than 14
/// days ago are left out (CloudWatch refuses them) and counted in `skippedOld`.
public final class CloudWatchLogsForwarder: Forwarder {
    public let group: String
    public let stream: String
    let api: AWSJSONClient
    let created = Mutex(false)
    /// Events left out because CloudWatch would refuse them as older than 14 days.
    public let skippedOld = Mutex(0)

    public init(group: String, stream: String, region: String, endpoint: String?, credentials: SigV4.Credentials, client: HTTPClient = ExportHTTP.client) {
        self.group = group
        self.stream = stream
        api = AWSJSONClient(
            endpoint: endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "https://logs.\(region).amazonaws.com",
            signer: SigV4(credentials: credentials, region: region, service: "logs"), targetPrefix: "Logs_20140328",
            contentType: "application/x-amz-json-1.1", what: "CloudWatch Logs", client: client)
    }

    public func send(_ events: [StoredEvent]) async throws {
        if !created.withLock({ $0 }) {
            for (operation, body) in [("CreateLogGroup", #"{"logGroupName":\#(Self.quoted(group))}"#),
                                      ("CreateLogStream", #"{"logGroupName":\#(Self.quoted(group)),"logStreamName":\#(Self.quoted(stream))}"#)] {
                let (status, text) = try await api.call(operation, body: Array(body.utf8))
                guard (200..<300).contains(status) || text.contains("ResourceAlreadyExistsException") else {
                    throw VigilError(.unavailable, "CloudWatch Logs \(operation): HTTP \(status) \(AWSJSONClient.errorType(text))")
                }
            }
            created.withLock { $0 = true }
        }
        // CloudWatch refuses events older than 14 days (a history delivered to a new destination has them): they are
        // left out and logged rather than failing the batch for ever.
        let oldest = Int64(Date().timeIntervalSince1970 * 1000) - 14 * 86_400_000 + 3_600_000
        let recent = events.filter { $0.receivedMillis >= oldest }
        if recent.count < events.count {
            skippedOld.withLock { $0 += events.count - recent.count }
        }
        for batch in Self.batches(recent) {
            var writer = JSONWriter(reservingCapacity: 1 << 16)
            writer.rawBytes(#"{"logGroupName":"#); writer.string(group); writer.rawBytes(#","logStreamName":"#); writer.string(stream)
            writer.rawBytes(#","logEvents":["#)
            for (position, item) in batch.enumerated() {
                if position > 0 { writer.comma() }
                writer.rawBytes(#"{"timestamp":"#); writer.integer(item.timestamp); writer.rawBytes(#","message":"#)
                writer.string(String(decoding: item.message, as: UTF8.self)); writer.endObject()
            }
            writer.rawBytes("]}")
            let (status, text) = try await api.call("PutLogEvents", body: writer.bytes)
            guard (200..<300).contains(status) else {
                if text.contains("ResourceNotFoundException") { created.withLock { $0 = false } }  // deleted meanwhile: create again
                throw VigilError(.unavailable, "CloudWatch Logs PutLogEvents: HTTP \(status) \(AWSJSONClient.errorType(text))")
            }
            if text.contains("tooNewLogEventStartIndex") {
                throw VigilError(.unavailable, "CloudWatch Logs rejected part of a batch as too new: \(text.prefix(300))")
            }
        }
    }

    /// In timestamp order, at most 10,000 events, 1,048,576 bytes (message bytes + 26 per event) and 24 hours each.
    static func batches(_ events: [StoredEvent]) -> [[(timestamp: Int64, message: [UInt8])]] {
        let items = events.map { (timestamp: $0.receivedMillis, message: $0.event.canonicalBytes()) }
            .enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
        var batches: [[(timestamp: Int64, message: [UInt8])]] = []
        var current: [(timestamp: Int64, message: [UInt8])] = []
        var bytes = 0
        for item in items {
            let size = item.message.count + 26
            if !current.isEmpty, current.count == 10_000 || bytes + size > 1_048_576 || item.timestamp - current[0].timestamp >= 86_400_000 {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(item)
            bytes += size
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.string
    }
}
