import Testing
import VigilCore
@testable import VigilNotify

/// Alertmanager's silence semantics: every matcher must match, regexes match whole values, a missing label is the
/// empty string; and each refusal of a silence says why.
struct SilenceTests {
    static let labels = [AlertNotice.Label("alertname", "brute-force"), AlertNotice.Label("severity", "high"),
                         AlertNotice.Label("source_ip_address", "10.1.2.3")]

    @Test("matchers: =, !=, =~ anchored at both ends, !~, and missing labels")
    func matchers() throws {
        #expect(try Silence.Matcher.parse("alertname=brute-force").matches(Self.labels))
        #expect(!(try Silence.Matcher.parse("alertname=brute").matches(Self.labels)))
        #expect(try Silence.Matcher.parse("severity!=low").matches(Self.labels))
        #expect(try Silence.Matcher.parse(#"source_ip_address=~10\..*"#).matches(Self.labels))
        #expect(!(try Silence.Matcher.parse("source_ip_address=~10").matches(Self.labels)), "a regex matches the whole value")
        #expect(!(try Silence.Matcher.parse(#"source_ip_address!~10\..*"#).matches(Self.labels)))
        #expect(try Silence.Matcher.parse("team=").matches(Self.labels), "a missing label is the empty string")
        #expect(!(try Silence.Matcher.parse("team=ops").matches(Self.labels)))
        #expect(try Silence.Matcher.parse("alertname=~brute-.*").text == "alertname=~brute-.*")
        for bad in ["nothing", "1bad=x", "a.b=x", "x=~(", "=x"] {
            #expect(throws: VigilError.self, "\(bad)") { try Silence.Matcher.parse(bad) }
        }
    }

    @Test("a silence needs all its matchers, and is pending, active, then expired")
    func silence() {
        let silence = Silence(id: "s", matchers: [.init(name: "alertname", value: "brute-force"), .init(name: "severity", value: "low")],
                              startsMillis: 1000, endsMillis: 2000, comment: "c", createdBy: "a", createdMillis: 0)
        #expect(!silence.matches(Self.labels))
        #expect(Silence(id: "s", matchers: [.init(name: "alertname", value: "brute-force")], startsMillis: 0, endsMillis: 1, comment: "",
                        createdBy: "", createdMillis: 0).matches(Self.labels))
        #expect([999, 1000, 1999, 2000].map { silence.status(at: $0) } == [.pending, .active, .active, .expired])
    }

    func refusal(_ json: String) -> String {
        do {
            _ = try Silence.decode(try JSONParser.parse(json), id: "s", createdBy: "admin", now: 1_700_000_000_000)
            return "accepted"
        } catch {
            return (error as? VigilError)?.message ?? "\(error)"
        }
    }

    @Test("the postable silence: each refusal names its field")
    func decode() throws {
        let good = #"{"matchers":[{"name":"alertname","value":"x","isRegex":false}],"endsAt":"2030-01-01T00:00:00Z","comment":"maintenance"}"#
        let silence = try Silence.decode(try JSONParser.parse(good), id: "s", createdBy: "admin", now: 1_700_000_000_000)
        #expect(silence.startsMillis == 1_700_000_000_000)
        #expect(silence.createdBy == "admin")
        #expect(refusal(#"{"endsAt":"2030-01-01T00:00:00Z","comment":"c"}"#).contains("matchers is required"))
        #expect(refusal(#"{"matchers":[],"endsAt":"2030-01-01T00:00:00Z","comment":"c"}"#).contains("matchers is required"))
        #expect(refusal(#"{"matchers":[{"name":"a"}],"endsAt":"2030-01-01T00:00:00Z","comment":"c"}"#).contains("matchers[0] needs a string name and value"))
        #expect(refusal(#"{"matchers":[{"name":"a","value":"(","isRegex":true}],"endsAt":"2030-01-01T00:00:00Z","comment":"c"}"#).contains("not a valid regular expression"))
        #expect(refusal(#"{"matchers":[{"name":"a","value":"x","isEqual":"no"}],"endsAt":"2030-01-01T00:00:00Z","comment":"c"}"#).contains("matchers[0].isEqual must be true or false"))
        #expect(refusal(#"{"matchers":[{"name":"a","value":"x"}],"comment":"c"}"#).contains("endsAt is required"))
        #expect(refusal(#"{"matchers":[{"name":"a","value":"x"}],"endsAt":"2020-01-01T00:00:00Z","comment":"c"}"#).contains("in the future"))
        #expect(refusal(#"{"matchers":[{"name":"a","value":"x"}],"endsAt":"soon","comment":"c"}"#).contains("endsAt must be an RFC 3339 time"))
        #expect(refusal(#"{"matchers":[{"name":"a","value":"x"}],"endsAt":"2030-01-01T00:00:00Z","comment":" "}"#).contains("comment is required"))
        #expect(refusal(#"{"matchers":[{"name":"a","value":"x"}],"endsAt":"2030-01-01T00:00:00Z","comment":"c","x":1}"#).contains("unknown field 'x'"))
    }
}
