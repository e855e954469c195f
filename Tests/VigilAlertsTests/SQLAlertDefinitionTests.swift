import Testing
import VigilCore
@testable import VigilAlerts

/// Reading an Alerts V2 body: what is kept, what is ignored (output fields), what is refused and why; update masks.
struct SQLAlertDefinitionTests {
    static let good = """
        {"display_name":"secret reads","query_text":"SELECT count(*) AS c FROM system.access.audit","warehouse_id":"w",
         "evaluation":{"source":{"name":"c"},"comparison_operator":"GREATER_THAN","threshold":{"value":{"double_value":10}},
                       "empty_result_state":"OK","state":"TRIGGERED",
                       "notification":{"notify_on_ok":true,"retrigger_seconds":3600,"subscriptions":[{"destination_id":"d1"},{"user_email":"a@b.co"}]}},
         "schedule":{"quartz_cron_schedule":"0 0/5 * * * ?","timezone_id":"UTC","pause_status":"UNPAUSED"},
         "id":"ignored","lifecycle_state":"ACTIVE"}
        """

    func reason(_ text: String) -> String {
        do {
            _ = try SQLAlertDefinition.decode(try JSONParser.parse(text))
            return "accepted"
        } catch {
            return (error as? VigilError)?.message ?? "\(error)"
        }
    }

    func replacing(_ old: String, _ new: String) -> String { Self.good.replacingOccurrences(of: old, with: new) }

    @Test("a full alert: condition, schedule, notification; output fields ignored")
    func decode() throws {
        let definition = try SQLAlertDefinition.decode(try JSONParser.parse(Self.good))
        #expect(definition.condition == SQLAlertCondition(source: .init(column: "c"), comparison: .greaterThan, threshold: .value(.double(10))))
        #expect(definition.subscriptions == ["d1", "email:a@b.co"])
        #expect(definition.notifyOnOK && definition.retriggerSeconds == 3600 && !definition.paused)
        #expect(definition.json["id"] == nil)
        #expect(definition.json["evaluation"]?["state"] == nil)
    }

    @Test("refusals name the field and the reason")
    func refusals() {
        #expect(reason(replacing(#""display_name":"secret reads","#, "")).contains("display_name is required"))
        #expect(reason(replacing(#""query_text":"SELECT count(*) AS c FROM system.access.audit","#, #""query_text":"  ","#)).contains("query_text cannot be blank"))
        #expect(reason(replacing(#""warehouse_id":"w","#, "")).contains("warehouse_id is required"))
        #expect(reason(replacing(#""warehouse_id":"w","#, #""warehouse_id":"w","color":"red","#)).contains("unknown field 'color'"))
        #expect(reason(replacing("GREATER_THAN", "BIGGER")).contains("evaluation.comparison_operator must be one of"))
        #expect(reason(replacing(#","threshold":{"value":{"double_value":10}}"#, "")).contains("evaluation.threshold is required for GREATER_THAN"))
        #expect(reason(replacing(#"{"double_value":10}"#, #"{"double_value":10,"string_value":"x"}"#)).contains("exactly one of double_value"))
        #expect(reason(replacing(#"{"double_value":10}"#, #"{"double_value":"10"}"#)).contains("double_value (number)"))
        #expect(reason(replacing(#""source":{"name":"c"}"#, #""source":{"name":"c","aggregation":"P99"}"#)).contains("evaluation.source.aggregation must be one of"))
        #expect(reason(replacing(#""empty_result_state":"OK""#, #""empty_result_state":"MAYBE""#)).contains("empty_result_state"))
        #expect(reason(replacing("3600", "-1")).contains("retrigger_seconds must be a whole number"))
        #expect(reason(replacing("3600", "9223372036854775807")).contains("(a year)"), "no overflow later")
        #expect(reason(replacing(#"{"user_email":"a@b.co"}"#, #"{"user_email":"nope"}"#)).contains("subscriptions[1].user_email is not an email address"))
        #expect(reason(replacing(#"{"destination_id":"d1"}"#, #"{"destination_id":"d1","user_email":"a@b.co"}"#)).contains("subscriptions[0] must hold exactly one"))
        #expect(reason(replacing("0 0/5 * * * ?", "every 5 minutes")).contains("quartz_cron_schedule"))
        #expect(reason(replacing(#""timezone_id":"UTC""#, #""timezone_id":"Mars/Olympus""#)).contains("is not a time zone"))
        #expect(reason(replacing("UNPAUSED", "SLEEPING")).contains("pause_status must be PAUSED or UNPAUSED"))
        #expect(reason(replacing(#""warehouse_id":"w","#, #""warehouse_id":"w","parameters":[{"name":"x"}],"#)).contains("parameters are not supported"))
    }

    @Test("update_mask: the listed paths take the body's values, or go when it lacks them; * replaces all")
    func merge() throws {
        let stored = try JSONParser.parse(#"{"display_name":"a","evaluation":{"threshold":{"value":{"double_value":1}},"comparison_operator":"EQUAL"},"schedule":{"pause_status":"UNPAUSED"}}"#)
        let body = try JSONParser.parse(#"{"display_name":"b","evaluation":{"threshold":{"value":{"double_value":2}}},"schedule":{}}"#)
        let merged = try SQLAlertDefinition.merge(stored, body, mask: "evaluation.threshold,schedule.pause_status")
        #expect(merged["display_name"] == .string("a"))
        #expect(merged["evaluation"]?["threshold"]?["value"]?["double_value"] == .number("2"))
        #expect(merged["evaluation"]?["comparison_operator"] == .string("EQUAL"))
        #expect(merged["schedule"]?["pause_status"] == nil)
        #expect(try SQLAlertDefinition.merge(stored, body, mask: "*") == body)
        #expect(throws: VigilError.self) { try SQLAlertDefinition.merge(stored, body, mask: "") }
        #expect(throws: VigilError.self) { try SQLAlertDefinition.merge(stored, body, mask: "owner") }
    }
}
