import Testing
import VigilCore
@testable import VigilLogs

@Suite("Loki push (JSON)")
struct LokiPushDecoderTests {
    func decode(_ text: String) throws(LogPushRefusal) -> DecodedLogs {
        try LokiPushDecoder().decode(Array(text.utf8))
    }

    @Test("streams as Promtail and Alloy send them: the app label names the app, other labels and metadata become fields")
    func shippersShape() throws {
        let decoded = try decode("""
            {"streams":[
              {"stream":{"app":"shop","host":"node-1","level":"info","stream":"stderr","filename":"/var/log/shop.log"},
               "values":[["1796169600000000000","first line"],["1796169601500000000","{\\"user\\":\\"alice\\"}",{"trace_id":"0af7651916cd43dd"}]]},
              {"stream":{"app":"billing"},"values":[["1796169602000000000","billing line"]]}
            ]}
            """)
        #expect(decoded.apps.map(\.app) == ["shop", "billing"])
        let shop = decoded.apps[0].lines
        #expect(shop[0] == LogLine(timestampMillis: 1_796_169_600_000, source: .app, stream: .stderr, level: "INFO", message: "first line",
                                   fieldsJSON: #"{"host":"node-1","filename":"/var/log/shop.log"}"#))
        #expect(shop[1].timestampMillis == 1_796_169_601_500)
        #expect(shop[1].fieldsJSON == #"{"user":"alice","host":"node-1","filename":"/var/log/shop.log","trace_id":"0af7651916cd43dd"}"#)
        #expect(decoded.apps[1].lines.map(\.message) == ["billing line"])
    }

    @Test("a stream without the app label, a bad timestamp and a non-string line are each reported")
    func problems() {
        do {
            _ = try decode("""
                {"streams":[{"stream":{"host":"x"},"values":[["1","a"]]},
                            {"stream":{"app":"shop"},"values":[["soon","b"],["1",2],["1"]]}]}
                """)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map { "\($0.index) \($0.field) \($0.reason.rawValue)" } == [
                "0 streams[0].stream.app missing_app", "1 streams[1].values[0][0] invalid_timestamp",
                "2 streams[1].values[1][1] missing_message", "3 streams[1].values[2] wrong_type",
            ])
        }
    }

    @Test("a body that is not a push is refused as a whole")
    func notAPush() {
        #expect(throws: LogPushRefusal.self) { try decode("{}") }
        #expect(throws: LogPushRefusal.self) { try decode("not json") }
        #expect(throws: LogPushRefusal.self) { try decode(#"{"streams":[]}"#) }
    }
}
