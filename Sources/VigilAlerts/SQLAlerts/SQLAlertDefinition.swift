import Foundation
import VigilCore
import VigilNotify

/// A SQL alert as written, in the Databricks Alerts V2 shape (`display_name`, `query_text`, `warehouse_id`,
/// `evaluation`, `schedule`, …), checked field by field, with what running it needs read out. Output fields a client
/// sends back (`id`, `create_time`, `evaluation.state`, …) are ignored; anything else unknown is refused by name.
public struct SQLAlertDefinition: Sendable {
    /// The input fields, as stored and answered.
    public var json: JSONValue
    public var displayName: String
    public var queryText: String
    public var condition: SQLAlertCondition
    public var cron: QuartzCron
    public var timeZone: TimeZone
    public var paused: Bool
    public var notifyOnOK: Bool
    public var retriggerSeconds: Int64
    /// Destination ids, and `email:<address>` for `user_email` subscriptions.
    public var subscriptions: [String]
    public var customSummary: String?

    static let topFields: Set = ["display_name", "query_text", "warehouse_id", "evaluation", "schedule", "custom_summary", "custom_description",
                                 "custom_template_format", "parent_path", "run_as", "run_as_user_name", "parameters"]
    static let outputFields: Set = ["id", "create_time", "update_time", "owner_user_name", "effective_run_as", "lifecycle_state"]
    static let evaluationFields: Set = ["source", "comparison_operator", "threshold", "empty_result_state", "notification"]
    static let evaluationOutputFields: Set = ["state", "last_evaluated_at"]

    public static func decode(_ value: JSONValue) throws -> SQLAlertDefinition {
        guard case .object(let members) = value else { throw VigilError(.invalidParameter, "the alert must be a JSON object") }
        var kept: [JSONMember] = []
        for member in members {
            if outputFields.contains(member.key) { continue }
            guard topFields.contains(member.key) else {
                throw VigilError(.invalidParameter, "unknown field '\(member.key.prefix(64))'; allowed: \(topFields.sorted().joined(separator: ", "))")
            }
            if member.value == .null { continue }
            kept.append(member)
        }
        func string(_ key: String, in object: JSONValue, path: String, required: Bool = false, maxBytes: Int = 4096) throws -> String? {
            guard let text = try object.string(member: key, path: path) else {
                if required { throw VigilError(.invalidParameter, "\(path)\(key) is required") }
                return nil
            }
            if required, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw VigilError(.invalidParameter, "\(path)\(key) cannot be blank") }
            guard text.utf8.count <= maxBytes else { throw VigilError(.invalidParameter, "\(path)\(key) is longer than \(maxBytes) bytes") }
            return text
        }
        let top = JSONValue.object(kept)
        let displayName = try string("display_name", in: top, path: "", required: true, maxBytes: 256)!
        let queryText = try string("query_text", in: top, path: "", required: true, maxBytes: 1 << 20)!
        _ = try string("warehouse_id", in: top, path: "", required: true, maxBytes: 256)
        let customSummary = try string("custom_summary", in: top, path: "")
        _ = try string("custom_description", in: top, path: "")
        _ = try string("parent_path", in: top, path: "")
        if let format = try string("custom_template_format", in: top, path: ""), !["HTML", "MARKDOWN"].contains(format) {
            throw VigilError(.invalidParameter, "custom_template_format must be HTML or MARKDOWN")
        }
        if case .array(let parameters)? = top["parameters"], !parameters.isEmpty {
            throw VigilError(.invalidParameter, "parameters are not supported by Vigil yet; write the values into query_text")
        }

        // evaluation
        guard case .object(let evaluationMembers)? = top["evaluation"] else { throw VigilError(.invalidParameter, "evaluation is required: an object") }
        var evaluationKept: [JSONMember] = []
        for member in evaluationMembers where !evaluationOutputFields.contains(member.key) {
            guard evaluationFields.contains(member.key) else {
                throw VigilError(.invalidParameter, "evaluation.\(member.key.prefix(64)) is not a field; allowed: \(evaluationFields.sorted().joined(separator: ", "))")
            }
            evaluationKept.append(member)
        }
        let evaluation = JSONValue.object(evaluationKept)
        func operand(_ value: JSONValue?, path: String) throws -> SQLAlertCondition.Operand {
            guard let value, case .object = value else { throw VigilError(.invalidParameter, "\(path) is required: {name, aggregation?}") }
            let name = try string("name", in: value, path: path + ".", required: true, maxBytes: 256)!
            var aggregation: SQLAlertCondition.Aggregation?
            if let text = try string("aggregation", in: value, path: path + ".") {
                guard let parsed = SQLAlertCondition.Aggregation(rawValue: text) else {
                    throw VigilError(.invalidParameter, "\(path).aggregation must be one of \(SQLAlertCondition.Aggregation.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                aggregation = parsed
            }
            return SQLAlertCondition.Operand(column: name, aggregation: aggregation)
        }
        let source = try operand(evaluation["source"], path: "evaluation.source")
        guard let operatorText = try string("comparison_operator", in: evaluation, path: "evaluation.", required: true),
              let comparison = SQLAlertCondition.Operator(rawValue: operatorText) else {
            throw VigilError(.invalidParameter, "evaluation.comparison_operator must be one of \(SQLAlertCondition.Operator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var threshold: SQLAlertCondition.Threshold?
        if let given = evaluation["threshold"], given != .null {
            let hasColumn = given["column"] != nil, hasValue = given["value"] != nil
            guard hasColumn != hasValue else { throw VigilError(.invalidParameter, "evaluation.threshold must hold exactly one of column and value") }
            if hasColumn {
                let column = try operand(given["column"], path: "evaluation.threshold.column")
                threshold = .column(name: column.column, aggregation: column.aggregation)
            } else if case .object(let kinds)? = given["value"], kinds.count == 1, let kind = kinds.first {
                switch (kind.key, kind.value) {
                case ("double_value", .number(let text)): threshold = .value(.double(Double(text) ?? 0))
                case ("string_value", .string(let text)): threshold = .value(.string(text))
                case ("bool_value", .bool(let flag)): threshold = .value(.bool(flag))
                default: throw VigilError(.invalidParameter, "evaluation.threshold.value.\(kind.key.prefix(32)) is not double_value (number), string_value (string) or bool_value (boolean)")
                }
            } else {
                throw VigilError(.invalidParameter, "evaluation.threshold.value must hold exactly one of double_value, string_value and bool_value")
            }
        }
        if comparison.needsThreshold, threshold == nil {
            throw VigilError(.invalidParameter, "evaluation.threshold is required for \(comparison.rawValue)")
        }
        var emptyState = SQLAlertState.ok
        if let text = try string("empty_result_state", in: evaluation, path: "evaluation.") {
            guard let state = SQLAlertState(rawValue: text) else {
                throw VigilError(.invalidParameter, "evaluation.empty_result_state must be OK, TRIGGERED or ERROR")
            }
            emptyState = state
        }
        var notifyOnOK = false
        var retrigger: Int64 = 0
        var subscriptions: [String] = []
        if let notification = evaluation["notification"], notification != .null {
            guard case .object(let fields) = notification else { throw VigilError(.invalidParameter, "evaluation.notification must be an object") }
            for field in fields where !["notify_on_ok", "retrigger_seconds", "subscriptions", "effective_notify_on_ok", "effective_retrigger_seconds"].contains(field.key) {
                throw VigilError(.invalidParameter, "evaluation.notification.\(field.key.prefix(64)) is not a field; allowed: notify_on_ok, retrigger_seconds, subscriptions")
            }
            switch notification["notify_on_ok"] {
            case nil, .null?: break
            case .bool(let flag)?: notifyOnOK = flag
            default: throw VigilError(.invalidParameter, "evaluation.notification.notify_on_ok must be true or false")
            }
            switch notification["retrigger_seconds"] {
            case nil, .null?: break
            case .number(let text)?:
                guard let seconds = Int64(text), seconds >= 0, seconds <= 31_536_000 else {
                    throw VigilError(.invalidParameter, "evaluation.notification.retrigger_seconds must be a whole number from 0 to 31536000 (a year)")
                }
                retrigger = seconds
            default: throw VigilError(.invalidParameter, "evaluation.notification.retrigger_seconds must be a whole number ≥ 0")
            }
            if case .array(let items)? = notification["subscriptions"] {
                guard items.count <= 100 else { throw VigilError(.invalidParameter, "evaluation.notification.subscriptions holds \(items.count); the most is 100") }
                for (index, item) in items.enumerated() {
                    let destination = try string("destination_id", in: item, path: "evaluation.notification.subscriptions[\(index)].", maxBytes: 128)
                    let email = try string("user_email", in: item, path: "evaluation.notification.subscriptions[\(index)].", maxBytes: 254)
                    switch (destination, email) {
                    case (let id?, nil): subscriptions.append(id)
                    case (nil, let address?):
                        guard EmailAddress.isValid(address) else {
                            throw VigilError(.invalidParameter, "evaluation.notification.subscriptions[\(index)].user_email is not an email address")
                        }
                        subscriptions.append("email:" + address)
                    default:
                        throw VigilError(.invalidParameter, "evaluation.notification.subscriptions[\(index)] must hold exactly one of destination_id and user_email")
                    }
                }
            } else if let other = notification["subscriptions"], other != .null {
                throw VigilError(.invalidParameter, "evaluation.notification.subscriptions must be an array")
            }
        }

        // schedule
        guard let schedule = top["schedule"], case .object = schedule else { throw VigilError(.invalidParameter, "schedule is required: {quartz_cron_schedule, timezone_id, pause_status}") }
        let cron = try QuartzCron(try string("quartz_cron_schedule", in: schedule, path: "schedule.", required: true, maxBytes: 256)!)
        let zoneName = try string("timezone_id", in: schedule, path: "schedule.", required: true, maxBytes: 64)!
        guard let timeZone = TimeZone(identifier: zoneName) else {
            throw VigilError(.invalidParameter, "schedule.timezone_id '\(zoneName.prefix(64))' is not a time zone (use a name like UTC or Europe/Berlin)")
        }
        var paused = false
        if let status = try string("pause_status", in: schedule, path: "schedule.") {
            guard status == "PAUSED" || status == "UNPAUSED" else { throw VigilError(.invalidParameter, "schedule.pause_status must be PAUSED or UNPAUSED") }
            paused = status == "PAUSED"
        }
        var normalized = kept.filter { $0.key != "evaluation" }
        normalized.append(JSONMember("evaluation", evaluation))
        return SQLAlertDefinition(json: .object(normalized), displayName: displayName, queryText: queryText,
                                  condition: SQLAlertCondition(source: source, comparison: comparison, threshold: threshold, emptyResultState: emptyState),
                                  cron: cron, timeZone: timeZone, paused: paused, notifyOnOK: notifyOnOK, retriggerSeconds: retrigger,
                                  subscriptions: subscriptions, customSummary: customSummary)
    }

    /// `update_mask`: each listed path (`display_name`, `evaluation.threshold`, `schedule.pause_status`, …) takes
    /// the body's value, or is removed when the body lacks it; `*` replaces everything.
    public static func merge(_ stored: JSONValue, _ body: JSONValue, mask: String) throws -> JSONValue {
        let paths = mask.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !paths.isEmpty else { throw VigilError(.invalidParameter, "update_mask is required: the fields to change, e.g. display_name,evaluation.threshold (or *)") }
        if paths.contains("*") { return body }
        var result = stored
        for path in paths {
            let keys = path.split(separator: ".").map(String.init)
            guard let first = keys.first, topFields.contains(first), keys.count <= 4 else {
                throw VigilError(.invalidParameter, "update_mask names '\(path.prefix(64))', which is not a field of the alert")
            }
            var value: JSONValue? = body
            for key in keys { value = value?[key] }
            result = set(result, keys[...], to: value)
        }
        return result
    }

    static func set(_ object: JSONValue, _ keys: ArraySlice<String>, to value: JSONValue?) -> JSONValue {
        guard let key = keys.first else { return value ?? .null }
        var members: [JSONMember] = []
        if case .object(let existing) = object { members = existing }
        let child = members.first { $0.key == key }?.value ?? .object([])
        members.removeAll { $0.key == key }
        if keys.count == 1 {
            if let value { members.append(JSONMember(key, value)) }
        } else {
            members.append(JSONMember(key, set(child, keys.dropFirst(), to: value)))
        }
        return .object(members)
    }
}
