import Foundation
import VigilCore

/// OTLP/HTTP logs in the protobuf encoding (`Content-Type: application/x-protobuf`), what the OpenTelemetry SDKs'
/// OTLP/HTTP exporters send by default. The message is turned into the OTLP JSON mapping's shape and read by
/// `OTLPLogsDecoder`, so both encodings give the same lines. Field numbers from opentelemetry-proto
/// (collector/logs/v1, logs/v1, common/v1).
public struct OTLPProtobufLogsDecoder: Sendable {
    public var limits: LogLimits
    public var maxRequestLines: Int

    public init(limits: LogLimits = LogLimits(), maxRequestLines: Int = 100_000) {
        self.limits = limits
        self.maxRequestLines = maxRequestLines
    }

    public func decode(_ body: [UInt8], receivedMillis: Int64) throws(LogPushRefusal) -> DecodedLogs {
        let document: JSONValue
        do {
            document = try Self.request(ProtobufReader(body))
        } catch {
            throw LogPushRefusal(problems: [.init(index: 0, field: "", reason: .malformedJSON, detail: error.description)])
        }
        return try OTLPLogsDecoder(limits: limits, maxRequestLines: maxRequestLines).decode(document: document, receivedMillis: receivedMillis)
    }

    /// ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
    static func request(_ reader: ProtobufReader) throws(ProtobufReader.Malformed) -> JSONValue {
        var reader = reader
        var resources: [JSONValue] = []
        while !reader.isAtEnd {
            let (number, type) = try reader.field()
            if number == 1, type == .lengthDelimited { resources.append(try resourceLogs(try reader.message())) } else { try reader.skip(type) }
        }
        return .object([JSONMember("resourceLogs", .array(resources))])
    }

    /// ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
    static func resourceLogs(_ reader: ProtobufReader) throws(ProtobufReader.Malformed) -> JSONValue {
        var reader = reader
        var attributes: [JSONValue] = []
        var scopes: [JSONValue] = []
        while !reader.isAtEnd {
            let (number, type) = try reader.field()
            switch (number, type) {
            case (1, .lengthDelimited):
                // Resource { repeated KeyValue attributes = 1; }
                var resource = try reader.message()
                while !resource.isAtEnd {
                    let (inner, innerType) = try resource.field()
                    if inner == 1, innerType == .lengthDelimited { attributes.append(try keyValue(try resource.message())) } else { try resource.skip(innerType) }
                }
            case (2, .lengthDelimited):
                scopes.append(try scopeLogs(try reader.message()))
            default:
                try reader.skip(type)
            }
        }
        return .object([
            JSONMember("resource", .object([JSONMember("attributes", .array(attributes))])), JSONMember("scopeLogs", .array(scopes)),
        ])
    }

    /// ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
    static func scopeLogs(_ reader: ProtobufReader) throws(ProtobufReader.Malformed) -> JSONValue {
        var reader = reader
        var records: [JSONValue] = []
        while !reader.isAtEnd {
            let (number, type) = try reader.field()
            if number == 2, type == .lengthDelimited { records.append(try logRecord(try reader.message())) } else { try reader.skip(type) }
        }
        return .object([JSONMember("logRecords", .array(records))])
    }

    /// LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2; string severity_text = 3; AnyValue body = 5;
    /// repeated KeyValue attributes = 6; bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11;
    /// string event_name = 12; }
    static func logRecord(_ reader: ProtobufReader) throws(ProtobufReader.Malformed) -> JSONValue {
        var reader = reader
        var members: [JSONMember] = []
        var attributes: [JSONValue] = []
        while !reader.isAtEnd {
            let (number, type) = try reader.field()
            switch (number, type) {
            case (1, .fixed64): members.append(JSONMember("timeUnixNano", .string(String(try reader.fixed64()))))
            case (11, .fixed64): members.append(JSONMember("observedTimeUnixNano", .string(String(try reader.fixed64()))))
            case (2, .varint): members.append(JSONMember("severityNumber", .number(String(try reader.varint()))))
            case (3, .lengthDelimited): members.append(JSONMember("severityText", .string(try reader.string())))
            case (5, .lengthDelimited): members.append(JSONMember("body", try anyValue(try reader.message())))
            case (6, .lengthDelimited): attributes.append(try keyValue(try reader.message()))
            case (9, .lengthDelimited): members.append(JSONMember("traceId", .string(hex(reader.bytes[try reader.lengthDelimited()]))))
            case (10, .lengthDelimited): members.append(JSONMember("spanId", .string(hex(reader.bytes[try reader.lengthDelimited()]))))
            case (12, .lengthDelimited): members.append(JSONMember("eventName", .string(try reader.string())))
            default: try reader.skip(type)
            }
        }
        members.append(JSONMember("attributes", .array(attributes)))
        return .object(members)
    }

    /// How deeply AnyValues may nest (maps in lists in maps...), as JSON bodies are limited: the decoded value is
    /// walked recursively afterwards, so an unbounded depth could exhaust the stack.
    static let maxDepth = 32

    /// KeyValue { string key = 1; AnyValue value = 2; }
    static func keyValue(_ reader: ProtobufReader, depth: Int = 0) throws(ProtobufReader.Malformed) -> JSONValue {
        var reader = reader
        var key = ""
        var value: JSONValue = .object([])
        while !reader.isAtEnd {
            let (number, type) = try reader.field()
            switch (number, type) {
            case (1, .lengthDelimited): key = try reader.string()
            case (2, .lengthDelimited): value = try anyValue(try reader.message(), depth: depth + 1)
            default: try reader.skip(type)
            }
        }
        return .object([JSONMember("key", .string(key)), JSONMember("value", value)])
    }

    /// AnyValue { oneof { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    /// ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
    static func anyValue(_ reader: ProtobufReader, depth: Int = 0) throws(ProtobufReader.Malformed) -> JSONValue {
        guard depth <= maxDepth else { throw ProtobufReader.Malformed(offset: reader.offset, reason: "values nested more than \(maxDepth) deep") }
        var reader = reader
        var value: JSONMember?
        while !reader.isAtEnd {
            let (number, type) = try reader.field()
            switch (number, type) {
            case (1, .lengthDelimited): value = JSONMember("stringValue", .string(try reader.string()))
            case (2, .varint): value = JSONMember("boolValue", .bool(try reader.varint() != 0))
            case (3, .varint): value = JSONMember("intValue", .string(String(Int64(bitPattern: try reader.varint()))))
            case (4, .fixed64):
                let double = Double(bitPattern: try reader.fixed64())
                value = JSONMember("doubleValue", double.isFinite ? .number(String(double)) : .string(String(double)))
            case (5, .lengthDelimited), (6, .lengthDelimited):
                // ArrayValue { repeated AnyValue values = 1; } / KeyValueList { repeated KeyValue values = 1; }
                var list = try reader.message()
                var values: [JSONValue] = []
                while !list.isAtEnd {
                    let (inner, innerType) = try list.field()
                    if inner == 1, innerType == .lengthDelimited {
                        values.append(number == 5 ? try anyValue(try list.message(), depth: depth + 1) : try keyValue(try list.message(), depth: depth + 1))
                    } else {
                        try list.skip(innerType)
                    }
                }
                value = JSONMember(number == 5 ? "arrayValue" : "kvlistValue", .object([JSONMember("values", .array(values))]))
            case (7, .lengthDelimited): value = JSONMember("bytesValue", .string(Data(reader.bytes[try reader.lengthDelimited()]).base64EncodedString()))
            default: try reader.skip(type)
            }
        }
        return .object(value.map { [$0] } ?? [])
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
