import Foundation
import VigilCore
import Yams

extension RuleReader {
    static let maxValues = 10_000
    static let supportedModifiers = "contains, startswith, endswith, all, exists, re (with i, m, s), cidr, cased, lt, lte, gt, gte, and Vigil's vigil_hours"

    mutating func detection(_ node: Node) -> SigmaDetection? {
        guard let keys = members(node, "detection") else { return nil }
        var names: [String] = []
        var identifiers: [[[FieldTest]]] = []
        var conditionNode: Node?
        for (key, keyNode, value) in keys {
            if key == "condition" {
                conditionNode = value
                continue
            }
            if key == "timeframe" {
                fail(keyNode, "detection.timeframe", "is obsolete in Sigma v2 and not supported; write a correlation rule with timespan")
                continue
            }
            let field = "detection.\(key)"
            switch value {
            case .mapping:
                // The name counts even when its fields have problems, so the condition is checked against it too.
                names.append(key)
                identifiers.append([fieldTests(value, field) ?? []])
            case .sequence(let items) where items.allSatisfy({ if case .mapping = $0 { true } else { false } }) && !items.isEmpty:
                var alternatives: [[FieldTest]] = []
                for item in items {
                    if let tests = fieldTests(item, field) { alternatives.append(tests) }
                }
                names.append(key)
                identifiers.append(alternatives)
            default:
                fail(value, field,
                     "keyword search (values without a field name) is not supported; name a field of system.access.audit (\(EventField.names.prefix(6).joined(separator: ", ")), …)")
            }
        }
        guard let conditionNode else {
            fail(node, "detection.condition", "is required")
            return nil
        }
        let conditions: [String]
        switch conditionNode {
        case .sequence: conditions = texts(conditionNode, "detection.condition") ?? []
        default: conditions = text(conditionNode, "detection.condition").map { [$0] } ?? []
        }
        var parsed: SigmaCondition?
        for text in conditions {
            do throws(ConditionError) {
                let condition = try SigmaCondition.parse(text, names: names)
                parsed = parsed.map { .or($0, condition) } ?? condition
            } catch {
                fail(conditionNode, "detection.condition", error.message)
            }
        }
        guard let parsed, problems.isEmpty else { return nil }
        return SigmaDetection(names: names, identifiers: identifiers, condition: parsed)
    }

    /// One selection map: every key is `field|modifier|…`, every value one value or a list of them.
    mutating func fieldTests(_ node: Node, _ field: String) -> [FieldTest]? {
        guard let keys = members(node, field) else { return nil }
        if keys.isEmpty {
            fail(node, field, "an empty selection would match every event; give at least one field")
            return nil
        }
        var tests: [FieldTest] = []
        let before = problems.count
        for (key, keyNode, value) in keys {
            let path = "\(field).\(key)"
            var parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let name = parts.removeFirst()
            guard !name.isEmpty else {
                fail(keyNode, path, "keyword search (a modifier without a field) is not supported; name a field")
                continue
            }
            guard let eventField = EventField(name: name) else {
                fail(keyNode, path, "'\(name)' is not a column of system.access.audit; use one of \(EventField.names.joined(separator: ", "))")
                continue
            }
            if let test = fieldTest(eventField, modifiers: parts, value, path, keyNode) { tests.append(test) }
        }
        return problems.count == before ? tests : nil
    }

    mutating func fieldTest(_ field: EventField, modifiers: [String], _ node: Node, _ path: String, _ keyNode: Node) -> FieldTest? {
        var matchAll = false
        var cased = false
        var kind: String?
        var regexOptions: NSRegularExpression.Options = []
        var afterRe = false
        for modifier in modifiers {
            switch modifier {
            case "all": matchAll = true
            case "cased": cased = true
            case "contains", "startswith", "endswith", "exists", "re", "cidr", "lt", "lte", "gt", "gte", "vigil_hours":
                if let kind {
                    fail(keyNode, path, "modifiers '\(kind)' and '\(modifier)' cannot be combined")
                    return nil
                }
                kind = modifier
                afterRe = modifier == "re"
            case "i" where afterRe: regexOptions.insert(.caseInsensitive)
            case "m" where afterRe: regexOptions.insert(.anchorsMatchLines)
            case "s" where afterRe: regexOptions.insert(.dotMatchesLineSeparators)
            case "windash", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "expand", "fieldref", "neq",
                 "minute", "hour", "day", "week", "month", "year":
                fail(keyNode, path, "the Sigma modifier '\(modifier)' is not supported by Vigil; supported: \(Self.supportedModifiers)")
                return nil
            default:
                fail(keyNode, path, "'\(modifier)' is not a Sigma modifier; supported: \(Self.supportedModifiers)")
                return nil
            }
        }
        let items: [Node]
        if case .sequence(let sequence) = node { items = Array(sequence) } else { items = [node] }
        if items.isEmpty {
            fail(node, path, "an empty list matches nothing; give at least one value")
            return nil
        }
        valueCount += items.count
        if valueCount > Self.maxValues {
            fail(node, path, "the rule has more than \(Self.maxValues) values (YAML aliases count each time they are used)")
            return nil
        }
        var tests: [ValueTest] = []
        for item in items {
            guard case .scalar(let scalar) = item else {
                fail(item, path, "values must be text, numbers, booleans or null")
                return nil
            }
            if Self.isNull(item), scalar.string != "" || scalar.style == .plain {
                guard kind == nil, items.count == 1 else {
                    fail(item, path, "null must be the only value of its field, without modifiers")
                    return nil
                }
                tests.append(.null)
                continue
            }
            let raw = scalar.string
            switch kind {
            case nil: tests.append(.glob(Glob(raw, cased: cased)))
            case "contains": tests.append(.glob(Glob(raw, cased: cased).wrapped(leading: true, trailing: true)))
            case "startswith": tests.append(.glob(Glob(raw, cased: cased).wrapped(leading: false, trailing: true)))
            case "endswith": tests.append(.glob(Glob(raw, cased: cased).wrapped(leading: true, trailing: false)))
            case "exists":
                switch raw.lowercased() {
                case "true", "yes": tests.append(.exists(true))
                case "false", "no": tests.append(.exists(false))
                default:
                    fail(item, path, "exists takes true or false, not '\(raw)'")
                    return nil
                }
            case "re":
                do {
                    tests.append(.regex(SharedRegex(expression: try NSRegularExpression(pattern: raw, options: regexOptions))))
                } catch {
                    fail(item, path, "'\(raw)' is not a valid regular expression")
                    return nil
                }
            case "vigil_hours":
                guard field == .eventTime else {
                    fail(keyNode, path, "vigil_hours applies to event_time only")
                    return nil
                }
                guard let window = TimeWindow(raw) else {
                    fail(item, path, "'\(raw)' is not a weekly window: weekdays (monday:friday), hours (08:00-18:00) and an optional time zone (Europe/Berlin)")
                    return nil
                }
                tests.append(.hours(window))
            case "cidr":
                guard let network = CIDR(raw) else {
                    fail(item, path, "'\(raw)' is not a network in CIDR form (10.0.0.0/8, 2001:db8::/32)")
                    return nil
                }
                tests.append(.cidr(network))
            case let comparison?:
                guard let bound = Double(raw), let op = ValueTest.Comparison(rawValue: comparison) else {
                    fail(item, path, "\(comparison) compares numbers; '\(raw)' is not one")
                    return nil
                }
                tests.append(.compare(op, bound))
            }
        }
        return FieldTest(field: field, tests: tests, matchAll: matchAll)
    }
}
