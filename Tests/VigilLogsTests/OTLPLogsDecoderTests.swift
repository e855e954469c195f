import Testing
import VigilCore
@testable import VigilLogs

@Suite("OTLP/HTTP logs")
struct OTLPLogsDecoderTests {
    /// The shape of opentelemetry-proto's examples/logs.json, as SDKs and collectors send it.
    static let example = """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}},
          {"key":"host.name","value":{"stringValue":"node-1"}}]},
         "scopeLogs":[{"scope":{"name":"my.library","version":"1.0.0"},"logRecords":[
          {"timeUnixNano":"1796169600000000000","observedTimeUnixNano":"1796169600100000000","severityNumber":10,
           "severityText":"Information","traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
           "body":{"stringValue":"Example log record"},
           "attributes":[{"key":"string.attribute","value":{"stringValue":"some string"}},
             {"key":"boolean.attribute","value":{"boolValue":true}},{"key":"int.attribute","value":{"intValue":"10"}},
             {"key":"double.attribute","value":{"doubleValue":637.704}},
             {"key":"array.attribute","value":{"arrayValue":{"values":[{"stringValue":"many"},{"stringValue":"values"}]}}},
             {"key":"map.attribute","value":{"kvlistValue":{"values":[{"key":"some.map.key","value":{"stringValue":"some value"}}]}}}]},
          {"observedTimeUnixNano":"1796169601000000000","severityNumber":17,"body":{"kvlistValue":{"values":[
             {"key":"event","value":{"stringValue":"payment"}}]}},"attributes":[{"key":"log.iostream","value":{"stringValue":"stderr"}}]}
        ]}]}]}
        """

    @Test("records become lines: time, body, severity, attributes and trace ids")
    func example() throws {
        let decoded = try OTLPLogsDecoder().decode(Array(Self.example.utf8), receivedMillis: 1)
        #expect(decoded.apps.map(\.app) == ["shop"])
        let lines = decoded.apps[0].lines
        #expect(lines[0].timestampMillis == 1_796_169_600_000)
        #expect(lines[0].message == "Example log record")
        #expect(lines[0].level == "INFO")
        #expect(lines[0].stream == .stdout)
        #expect(lines[0].fieldsJSON == #"{"string.attribute":"some string","boolean.attribute":"true","int.attribute":"10","double.attribute":"637.704","array.attribute":"[\"many\",\"values\"]","map.attribute":"{\"some.map.key\":\"some value\"}","trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174"}"#)
        // No timeUnixNano: the observed time; a map body is JSON (so its members are fields); severity 17 is ERROR.
        #expect(lines[1].timestampMillis == 1_796_169_601_000)
        #expect(lines[1].message == #"{"event":"payment"}"#)
        #expect(lines[1].level == "ERROR")
        #expect(lines[1].stream == .stderr)
        #expect(lines[1].fieldsJSON == #"{"event":"payment"}"#)
    }

    @Test("a resource without service.name and a record without a body are reported")
    func problems() {
        let body = """
            {"resourceLogs":[{"resource":{"attributes":[]},"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]},
              {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"scopeLogs":[{"logRecords":[{"severityNumber":9}]}]}]}
            """
        do {
            _ = try OTLPLogsDecoder().decode(Array(body.utf8), receivedMillis: 1)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map(\.reason) == [.missingApp])
        }
        let noBody = #"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"scopeLogs":[{"logRecords":[{"severityNumber":9}]}]}]}"#
        do {
            _ = try OTLPLogsDecoder().decode(Array(noBody.utf8), receivedMillis: 1)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map { "\($0.field) \($0.reason.rawValue)" } == ["resourceLogs[0].scopeLogs[0].logRecords[0].body missing_message"])
        }
    }

    @Test("unknown members are ignored, as the OTLP JSON mapping requires")
    func unknownMembers() throws {
        let body = #"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}],"x":1},"schemaUrl":"s","scopeLogs":[{"logRecords":[{"body":{"stringValue":"hi"},"flags":1,"future":true}]}]}],"extra":{}}"#
        let decoded = try OTLPLogsDecoder().decode(Array(body.utf8), receivedMillis: 5)
        #expect(decoded.apps[0].lines == [LogLine(timestampMillis: 5, message: "hi")])
    }

    @Test("the protobuf encoding gives the same lines as the JSON one")
    func protobuf() throws {
        var any = ProtobufWriter()
        any.string(1, "shop")
        var serviceName = ProtobufWriter()
        serviceName.string(1, "service.name")
        serviceName.message(2, any)
        var resource = ProtobufWriter()
        resource.message(1, serviceName)
        var body = ProtobufWriter()
        body.string(1, "Example log record")
        var intValue = ProtobufWriter()
        intValue.varint(3, 10)
        var attribute = ProtobufWriter()
        attribute.string(1, "int.attribute")
        attribute.message(2, intValue)
        var record = ProtobufWriter()
        record.fixed64(1, 1_796_169_600_000_000_000)
        record.varint(2, 13)
        record.message(5, body)
        record.message(6, attribute)
        record.bytes(9, [0x5b, 0x8e])
        var scope = ProtobufWriter()
        scope.message(2, record)
        var resourceLogs = ProtobufWriter()
        resourceLogs.message(1, resource)
        resourceLogs.message(2, scope)
        var request = ProtobufWriter()
        request.message(1, resourceLogs)
        let decoded = try OTLPProtobufLogsDecoder().decode(request.bytes, receivedMillis: 1)
        #expect(decoded.apps.map(\.app) == ["shop"])
        #expect(decoded.apps[0].lines == [LogLine(
            timestampMillis: 1_796_169_600_000, level: "WARN", message: "Example log record", fieldsJSON: #"{"int.attribute":"10","trace_id":"5b8e"}"#)])
    }

    @Test("values nested past the depth limit are refused, never a stack overflow")
    func deepNesting() {
        var value = ProtobufWriter()
        value.string(1, "leaf")
        for _ in 0..<1_000 {
            var list = ProtobufWriter()
            list.message(1, value)
            var any = ProtobufWriter()
            any.message(5, list)
            value = any
        }
        var record = ProtobufWriter()
        record.message(5, value)
        var scope = ProtobufWriter()
        scope.message(2, record)
        var resourceLogs = ProtobufWriter()
        resourceLogs.message(2, scope)
        var request = ProtobufWriter()
        request.message(1, resourceLogs)
        #expect(throws: LogPushRefusal.self) { try OTLPProtobufLogsDecoder().decode(request.bytes, receivedMillis: 1) }
    }

    @Test("a truncated or malformed protobuf body is refused, never a crash")
    func malformedProtobuf() {
        for bytes: [UInt8] in [[0x0A, 0x10, 0x01], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x0B], [0x09, 0x01]] {
            #expect(throws: LogPushRefusal.self) { try OTLPProtobufLogsDecoder().decode(bytes, receivedMillis: 1) }
        }
    }
}

/// A protobuf encoder for the tests' messages.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func key(_ field: Int, _ type: UInt8) { rawVarint(UInt64(field) << 3 | UInt64(type)) }

    mutating func rawVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        rawVarint(value)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        key(field, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }
}
