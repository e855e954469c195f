extension Binder {
    func bindExpression(_ expression: Expression, scope: Scope, allowAggregates: Bool) throws(SQLError) -> BoundExpression {
        let position = expression.position
        switch expression.kind {
        case .name(let parts):
            return try resolveName(parts, scope: scope).expression
        case .literal(let literal):
            return try Lowering.literal(literal, at: position)
        case .parameter(let name):
            guard let value = context.parameters[name] else {
                throw SQLError(.columnNotFound, "no value was given for parameter :\(name)", at: position)
            }
            switch value {
            case .null: return .null()
            case .integer: return .literal(value, .bigint)
            case .real: return .literal(value, .double)
            case .text: return .literal(value, .string)
            }
        case .unary(let op, let operand):
            let bound = try bindExpression(operand, scope: scope, allowAggregates: allowAggregates)
            return try Lowering.unary(op, bound, at: position)
        case .binary:
            return try bindOperatorChain(expression, scope: scope, allowAggregates: allowAggregates)
        case .function(let call):
            return try bindFunction(call, at: position, scope: scope, allowAggregates: allowAggregates)
        case .field(let base, let field):
            let bound = try bindExpression(base, scope: scope, allowAggregates: allowAggregates)
            return try Lowering.extractField(bound, name: field.name, at: field.position)
        case .subscript(let base, let key):
            let boundBase = try bindExpression(base, scope: scope, allowAggregates: allowAggregates)
            let boundKey = try bindExpression(key, scope: scope, allowAggregates: allowAggregates)
            return try Lowering.subscriptValue(boundBase, boundKey, at: key.position)
        case .cast(let value, let type):
            let bound = try bindExpression(value, scope: scope, allowAggregates: allowAggregates)
            return try Lowering.cast(bound, to: type, at: position)
        case .caseWhen(let operand, let branches, let otherwise):
            var conditions: [BoundExpression] = []
            var results: [BoundExpression] = []
            let boundOperand = try operand.map { (e) throws(SQLError) in try bindExpression(e, scope: scope, allowAggregates: allowAggregates) }
            for branch in branches {
                let condition = try bindExpression(branch.condition, scope: scope, allowAggregates: allowAggregates)
                if let boundOperand {
                    conditions.append(try Lowering.binary(.equal, boundOperand, condition, at: branch.condition.position))
                } else {
                    conditions.append(try Lowering.coerce(condition, to: .boolean, at: branch.condition.position))
                }
                results.append(try bindExpression(branch.result, scope: scope, allowAggregates: allowAggregates))
            }
            let boundOtherwise = try otherwise.map { (e) throws(SQLError) in try bindExpression(e, scope: scope, allowAggregates: allowAggregates) }
            let type = try Lowering.commonType(of: results + (boundOtherwise.map { [$0] } ?? []), at: position)
            var bound: [BoundWhen] = []
            for (condition, result) in zip(conditions, results) {
                bound.append(BoundWhen(condition: condition, result: try Lowering.coerce(result, to: type, at: position)))
            }
            let coercedOtherwise = try boundOtherwise.map { (e) throws(SQLError) in try Lowering.coerce(e, to: type, at: position) }
            return .caseWhen(bound, otherwise: coercedOtherwise, type)
        case .inList(let value, let list, let negated):
            let boundValue = try bindExpression(value, scope: scope, allowAggregates: allowAggregates)
            var boundList: [BoundExpression] = []
            for item in list { boundList.append(try bindExpression(item, scope: scope, allowAggregates: allowAggregates)) }
            let type = try Lowering.commonType(of: [boundValue] + boundList, comparison: true, at: position)
            var arguments = [try Lowering.coerce(boundValue, to: type, at: value.position)]
            for (item, source) in zip(boundList, list) { arguments.append(try Lowering.coerce(item, to: type, at: source.position)) }
            return .operation(.inList(negated: negated), arguments, .boolean)
        case .inQuery(let value, let query, let negated):
            let boundValue = try bindExpression(value, scope: scope, allowAggregates: allowAggregates)
            let subquery = try bind(query, outer: scope)
            guard subquery.columns.count == 1 else {
                throw SQLError(.typeMismatch, "IN (SELECT ...) needs a subquery with one column, got \(subquery.columns.count)", at: position)
            }
            guard let type = Lowering.commonType(boundValue.type, subquery.columns[0].type, forComparison: true) else {
                throw SQLError(.typeMismatch, "cannot compare \(boundValue.type) with \(subquery.columns[0].type) in IN", at: position)
            }
            let coerced = try Lowering.coerce(boundValue, to: type, at: position)
            return .subquery(BoundSubquery(kind: .in(coerced, negated: negated), query: subquery), .boolean)
        case .between(let value, let low, let high, let negated):
            let v = try bindExpression(value, scope: scope, allowAggregates: allowAggregates)
            let lo = try bindExpression(low, scope: scope, allowAggregates: allowAggregates)
            let hi = try bindExpression(high, scope: scope, allowAggregates: allowAggregates)
            let range = BoundExpression.operation(
                .and, [try Lowering.binary(.greaterOrEqual, v, lo, at: position), try Lowering.binary(.lessOrEqual, v, hi, at: position)],
                .boolean)
            return negated ? .operation(.not, [range], .boolean) : range
        case .like(let op, let value, let pattern, let negated):
            let v = try Lowering.coerce(try bindExpression(value, scope: scope, allowAggregates: allowAggregates), to: .string, at: value.position)
            let p = try Lowering.coerce(try bindExpression(pattern, scope: scope, allowAggregates: allowAggregates), to: .string, at: pattern.position)
            let operation: Operation = op == .rlike ? .rlike : .like(caseInsensitive: op == .ilike)
            let match = BoundExpression.operation(operation, [v, p], .boolean)
            return negated ? .operation(.not, [match], .boolean) : match
        case .isNull(let value, let negated):
            let bound = try bindExpression(value, scope: scope, allowAggregates: allowAggregates)
            return .operation(negated ? .isNotNull : .isNull, [bound], .boolean)
        case .exists(let query):
            return .subquery(BoundSubquery(kind: .exists, query: try bind(query, outer: scope)), .boolean)
        case .scalarSubquery(let query):
            let bound = try bind(query, outer: scope)
            guard bound.columns.count == 1 else {
                throw SQLError(.typeMismatch, "a scalar subquery must return one column, got \(bound.columns.count)", at: position)
            }
            return .subquery(BoundSubquery(kind: .scalar, query: bound), bound.columns[0].type)
        }
    }

    /// A chain `a + b - c * …` parses as a left-deep tree as tall as the chain is long. It is bound along its
    /// left spine in a loop, so binding it takes the stack of one level, not of every operator (a debug build
    /// needs about 10 KiB a level).
    private func bindOperatorChain(_ expression: Expression, scope: Scope, allowAggregates: Bool) throws(SQLError) -> BoundExpression {
        var spine: [(op: BinaryOperator, right: Expression, position: SourcePosition)] = []
        var leftmost = expression
        while case .binary(let op, let left, let right) = leftmost.kind {
            spine.append((op, right, leftmost.position))
            leftmost = left
        }
        var bound = try bindExpression(leftmost, scope: scope, allowAggregates: allowAggregates)
        for level in spine.reversed() {
            let right = try bindExpression(level.right, scope: scope, allowAggregates: allowAggregates)
            bound = try Lowering.binary(level.op, bound, right, at: level.position)
        }
        return bound
    }

    struct ResolvedName {
        var expression: BoundExpression
        /// Spark's automatic column name: the last name part.
        var shortName: String
        /// Spark's pretty text inside other expressions (`user_identity.email`, `request_params[app]`).
        var pretty: String
    }

    /// Resolves `a.b.c`: the longest table qualifier first, then a column, then struct fields or map keys.
    func resolveName(_ parts: [Identifier], scope: Scope) throws(SQLError) -> ResolvedName {
        var current: Scope? = scope
        while let searched = current {
            if let resolved = try resolve(parts, in: searched) { return resolved }
            current = searched.parent
        }
        if parts.count == 1, ["current_date", "current_timestamp"].contains(parts[0].lowered) {
            let call = FunctionCall(name: parts[0], arguments: [], distinct: false, star: false, window: nil)
            let bound = try bindFunction(call, at: parts[0].position, scope: scope, allowAggregates: false)
            return ResolvedName(expression: bound, shortName: parts[0].lowered + "()", pretty: parts[0].lowered + "()")
        }
        let available = scope.allColumns.map(\.name)
        let suggestion = available.isEmpty ? "" : "; columns: " + available.prefix(24).joined(separator: ", ")
        throw SQLError(
            .columnNotFound, "column \(parts.map(\.name).joined(separator: ".")) cannot be resolved\(suggestion)",
            at: parts[0].position)
    }

    private func resolve(_ parts: [Identifier], in scope: Scope) throws(SQLError) -> ResolvedName? {
        let lowered = parts.map(\.lowered)
        // Qualified: the longest qualifier that matches a prefix.
        for length in stride(from: min(parts.count - 1, 3), through: 1, by: -1) {
            let prefix = Array(lowered.prefix(length))
            let relations = scope.relations.filter { $0.qualifiers.contains(prefix) }
            guard !relations.isEmpty else { continue }
            let columnName = lowered[length]
            let matches = relations.flatMap { $0.columns.filter { $0.name.lowercased() == columnName } }
            if matches.count > 1 {
                throw SQLError(.ambiguous, "reference \(parts.prefix(length + 1).map(\.name).joined(separator: ".")) is ambiguous", at: parts[0].position)
            }
            if let column = matches.first {
                return try extract(column, fields: Array(parts.dropFirst(length + 1)))
            }
        }
        let matches = scope.relations.flatMap { $0.columns.filter { $0.name.lowercased() == lowered[0] } }
        if matches.count > 1 {
            throw SQLError(.ambiguous, "reference \(parts[0].name) is ambiguous: several tables have it; qualify it with a table alias", at: parts[0].position)
        }
        guard let column = matches.first else { return nil }
        return try extract(column, fields: Array(parts.dropFirst()))
    }

    private func extract(_ column: Scope.Column, fields: [Identifier]) throws(SQLError) -> ResolvedName {
        var expression = column.expression
        var pretty = column.name
        for field in fields {
            if case .map = expression.type { pretty += "[\(field.name)]" } else { pretty += ".\(field.name)" }
            expression = try Lowering.extractField(expression, name: field.name, at: field.position)
        }
        return ResolvedName(expression: expression, shortName: fields.last?.name ?? column.name, pretty: pretty)
    }
}
