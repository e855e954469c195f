import Testing
import VigilCore
@testable import VigilLogs

@Suite("NDJSON log push")
struct NDJSONLogDecoderTests {
    let decoder = NDJSONLogDecoder()
    let now: Int64 = 1_796_169_600_000

    func decode(_ text: String, contentType: String? = "application/x-ndjson") throws(LogPushRefusal) -> [LogLine] {
        try decoder.decode(Array(text.utf8), contentType: contentType, app: "shop", receivedMillis: now).apps.first?.lines ?? []
    }

    func problems(_ text: String, contentType: String? = "application/x-ndjson") -> [ValidationProblem] {
        do {
            _ = try decode(text, contentType: contentType)
            return []
        } catch {
            return error.problems
        }
    }

    @Test("a line takes its timestamp, source, stream and message; absent ones default to arrival, APP and stdout")
    func fieldsAndDefaults() throws {
        let lines = try decode("""
            {"timestamp":"2026-12-01T10:00:00.250Z","source":"SYSTEM","stream":"stderr","message":"started"}
            {"message":"plain"}
            {"timestamp":1796169600.5,"source":"app","stream":"STDOUT","message":"epoch seconds"}
            """)
        #expect(lines.count == 3)
        #expect(lines[0] == LogLine(timestampMillis: Timestamp.parseRFC3339("2026-12-01T10:00:00.250Z")!, source: .system, stream: .stderr, message: "started"))
        #expect(lines[1] == LogLine(timestampMillis: now, source: .app, stream: .stdout, message: "plain"))
        #expect(lines[2].timestampMillis == 1_796_169_600_500)
        #expect(lines[2].source == .app && lines[2].stream == .stdout)
    }

    @Test("a JSON message gives its level and every member as a searchable field")
    func structuredMessage() throws {
        let lines = try decode(#"{"message":"{\"level\":\"warning\",\"msg\":\"slow\",\"ms\":1200,\"ok\":false,\"ctx\":{\"a\":1}}"}"#)
        #expect(lines[0].level == "WARN")
        #expect(lines[0].fieldsJSON == #"{"level":"warning","msg":"slow","ms":"1200","ok":"false","ctx":"{\"a\":1}"}"#)
    }

    @Test("an explicit level wins over the message's, and plain text has no fields")
    func explicitLevel() throws {
        let lines = try decode(#"{"message":"{\"level\":\"info\"}","level":"err"}"# + "\n" + #"{"message":"not { json"}"#)
        #expect(lines[0].level == "ERROR")
        #expect(lines[1].level == nil && lines[1].fieldsJSON == nil)
    }

    @Test("a JSON array works with Content-Type application/json")
    func jsonArray() throws {
        let lines = try decode(#"[{"message":"a"},{"message":"b"}]"#, contentType: "application/json; charset=utf-8")
        #expect(lines.map(\.message) == ["a", "b"])
    }

    @Test("every problem is reported with its line, field and reason, and nothing is decoded")
    func everyProblem() {
        let found = problems("""
            {"message":"fine"}
            {"source":"APP"}
            {"message":"x","source":"KERNEL"}
            {"message":"x","stream":"stdlog"}
            {"message":"x","timestamp":"yesterday"}
            {"message":"x","extra":1}
            {"message":5}
            not json
            [1]
            """)
        let summary = found.map { "\($0.index) \($0.field) \($0.reason.rawValue)" }
        #expect(summary == [
            "1 message missing_message", "2 source invalid_source", "3 stream invalid_stream", "4 timestamp invalid_timestamp",
            "5 extra unknown_field", "6 message wrong_type", "7  malformed_json", "8  not_an_object",
        ])
    }

    @Test("an empty push and a push past the line limit are refused")
    func limits() {
        #expect(problems("\n\n").map(\.reason) == [.emptyRequest])
        let small = NDJSONLogDecoder(maxRequestLines: 2)
        #expect(throws: LogPushRefusal.self) {
            try small.decode(Array("{\"message\":\"a\"}\n{\"message\":\"b\"}\n{\"message\":\"c\"}".utf8), contentType: nil, app: "shop", receivedMillis: now)
        }
    }

    @Test("a line over the limit is cut at a character boundary and marked; U+0000 becomes U+FFFD")
    func cutAndNUL() throws {
        let limited = NDJSONLogDecoder(limits: LogLimits(maxLineBytes: 10))
        let decoded = try limited.decode(Array(#"{"message":"ééééééé"}"#.utf8), contentType: nil, app: "shop", receivedMillis: now)
        #expect(decoded.apps[0].lines[0].message == "ééééé …[cut: 4 more bytes]")
        #expect(decoded.cutLines == 1)
        let nul = try decode(#"{"message":"a\u0000b"}"#)
        #expect(nul[0].message == "a\u{FFFD}b")
    }

    @Test("an epoch-seconds timestamp out of the years 0001–9999 is refused")
    func timestampRange() {
        #expect(problems(#"{"message":"x","timestamp":1e20}"#).map(\.reason) == [.invalidTimestamp])
    }
}
