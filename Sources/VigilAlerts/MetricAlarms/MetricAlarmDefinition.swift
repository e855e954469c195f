import Foundation
import VigilCore

/// A threshold alarm on a metric, modelled on CloudWatch's PutMetricAlarm (snake_case): a statistic of
/// `node_timeline` samples or a count of audit events per period, compared with a threshold, M out of N periods,
/// with CloudWatch's missing-data handling, or a statistic of one of Vigil's own `/metrics` series (`vigil_metrics`).
/// An alarm on `audit_events` with `SampleCount < 1` and `treat_missing_data: breaching` is "no data from this source
/// for N periods": a dead agent or a silent producer.
public struct MetricAlarmDefinition: Sendable, Equatable {
    public enum Source: String, Sendable, CaseIterable {
        case nodeTimeline = "node_timeline", auditEvents = "audit_events", vigilMetrics = "vigil_metrics"
    }
    public enum Statistic: String, Sendable, CaseIterable { case sampleCount = "SampleCount", average = "Average", sum = "Sum", minimum = "Minimum", maximum = "Maximum" }
    public enum Comparison: String, Sendable, CaseIterable {
        case greaterThanOrEqual = "GreaterThanOrEqualToThreshold", greaterThan = "GreaterThanThreshold"
        case lessThan = "LessThanThreshold", lessThanOrEqual = "LessThanOrEqualToThreshold"

        public func breaches(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .greaterThanOrEqual: value >= threshold
            case .greaterThan: value > threshold
            case .lessThan: value < threshold
            case .lessThanOrEqual: value <= threshold
            }
        }

        var words: String {
            switch self {
            case .greaterThanOrEqual: "greater than or equal to"
            case .greaterThan: "greater than"
            case .lessThan: "less than"
            case .lessThanOrEqual: "less than or equal to"
            }
        }
    }

    public var name: String
    public var description: String?
    public var source: Source
    /// The `node_timeline` column (none for `audit_events`, which counts events).
    public var column: String?
    /// The `/metrics` series name, for `vigil_metrics`.
    public var metricName: String?
    public var statistic: Statistic
    /// Equality filters on the source's columns.
    public var filter: [(String, String)]
    public var periodSeconds: Int
    public var evaluator: AlarmEvaluator
    public var comparison: Comparison
    public var threshold: Double
    public var level: String
    public var notify: [String]

    public static func == (a: Self, b: Self) -> Bool { a.json == b.json }

    /// `node_timeline` columns an alarm may watch, and the filters each source takes (`system.access.audit` names).
    public static let columns = ["cpu_user_percent", "cpu_system_percent", "cpu_wait_percent", "mem_used_percent", "mem_swap_percent",
                                 "network_sent_bytes", "network_received_bytes"]
    public static let filters: [Source: [String: String]] = [
        .nodeTimeline: ["cluster_id": "cluster_id", "instance_id": "instance_id", "workspace_id": "workspace_id"],
        .auditEvents: ["service_name": "service_name", "action_name": "action_name", "workspace_id": "workspace_id",
                       "source_ip_address": "source_ip_address", "user_identity.email": "user_email"],
    ]
    static let levels = ["informational", "low", "medium", "high", "critical"]

    public static func decode(_ value: JSONValue, minimumPeriodSeconds: Int = 10) throws -> MetricAlarmDefinition {
        guard case .object(let members) = value else { throw VigilError(.invalidParameter, "the alarm must be a JSON object") }
        let allowed: Set = ["alarm_name", "alarm_description", "metric", "period_seconds", "evaluation_periods", "datapoints_to_alarm",
                            "comparison_operator", "threshold", "treat_missing_data", "level", "notify", "state", "state_reason", "state_updated_time"]
        if let unknown = members.first(where: { !allowed.contains($0.key) }) {
            throw VigilError(.invalidParameter, "unknown field '\(unknown.key.prefix(64))'; allowed: \(allowed.subtracting(["state", "state_reason", "state_updated_time"]).sorted().joined(separator: ", "))")
        }
        func string(_ key: String, in object: JSONValue, path: String = "") throws -> String? {
            try object.string(member: key, path: path)
        }
        func integer(_ key: String, default fallback: Int? = nil) throws -> Int {
            switch value[key] {
            case nil, .null?:
                guard let fallback else { throw VigilError(.invalidParameter, "\(key) is required") }
                return fallback
            case .number(let text)?:
                guard let number = Int(text) else { throw VigilError(.invalidParameter, "\(key) must be a whole number") }
                return number
            default: throw VigilError(.invalidParameter, "\(key) must be a whole number")
            }
        }
        guard let name = try string("alarm_name", in: value), !name.isEmpty, name.utf8.count <= 255,
              name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "/" }) else {
            throw VigilError(.invalidParameter, "alarm_name is required: 1 to 255 bytes, no control characters or '/'")
        }
        guard case .object(let metricMembers)? = value["metric"] else { throw VigilError(.invalidParameter, "metric is required: {source, statistic, column?, name?, filter?}") }
        let metric = JSONValue.object(metricMembers)
        for member in metricMembers where !["source", "statistic", "column", "name", "filter"].contains(member.key) {
            throw VigilError(.invalidParameter, "metric.\(member.key.prefix(64)) is not a field; allowed: column, filter, name, source, statistic")
        }
        guard let sourceText = try string("source", in: metric, path: "metric."), let source = Source(rawValue: sourceText) else {
            throw VigilError(.invalidParameter, "metric.source must be node_timeline, audit_events or vigil_metrics")
        }
        guard let statisticText = try string("statistic", in: metric, path: "metric."), let statistic = Statistic(rawValue: statisticText) else {
            throw VigilError(.invalidParameter, "metric.statistic must be one of \(Statistic.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let column = try string("column", in: metric, path: "metric.")
        let metricName = try string("name", in: metric, path: "metric.")
        if source != .vigilMetrics, metricName != nil {
            throw VigilError(.invalidParameter, "metric.name is for vigil_metrics; \(source.rawValue) takes \(source == .nodeTimeline ? "column" : "no name")")
        }
        switch source {
        case .nodeTimeline:
            guard let column, columns.contains(column) else {
                throw VigilError(.invalidParameter, "metric.column must be one of \(columns.joined(separator: ", ")) for node_timeline")
            }
        case .auditEvents:
            guard column == nil, statistic == .sampleCount else {
                throw VigilError(.invalidParameter, "an audit_events metric counts events: statistic SampleCount and no column")
            }
        case .vigilMetrics:
            guard let metricName, MetricName.isValid(metricName), metricName.utf8.count <= 200 else {
                throw VigilError(.invalidParameter, "metric.name is required for vigil_metrics: a /metrics series name such as vigil_sequencer_queue_events")
            }
            guard column == nil else { throw VigilError(.invalidParameter, "metric.column is for node_timeline; vigil_metrics takes name") }
        }
        var filter: [(String, String)] = []
        if let given = metric["filter"], given != .null {
            guard case .object(let pairs) = given else { throw VigilError(.invalidParameter, "metric.filter must be an object of column: value") }
            for pair in pairs {
                if source == .vigilMetrics {
                    guard MetricName.isValid(pair.key), !pair.key.contains(":"), pair.key.utf8.count <= 100 else {
                        throw VigilError(.invalidParameter, "metric.filter.\(pair.key.prefix(64)) is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)")
                    }
                } else if filters[source]?[pair.key] == nil {
                    throw VigilError(.invalidParameter, "metric.filter.\(pair.key.prefix(64)) is not a filter of \(source.rawValue); allowed: \(filters[source]!.keys.sorted().joined(separator: ", "))")
                }
                guard case .string(let text) = pair.value else { throw VigilError(.invalidParameter, "metric.filter.\(pair.key) must be a string") }
                filter.append((pair.key, text))
            }
        }
        let period = try integer("period_seconds")
        guard period >= minimumPeriodSeconds, period <= 86_400, period < 60 ? ([10, 30].contains(period) || minimumPeriodSeconds < 10) : period % 60 == 0 else {
            throw VigilError(.invalidParameter, "period_seconds must be 10, 30 or a multiple of 60 (at most 86400), as CloudWatch's")
        }
        let periods = try integer("evaluation_periods")
        guard periods >= 1, periods <= 86_400 / period else {
            throw VigilError(.invalidParameter, "evaluation_periods must be at least 1, and evaluation_periods × period_seconds at most one day")
        }
        let datapoints = try integer("datapoints_to_alarm", default: periods)
        guard (1...periods).contains(datapoints) else { throw VigilError(.invalidParameter, "datapoints_to_alarm must be from 1 to evaluation_periods (\(periods))") }
        guard let comparisonText = try string("comparison_operator", in: value), let comparison = Comparison(rawValue: comparisonText) else {
            throw VigilError(.invalidParameter, "comparison_operator must be one of \(Comparison.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .number(let thresholdText)? = value["threshold"], let threshold = Double(thresholdText) else {
            throw VigilError(.invalidParameter, "threshold is required: a number")
        }
        var missing = AlarmEvaluator.TreatMissingData.missing
        if let text = try string("treat_missing_data", in: value) {
            guard let parsed = AlarmEvaluator.TreatMissingData(rawValue: text) else {
                throw VigilError(.invalidParameter, "treat_missing_data must be missing, ignore, breaching or notBreaching")
            }
            missing = parsed
        }
        let level = try string("level", in: value) ?? "high"
        guard levels.contains(level) else { throw VigilError(.invalidParameter, "level must be one of \(levels.joined(separator: ", "))") }
        var notify: [String] = []
        if case .array(let items)? = value["notify"] {
            notify = try items.map { item in
                guard case .string(let reference) = item, !reference.isEmpty else { throw VigilError(.invalidParameter, "notify must be an array of destination ids or names") }
                return reference
            }
        } else if let other = value["notify"], other != .null {
            throw VigilError(.invalidParameter, "notify must be an array of destination ids or names")
        }
        return MetricAlarmDefinition(
            name: name, description: try string("alarm_description", in: value), source: source, column: column, metricName: metricName, statistic: statistic,
            filter: filter, periodSeconds: period,
            evaluator: AlarmEvaluator(evaluationPeriods: periods, datapointsToAlarm: datapoints, treatMissingData: missing),
            comparison: comparison, threshold: threshold, level: level, notify: notify)
    }

    public var json: JSONValue {
        var metric = [JSONMember("source", .string(source.rawValue)), JSONMember("statistic", .string(statistic.rawValue))]
        if let column { metric.append(JSONMember("column", .string(column))) }
        if let metricName { metric.append(JSONMember("name", .string(metricName))) }
        if !filter.isEmpty { metric.append(JSONMember("filter", .object(filter.map { JSONMember($0.0, .string($0.1)) }))) }
        var members = [JSONMember("alarm_name", .string(name))]
        if let description { members.append(JSONMember("alarm_description", .string(description))) }
        members += [
            JSONMember("metric", .object(metric)), JSONMember("period_seconds", .number(String(periodSeconds))),
            JSONMember("evaluation_periods", .number(String(evaluator.evaluationPeriods))),
            JSONMember("datapoints_to_alarm", .number(String(evaluator.datapointsToAlarm))),
            JSONMember("comparison_operator", .string(comparison.rawValue)), JSONMember("threshold", .number(Self.format(threshold))),
            JSONMember("treat_missing_data", .string(evaluator.treatMissingData.rawValue)), JSONMember("level", .string(level)),
            JSONMember("notify", .array(notify.map(JSONValue.string))),
        ]
        return .object(members)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// CloudWatch's state reason: "Threshold Crossed: 2 out of the last 3 datapoints [95.0 (…), …] were greater than
    /// the threshold (90.0)".
    public func reason(_ state: AlarmEvaluator.State, values: [(Int64, Double?)]) -> String {
        let real = values.filter { $0.1 != nil }
        guard !real.isEmpty else { return "No datapoints in the last \(values.count) periods (treat_missing_data: \(evaluator.treatMissingData.rawValue))" }
        let newest = real.suffix(evaluator.evaluationPeriods)
        let breaching = newest.filter { comparison.breaches($0.1!, threshold) }.count
        let shown = newest.reversed().map { "\(Self.format($0.1!)) (\(Timestamp.formatRFC3339(millis: $0.0)))" }.joined(separator: ", ")
        return "Threshold Crossed: \(breaching) out of the last \(newest.count) datapoints [\(shown)] were \(state == .alarm ? "" : "not ")\(comparison.words) the threshold (\(Self.format(threshold)))"
    }
}
