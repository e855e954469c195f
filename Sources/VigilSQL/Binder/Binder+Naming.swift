/// Spark's automatic names for unaliased select items (`toPrettySQL`): a column or struct field gets its last
/// name part, a function its call text with lower-case name (`count(1)`, `lower(action_name)`), an operator its
/// parenthesised text, a string constant its bare value.
extension Binder {
    func prettyName(_ expression: Expression, scope: Scope, top: Bool) -> String {
        switch expression.kind {
        case .name(let parts):
            guard let resolved = try? resolveName(parts, scope: scope) else { return parts.last?.name ?? "col" }
            return top ? resolved.shortName : resolved.pretty
        case .literal(let literal):
            switch literal {
            case .null: return "NULL"
            case .boolean(let value): return value ? "true" : "false"
            case .string(let value): return value
            case .number(let text): return text.hasSuffix("L") || text.hasSuffix("D") ? String(text.dropLast()) : text
            case .date(let text): return "DATE '\(text)'"
            case .timestamp(let text): return "TIMESTAMP '\(text)'"
            case .interval(let parts): return "INTERVAL " + parts.map { "'\($0.amount)' \($0.unit.rawValue.dropLast())" }.joined(separator: " ")
            }
        case .parameter(let name): return ":" + name
        case .unary(let op, let operand):
            let inner = prettyName(operand, scope: scope, top: false)
            return op == .not ? "(NOT \(inner))" : "(\(op.rawValue) \(inner))"
        case .binary(let op, let left, let right):
            return "(\(prettyName(left, scope: scope, top: false)) \(op.rawValue) \(prettyName(right, scope: scope, top: false)))"
        case .function(let call):
            let name = call.name.lowered
            if name == "window" { return "window" }
            // Spark prints mask's default replacement arguments.
            if name == "mask", call.arguments.count == 1 {
                return "mask(\(prettyName(call.arguments[0], scope: scope, top: false)), X, x, n, NULL)"
            }
            if call.star || (name == "count" && call.arguments.count == 1 && { if case .literal = call.arguments[0].kind { true } else { false } }()) {
                return "count(1)"
            }
            let arguments = call.arguments.map { prettyName($0, scope: scope, top: false) }.joined(separator: ", ")
            var text = "\(name)(\(call.distinct ? "DISTINCT " : "")\(arguments))"
            if call.window != nil { text += " OVER (...)" }
            return text
        case .field(let base, let field):
            return top ? field.name : prettyName(base, scope: scope, top: false) + "." + field.name
        case .subscript(let base, let key):
            let baseText = prettyName(base, scope: scope, top: false)
            if case .literal(.string(let name)) = key.kind, let bound = try? bindExpression(base, scope: scope, allowAggregates: true),
                case .struct = bound.type
            {
                return baseText + "." + name
            }
            return baseText + "[" + prettyName(key, scope: scope, top: false) + "]"
        case .cast(let value, let type):
            return "CAST(\(prettyName(value, scope: scope, top: false)) AS \(type))"
        case .caseWhen(let operand, let branches, let otherwise):
            var text = "CASE"
            if let operand { text += " " + prettyName(operand, scope: scope, top: false) }
            for branch in branches {
                text += " WHEN \(prettyName(branch.condition, scope: scope, top: false)) THEN \(prettyName(branch.result, scope: scope, top: false))"
            }
            if let otherwise { text += " ELSE " + prettyName(otherwise, scope: scope, top: false) }
            return text + " END"
        case .inList(let value, let list, let negated):
            let items = list.map { prettyName($0, scope: scope, top: false) }.joined(separator: ", ")
            let text = "(\(prettyName(value, scope: scope, top: false)) IN (\(items)))"
            return negated ? "(NOT \(text))" : text
        case .between(let value, let low, let high, let negated):
            let v = prettyName(value, scope: scope, top: false)
            let text = "((\(v) >= \(prettyName(low, scope: scope, top: false))) AND (\(v) <= \(prettyName(high, scope: scope, top: false))))"
            return negated ? "(NOT \(text))" : text
        case .like(let op, let value, let pattern, let negated):
            let text = "\(prettyName(value, scope: scope, top: false)) \(op.rawValue) \(prettyName(pattern, scope: scope, top: false))"
            return negated ? "(NOT \(text))" : text
        case .isNull(let value, let negated):
            return "(\(prettyName(value, scope: scope, top: false)) IS \(negated ? "NOT " : "")NULL)"
        case .inQuery, .exists, .scalarSubquery:
            return "scalarsubquery()"
        }
    }
}
