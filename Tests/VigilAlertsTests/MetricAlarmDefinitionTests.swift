import Foundation
import Testing
import VigilCore
@testable import VigilAlerts

/// Metric alarm definitions: CloudWatch's limits, each refusal by field, and the state reason people read.
struct MetricAlarmDefinitionTests {
    static let good = """
        {"alarm_name":"etl-cpu","metric":{"source":"node_timeline","column":"cpu_user_percent","statistic":"Average","filter":{"cluster_id":"c1"}},
         "period_seconds":60,"evaluation_periods":5,"datapoints_to_alarm":3,"comparison_operator":"GreaterThanThreshold","threshold":90,
         "treat_missing_data":"notBreaching","level":"critical","notify":["oncall"]}
        """

    func reason(_ text: String, minimum: Int = 10) -> String {
        do {
            _ = try MetricAlarmDefinition.decode(try JSONParser.parse(text), minimumPeriodSeconds: minimum)
            return "accepted"
        } catch {
            return (error as? VigilError)?.message ?? "\(error)"
        }
    }

    func replacing(_ old: String, _ new: String) -> String { Self.good.replacingOccurrences(of: old, with: new) }

    @Test("a full alarm round-trips; datapoints_to_alarm defaults to evaluation_periods")
    func decode() throws {
        let alarm = try MetricAlarmDefinition.decode(try JSONParser.parse(Self.good))
        #expect(alarm.evaluator == AlarmEvaluator(evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: .notBreaching))
        #expect(try MetricAlarmDefinition.decode(alarm.json) == alarm)
        let defaulted = try MetricAlarmDefinition.decode(try JSONParser.parse(replacing(#""datapoints_to_alarm":3,"#, "")))
        #expect(defaulted.evaluator.datapointsToAlarm == 5)
        #expect(defaulted.comparison.breaches(90.5, 90) && !defaulted.comparison.breaches(90, 90))
    }

    @Test("refusals name the field and the reason")
    func refusals() {
        #expect(reason(replacing(#""alarm_name":"etl-cpu","#, "")).contains("alarm_name is required"))
        #expect(reason(replacing(#""alarm_name":"etl-cpu""#, #""alarm_name":"a/b""#)).contains("no control characters or '/'"))
        #expect(reason(replacing(#""source":"node_timeline""#, #""source":"prometheus""#)).contains("metric.source must be node_timeline, audit_events or vigil_metrics"))
        #expect(reason(replacing(#""column":"cpu_user_percent""#, #""column":"disk""#)).contains("metric.column must be one of"))
        #expect(reason(replacing("Average", "p99")).contains("metric.statistic must be one of"))
        #expect(reason(replacing(#""cluster_id":"c1""#, #""host":"c1""#)).contains("metric.filter.host is not a filter of node_timeline"))
        #expect(reason(#"{"alarm_name":"a","metric":{"source":"audit_events","statistic":"Average"},"period_seconds":60,"evaluation_periods":1,"comparison_operator":"LessThanThreshold","threshold":1}"#)
                .contains("an audit_events metric counts events"))
        #expect(reason(replacing(#""period_seconds":60"#, #""period_seconds":20"#)).contains("period_seconds must be 10, 30 or a multiple of 60"))
        #expect(reason(replacing(#""period_seconds":60"#, #""period_seconds":90"#)).contains("period_seconds"))
        #expect(reason(replacing(#""period_seconds":60"#, #""period_seconds":1"#), minimum: 1) == "accepted")
        #expect(reason(replacing(#""evaluation_periods":5"#, #""evaluation_periods":1441"#)).contains("at most one day"))
        #expect(reason(replacing(#""evaluation_periods":5"#, #""evaluation_periods":9223372036854775807"#)).contains("at most one day"), "no overflow")
        #expect(reason(replacing(#""datapoints_to_alarm":3"#, #""datapoints_to_alarm":6"#)).contains("datapoints_to_alarm must be from 1 to evaluation_periods (5)"))
        #expect(reason(replacing("GreaterThanThreshold", "Above")).contains("comparison_operator must be one of"))
        #expect(reason(replacing(#""threshold":90"#, #""threshold":"90""#)).contains("threshold is required: a number"))
        #expect(reason(replacing("notBreaching", "sometimes")).contains("treat_missing_data must be"))
        #expect(reason(replacing("critical", "urgent")).contains("level must be one of"))
        #expect(reason(replacing(#""notify":["oncall"]"#, #""notify":"oncall""#)).contains("notify must be an array"))
        #expect(reason(replacing(#""level":"critical","#, #""level":"critical","actions":[],"#)).contains("unknown field 'actions'"))
    }

    static let own = """
        {"alarm_name":"backlog","metric":{"source":"vigil_metrics","name":"vigil_notification_outbox","statistic":"Maximum","filter":{"state":"pending"}},
         "period_seconds":60,"evaluation_periods":3,"comparison_operator":"GreaterThanThreshold","threshold":100}
        """

    @Test("vigil_metrics: a /metrics series by name, any statistic, label filters; each misuse refused by field")
    func ownMetrics() throws {
        let alarm = try MetricAlarmDefinition.decode(try JSONParser.parse(Self.own))
        #expect(alarm.source == .vigilMetrics)
        #expect(alarm.metricName == "vigil_notification_outbox")
        #expect(alarm.filter.map { "\($0.0)=\($0.1)" } == ["state=pending"])
        #expect(try MetricAlarmDefinition.decode(alarm.json) == alarm)
        func own(_ old: String, _ new: String) -> String { reason(Self.own.replacingOccurrences(of: old, with: new)) }
        #expect(own(#""name":"vigil_notification_outbox","#, "").contains("metric.name is required for vigil_metrics"))
        #expect(own("vigil_notification_outbox", "vigil-outbox").contains("metric.name is required for vigil_metrics"))
        #expect(own(#""name":"vigil_notification_outbox""#, #""name":"vigil_notification_outbox","column":"x""#).contains("metric.column is for node_timeline"))
        #expect(own(#""state":"pending""#, #""state.x":"pending""#).contains("metric.filter.state.x is not a label name"))
        #expect(reason(replacing(#""column":"cpu_user_percent""#, #""column":"cpu_user_percent","name":"x""#)).contains("metric.name is for vigil_metrics"))
    }

    @Test("the state reason: how many of the newest datapoints crossed, newest first, or that there were none")
    func stateReason() throws {
        let alarm = try MetricAlarmDefinition.decode(try JSONParser.parse(Self.good))
        let values: [(Int64, Double?)] = [(0, 10), (60_000, nil), (120_000, 95), (180_000, 99.5), (240_000, 50), (300_000, 91), (360_000, nil)]
        #expect(alarm.reason(.alarm, values: values)
                == "Threshold Crossed: 3 out of the last 5 datapoints [91 (1970-01-01T00:05:00.000Z), 50 (1970-01-01T00:04:00.000Z), 99.5 (1970-01-01T00:03:00.000Z), 95 (1970-01-01T00:02:00.000Z), 10 (1970-01-01T00:00:00.000Z)] were greater than the threshold (90)")
        #expect(alarm.reason(.ok, values: [(0, nil), (60_000, nil)]) == "No datapoints in the last 2 periods (treat_missing_data: notBreaching)")
    }
}

/// The starter pack's metric alarm template loads, and raises the alarm when its source is silent.
struct SourceSilentTemplateTests {
    @Test("rules/metric-alarms/source-silent.json: a silent evaluation range alarms, events again are OK")
    func template() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("rules/metric-alarms/source-silent.json").path
        let alarm = try MetricAlarmDefinition.decode(try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8)))
        #expect(alarm.source == .auditEvents && alarm.filter.first?.1 == "nightly-export")
        let breaches = { (counts: [Double?]) in counts.map { $0.map { alarm.comparison.breaches($0, alarm.threshold) } } }
        #expect(alarm.evaluator.next(breaches([nil, nil, nil, nil, nil]), current: .ok) == .alarm, "nothing at all")
        // As in CloudWatch, real points still in the range count (filled as few times as possible): silence alarms once
        // the whole range (five periods) is empty.
        #expect(alarm.evaluator.next(breaches([4, nil, nil, nil, nil]), current: .ok) == .ok)
        #expect(alarm.evaluator.next(breaches([nil, nil, 1, 1, 3]), current: .alarm) == .ok)
        #expect(alarm.evaluator.next(breaches([3, 1, 2, nil, nil]), current: .ok) == .ok, "two quiet periods are not yet three")
    }
}
