import Yams

extension RuleReader {
    mutating func correlation(_ node: Node, generate generateNode: Node?) -> SigmaCorrelation? {
        guard let keys = members(node, "correlation") else { return nil }
        let value = { (name: String) in keys.first { $0.key == name }?.value }
        for (key, keyNode, _) in keys where !["type", "rules", "group-by", "timespan", "condition", "field", "generate", "aliases"].contains(key) {
            fail(keyNode, "correlation.\(key)", "is not a correlation key (type, rules, group-by, timespan, condition, field, generate)")
        }
        if let aliases = value("aliases") { fail(aliases, "correlation.aliases", "is not supported by Vigil: correlate rules whose events share the group-by field names") }
        var kind: SigmaCorrelation.Kind?
        if let node = value("type"), let name = text(node, "correlation.type") {
            kind = SigmaCorrelation.Kind(rawValue: name)
            if kind == nil {
                let known = ["temporal_ordered", "value_sum", "value_avg", "value_percentile"].contains(name)
                fail(node, "correlation.type", known
                     ? "the correlation type '\(name)' is not supported by Vigil; supported: event_count, value_count, temporal, vigil_new_value"
                     : "'\(name)' is not a Sigma correlation type; supported: event_count, value_count, temporal, vigil_new_value")
            }
        } else if value("type") == nil {
            fail(node, "correlation.type", "is required")
        }
        let rules = value("rules").flatMap { texts($0, "correlation.rules") } ?? []
        if value("rules") == nil { fail(node, "correlation.rules", "is required: the ids or names of the rules it correlates") }
        if Set(rules).count != rules.count { fail(value("rules"), "correlation.rules", "names a rule twice") }
        if kind == .temporal, Set(rules).count < 2, value("rules") != nil { fail(value("rules"), "correlation.rules", "temporal needs at least two rules") }
        var groupBy: [EventField] = []
        if let node = value("group-by"), let names = texts(node, "correlation.group-by") {
            for name in names {
                if let field = EventField(name: name) { groupBy.append(field) } else { fail(node, "correlation.group-by", "'\(name)' is not a column of system.access.audit") }
            }
        }
        var timespan: Int64?
        if let node = value("timespan"), let text = text(node, "correlation.timespan") {
            timespan = Self.duration(text)
            if timespan == nil { fail(node, "correlation.timespan", "'\(text)' is not a duration (30s, 10m, 1h, 7d)") }
        } else if value("timespan") == nil {
            fail(node, "correlation.timespan", "is required")
        }
        var field: EventField?
        if let node = value("field"), let name = text(node, "correlation.field") {
            field = EventField(name: name)
            if field == nil { fail(node, "correlation.field", "'\(name)' is not a column of system.access.audit") }
        }
        if kind == .valueCount, value("field") == nil { fail(node, "correlation.field", "value_count needs the field whose distinct values it counts") }
        if kind == .newValue {
            if value("field") == nil { fail(node, "correlation.field", "vigil_new_value needs the field whose new values it reports") }
            if let condition = value("condition") { fail(condition, "correlation.condition", "vigil_new_value takes no condition: it fires on each value new to its group") }
        }
        var lower: (Double, Bool)?
        let upper: (Double, Bool)? = nil
        if let conditionNode = value("condition"), let members = members(conditionNode, "correlation.condition") {
            for (key, keyNode, bound) in members {
                let path = "correlation.condition.\(key)"
                if key == "field" {
                    // Sigma also allows the value_count field inside the condition.
                    if let name = text(bound, path) {
                        field = EventField(name: name)
                        if field == nil { fail(bound, path, "'\(name)' is not a column of system.access.audit") }
                    }
                    continue
                }
                guard let raw = text(bound, path) else { continue }
                guard let number = Double(raw) else {
                    fail(bound, path, "'\(raw)' is not a number")
                    continue
                }
                switch key {
                case "gt", "gte":
                    // The window holds at most the threshold's events before it fires and empties: bounded memory.
                    guard number >= 0, number < Double(Self.maxThreshold) else {
                        fail(bound, path, "must be 0 to \(Self.maxThreshold - 1)")
                        continue
                    }
                    lower = (number, key == "gte")
                case "lt", "lte", "eq", "neq":
                    fail(keyNode, path, "\(key) is not supported: Vigil fires as events arrive, when the count reaches the condition, so it takes gt or gte")
                default:
                    fail(keyNode, path, "'\(key)' is not a condition operator (gt, gte)")
                }
            }
            if lower == nil, members.allSatisfy({ $0.key == "field" }), kind != .temporal {
                fail(conditionNode, "correlation.condition", "needs gt or gte")
            }
        } else if value("condition") == nil, kind != .temporal, kind != .newValue {
            fail(node, "correlation.condition", "is required for event_count and value_count")
        }
        var generate = false
        if let node = generateNode ?? value("generate"), let raw = text(node, "generate") {
            switch raw.lowercased() {
            case "true", "yes": generate = true
            case "false", "no": generate = false
            default: fail(node, "generate", "takes true or false")
            }
        }
        guard problems.isEmpty, let kind, let timespan else { return nil }
        return SigmaCorrelation(kind: kind, rules: rules, groupBy: groupBy, timespanMillis: timespan, lower: lower, upper: upper, field: field, generate: generate)
    }

    /// The largest count a condition may ask for (a window holds that many events at most).
    static let maxThreshold = 100_000

    /// Sigma's timespan: a number and s, m, h or d.
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        default: return nil
        }
        guard count <= 366 * 86_400 / seconds else { return nil }
        return count * seconds * 1000
    }
}
