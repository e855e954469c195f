/// Prints the AST back as Spark SQL that parses to an equal AST: every name backquoted, every compound
/// expression parenthesised. Used by the round-trip property test and in error messages.
extension Query: CustomStringConvertible {
    public var description: String { sql }

    public var sql: String {
        var text = ""
        if !ctes.isEmpty {
            text += "WITH " + ctes.map { cte in
                let columns = cte.columnNames.isEmpty ? "" : " (" + cte.columnNames.map(\.quoted).joined(separator: ", ") + ")"
                return cte.name.quoted + columns + " AS (" + cte.query.sql + ")"
            }.joined(separator: ", ") + " "
        }
        text += body.sql
        if !orderBy.isEmpty { text += " ORDER BY " + orderBy.map(\.sql).joined(separator: ", ") }
        if let limit { text += " LIMIT " + limit.sql }
        return text
    }
}

extension Identifier {
    var quoted: String { "`" + name.replacingOccurrences(of: "`", with: "``") + "`" }
}

extension QueryBody {
    var sql: String {
        switch self {
        case .select(let select): select.sql
        case .setOperation(let op, let left, let right): "(" + left.sql + ") " + op.rawValue + " (" + right.sql + ")"
        case .nested(let query): "(" + query.sql + ")"
        }
    }
}

extension Select {
    var sql: String {
        var text = "SELECT " + (distinct ? "DISTINCT " : "") + items.map(\.sql).joined(separator: ", ")
        if let from { text += " FROM " + from.sql }
        for view in lateralViews {
            text += " LATERAL VIEW " + (view.outer ? "OUTER " : "") + view.generator.sql
            if let alias = view.tableAlias { text += " " + alias.quoted }
            if !view.columnAliases.isEmpty { text += " AS " + view.columnAliases.map(\.quoted).joined(separator: ", ") }
        }
        if let whereClause { text += " WHERE " + whereClause.sql }
        if !groupBy.isEmpty { text += " GROUP BY " + groupBy.map(\.sql).joined(separator: ", ") }
        if let having { text += " HAVING " + having.sql }
        return text
    }
}

extension SelectItem {
    var sql: String {
        switch self {
        case .star(let qualifier, _):
            return (qualifier.map { $0.quoted + "." }.joined()) + "*"
        case .expression(let expression, let aliases):
            switch aliases.count {
            case 0: return expression.sql
            case 1: return expression.sql + " AS " + aliases[0].quoted
            default: return expression.sql + " AS (" + aliases.map(\.quoted).joined(separator: ", ") + ")"
            }
        }
    }
}

extension FromItem {
    var sql: String {
        switch self {
        case .table(let name, let alias):
            return name.map(\.quoted).joined(separator: ".") + (alias.map { " AS " + $0.quoted } ?? "")
        case .subquery(let query, let alias, _):
            return "(" + query.sql + ")" + (alias.map { " AS " + $0.quoted } ?? "")
        case .join(let kind, let left, let right, let condition):
            let rightText: String
            if case .join = right { rightText = "(" + right.sql + ")" } else { rightText = right.sql }
            return left.sql + " " + kind.rawValue + " " + rightText + (condition.map { " ON " + $0.sql } ?? "")
        }
    }
}

extension OrderItem {
    var sql: String {
        var text = expression.sql
        if let ascending { text += ascending ? " ASC" : " DESC" }
        if let nullsFirst { text += nullsFirst ? " NULLS FIRST" : " NULLS LAST" }
        return text
    }
}

extension Literal {
    var sql: String {
        switch self {
        case .null: "NULL"
        case .boolean(let value): value ? "TRUE" : "FALSE"
        case .string(let value): Literal.quote(value)
        case .number(let text): text
        case .date(let text): "DATE " + Literal.quote(text)
        case .timestamp(let text): "TIMESTAMP " + Literal.quote(text)
        case .interval(let parts): "INTERVAL " + parts.map { "\($0.amount) \($0.unit.rawValue)" }.joined(separator: " ")
        }
    }

    static func quote(_ value: String) -> String {
        var text = "'"
        for character in value {
            switch character {
            case "'": text += "\\'"
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            case "\u{0}": text += "\\0"
            default: text.append(character)
            }
        }
        return text + "'"
    }
}

extension Expression: CustomStringConvertible {
    public var description: String { sql }

    public var sql: String {
        switch kind {
        case .name(let parts): return parts.map(\.quoted).joined(separator: ".")
        case .literal(let literal):
            if case .number(let text) = literal, text.hasPrefix("-") { return "(" + text + ")" }
            return literal.sql
        case .parameter(let name): return ":" + name
        case .unary(let op, let operand):
            return op == .not ? "(NOT " + operand.sql + ")" : "(" + op.rawValue + operand.sql + ")"
        case .binary(let op, let left, let right): return "(" + left.sql + " " + op.rawValue + " " + right.sql + ")"
        case .function(let call): return call.sql
        case .field(let base, let field): return "(" + base.sql + ")." + field.quoted
        case .subscript(let base, let key): return base.sql + "[" + key.sql + "]"
        case .cast(let value, let type): return "CAST(" + value.sql + " AS " + type.description + ")"
        case .caseWhen(let operand, let branches, let otherwise):
            var text = "CASE"
            if let operand { text += " " + operand.sql }
            for branch in branches { text += " WHEN " + branch.condition.sql + " THEN " + branch.result.sql }
            if let otherwise { text += " ELSE " + otherwise.sql }
            return text + " END"
        case .inList(let value, let list, let negated):
            return "(" + value.sql + (negated ? " NOT IN (" : " IN (") + list.map(\.sql).joined(separator: ", ") + "))"
        case .inQuery(let value, let query, let negated):
            return "(" + value.sql + (negated ? " NOT IN (" : " IN (") + query.sql + "))"
        case .between(let value, let low, let high, let negated):
            return "(" + value.sql + (negated ? " NOT BETWEEN " : " BETWEEN ") + low.sql + " AND " + high.sql + ")"
        case .like(let op, let value, let pattern, let negated):
            return "(" + value.sql + (negated ? " NOT " : " ") + op.rawValue + " " + pattern.sql + ")"
        case .isNull(let value, let negated): return "(" + value.sql + (negated ? " IS NOT NULL)" : " IS NULL)")
        case .exists(let query): return "EXISTS (" + query.sql + ")"
        case .scalarSubquery(let query): return "(" + query.sql + ")"
        }
    }
}

extension FunctionCall {
    var sql: String {
        var text = name.name + "("
        if star { text += "*" } else {
            if distinct { text += "DISTINCT " }
            text += arguments.map(\.sql).joined(separator: ", ")
        }
        text += ")"
        if let window {
            var parts: [String] = []
            if !window.partitionBy.isEmpty { parts.append("PARTITION BY " + window.partitionBy.map(\.sql).joined(separator: ", ")) }
            if !window.orderBy.isEmpty { parts.append("ORDER BY " + window.orderBy.map(\.sql).joined(separator: ", ")) }
            if let frame = window.frame {
                parts.append(frame.unit.rawValue + " BETWEEN " + frame.start.sql + " AND " + frame.end.sql)
            }
            text += " OVER (" + parts.joined(separator: " ") + ")"
        }
        return text
    }
}

extension WindowFrame.Bound {
    var sql: String {
        switch self {
        case .unboundedPreceding: "UNBOUNDED PRECEDING"
        case .unboundedFollowing: "UNBOUNDED FOLLOWING"
        case .currentRow: "CURRENT ROW"
        case .preceding(let n): "\(n) PRECEDING"
        case .following(let n): "\(n) FOLLOWING"
        }
    }
}
