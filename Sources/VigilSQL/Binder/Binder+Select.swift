extension Binder {
    func bindSelect(_ select: Select, outer: Scope?) throws(SQLError) -> (BoundSelect, [OutputColumn], SelectScope) {
        let scope = Scope(parent: outer)
        var from: BoundFrom?
        if let item = select.from {
            from = try bindFrom(item, scope: scope)
            for view in select.lateralViews {
                from = try bindLateralView(view, from: from!, scope: scope)
            }
        }
        var whereClause: BoundExpression?
        if let condition = select.whereClause {
            let bound = try bindExpression(condition, scope: scope, allowAggregates: false)
            if bound.isAggregate || bound.containsWindow {
                throw SQLError(.invalidGrouping, "aggregate and window functions are not allowed in WHERE; use HAVING", at: condition.position)
            }
            whereClause = Lowering.rangeOnTimestamp(try Lowering.coerce(bound, to: .boolean, at: condition.position), context: context)
        }

        // Select list: expand stars, pull generators out into joins.
        var items: [BoundExpression] = []
        var columns: [OutputColumn] = []
        var generatorCount = 0
        for item in select.items {
            switch item {
            case .star(let qualifier, let position):
                let relations: [Scope.Relation]
                if qualifier.isEmpty {
                    relations = scope.relations
                } else {
                    let path = qualifier.map(\.lowered)
                    relations = scope.relations.filter { $0.qualifiers.contains(path) }
                    if relations.isEmpty {
                        throw SQLError(.tableNotFound, "no table named \(qualifier.map(\.name).joined(separator: ".")) in FROM", at: position)
                    }
                }
                guard !relations.isEmpty else {
                    throw SQLError(.syntax, "SELECT * needs a FROM clause", at: position)
                }
                for column in relations.flatMap(\.columns) {
                    items.append(column.expression)
                    columns.append(OutputColumn(name: column.name, type: column.expression.type))
                }
            case .expression(let expression, let aliases):
                if case .function(let call) = expression.kind, Self.generatorNames.contains(call.name.lowered) {
                    generatorCount += 1
                    guard generatorCount == 1 else {
                        throw SQLError(.unsupported, "only one generator is allowed per SELECT", at: expression.position)
                    }
                    guard let base = from else {
                        throw SQLError(.unsupported, "a generator needs a FROM clause", at: expression.position)
                    }
                    let generator = try bindGenerator(call, at: expression.position, scope: scope)
                    let alias = context.nextAlias("g")
                    let names = try generator.columnNames(aliases: aliases, at: expression.position)
                    from = .join(generator.outer ? .left : .cross, base, .generator(generator.input, alias: alias), on: nil)
                    for column in generator.columns(alias: alias, names: names) {
                        items.append(column.expression)
                        columns.append(OutputColumn(name: column.name, type: column.expression.type))
                    }
                    continue
                }
                if aliases.count > 1 {
                    throw SQLError(.syntax, "only generators can take several aliases", at: aliases[1].position)
                }
                let bound = try bindExpression(expression, scope: scope, allowAggregates: true)
                items.append(bound)
                let name = aliases.first?.name ?? prettyName(expression, scope: scope, top: true)
                columns.append(OutputColumn(name: name, type: bound.type))
            }
        }

        // GROUP BY: ordinals and select aliases resolve to select items (Spark's groupByOrdinal/groupByAliases).
        var groupKeys: [BoundExpression] = []
        for expression in select.groupBy {
            if case .literal(.number(let text)) = expression.kind, let ordinal = Int(text) {
                guard ordinal >= 1, ordinal <= items.count else {
                    throw SQLError(.syntax, "GROUP BY position \(ordinal) is not in the select list (1...\(items.count))", at: expression.position)
                }
                if items[ordinal - 1].isAggregate {
                    throw SQLError(.invalidGrouping, "GROUP BY position \(ordinal) refers to an aggregate", at: expression.position)
                }
                groupKeys.append(items[ordinal - 1])
                continue
            }
            do {
                groupKeys.append(try bindExpression(expression, scope: scope, allowAggregates: false))
            } catch let error where error.code == .columnNotFound {
                guard case .name(let parts) = expression.kind, parts.count == 1,
                    let index = columns.firstIndex(where: { $0.name.lowercased() == parts[0].lowered })
                else { throw error }
                groupKeys.append(items[index])
            }
        }
        if generatorCount > 0, !groupKeys.isEmpty || items.contains(where: \.isAggregate) {
            throw SQLError(.unsupported, "a generator cannot be combined with aggregation in one SELECT; explode in a CTE first", at: select.position)
        }
        let aggregated = !groupKeys.isEmpty || items.contains(where: \.isAggregate) || select.having != nil
        var having: BoundExpression?
        if let condition = select.having {
            let bound = try bindHaving(condition, scope: scope, items: items, columns: columns)
            having = try Lowering.coerce(bound, to: .boolean, at: condition.position)
        }
        if aggregated {
            for (index, item) in items.enumerated() {
                try Self.checkGrouped(item, keys: groupKeys, what: "select item \(index + 1) (\(columns[index].name))", at: select.position)
            }
            if let having { try Self.checkGrouped(having, keys: groupKeys, what: "HAVING", at: select.position) }
        }
        var bound = BoundSelect(
            distinct: select.distinct, items: items, from: from, whereClause: whereClause, groupBy: groupKeys,
            having: having, isAggregate: aggregated)
        bound.sortGroups = !groupKeys.isEmpty && !indexCovers(bound)
        return (bound, columns, SelectScope(scope: scope, select: bound, groupKeys: groupKeys))
    }

    /// Whether an index of the select's single base table, led by its grouping columns, holds every column it reads.
    func indexCovers(_ select: BoundSelect) -> Bool {
        guard case .table(let storage, let alias, let filter)? = select.from,
            let table = context.catalog.tables.first(where: { $0.storage == storage })
        else { return true }
        var columns: Set<String> = []
        func collect(_ expression: BoundExpression) {
            switch expression {
            case .column(let relation, let column, _): if relation == alias { columns.insert(column) }
            case .literal: break
            case .operation(_, let arguments, _), .aggregate(_, let arguments, _, _): arguments.forEach(collect)
            case .caseWhen(let branches, let otherwise, _):
                for branch in branches {
                    collect(branch.condition)
                    collect(branch.result)
                }
                otherwise.map(collect)
            case .window(let call, _): (call.arguments + call.partitionBy).forEach(collect)
            case .subquery: columns.insert("*")
            }
        }
        (select.items + select.groupBy + [select.whereClause, select.having, filter].compactMap { $0 }).forEach(collect)
        columns.remove("seq")
        // The index SQLite would walk for the groups' order is one led by the grouping columns (in any order): that
        // one must hold everything. (Another covering index does not help: the walk would fetch rows out of order.)
        let keys = Set(select.groupBy.compactMap { key -> String? in
            if case .column(let relation, let column, _) = key, relation == alias { return column }
            return nil
        })
        return table.indexes.contains { index in
            Set(index.prefix(keys.count)) == keys && Set<String>(index).isSuperset(of: columns)
        }
    }

    static let generatorNames: Set<String> = ["explode", "explode_outer", "posexplode", "posexplode_outer"]

    func bindGenerator(_ call: FunctionCall, at position: SourcePosition, scope: Scope) throws(SQLError) -> Generator {
        let name = call.name.lowered
        guard Self.generatorNames.contains(name) else {
            throw SQLError(.unsupported, "\(call.name.name) is not a generator; LATERAL VIEW takes explode or posexplode", at: position)
        }
        guard call.arguments.count == 1, !call.star, !call.distinct, call.window == nil else {
            throw SQLError(.wrongArguments, "\(name) takes one array or map argument", at: position)
        }
        let input = try bindExpression(call.arguments[0], scope: scope, allowAggregates: false)
        let withPosition = name.hasPrefix("pos")
        switch input.type {
        case .array: break
        case .map where !withPosition: break
        case .null: break
        default:
            throw SQLError(.typeMismatch, "\(name) needs an array\(withPosition ? "" : " or a map"), got \(input.type)", at: call.arguments[0].position)
        }
        return Generator(input: input, outer: name.hasSuffix("_outer"), withPosition: withPosition)
    }

    /// HAVING may name select aliases and aggregates that are not in the select list.
    private func bindHaving(_ condition: Expression, scope: Scope, items: [BoundExpression], columns: [OutputColumn]) throws(SQLError) -> BoundExpression {
        let aliasScope = Scope(parent: nil)
        aliasScope.relations = scope.relations
        aliasScope.relations.append(
            Scope.Relation(qualifiers: [], columns: zip(columns, items).map { Scope.Column(name: $0.name, expression: $1) }))
        do {
            return try bindExpression(condition, scope: scope, allowAggregates: true)
        } catch let error where error.code == .columnNotFound {
            return try bindExpression(condition, scope: aliasScope, allowAggregates: true)
        }
    }

    /// Spark refuses a non-aggregated column that is not grouped (MISSING_AGGREGATION); SQLite would pick an
    /// arbitrary row's value, so the binder checks.
    static func checkGrouped(_ expression: BoundExpression, keys: [BoundExpression], what: String, at position: SourcePosition) throws(SQLError) {
        if keys.contains(expression) { return }
        switch expression {
        case .literal, .aggregate, .subquery: return
        case .window(let call, _):
            for argument in call.arguments + call.partitionBy { try checkGrouped(argument, keys: keys, what: what, at: position) }
        case .column(_, _, _):
            throw SQLError(
                .invalidGrouping, "\(what) is neither in GROUP BY nor inside an aggregate function; add it to GROUP BY or wrap it in first() or max()",
                at: position)
        case .operation(_, let arguments, _):
            for argument in arguments { try checkGrouped(argument, keys: keys, what: what, at: position) }
        case .caseWhen(let branches, let otherwise, _):
            for branch in branches {
                try checkGrouped(branch.condition, keys: keys, what: what, at: position)
                try checkGrouped(branch.result, keys: keys, what: what, at: position)
            }
            if let otherwise { try checkGrouped(otherwise, keys: keys, what: what, at: position) }
        }
    }

    /// ORDER BY: ordinals and output names first (Spark resolves against the select list), then, for a plain
    /// SELECT, any expression over its FROM clause.
    func bindOrderBy(_ items: [OrderItem], columns: [OutputColumn], body: inout BoundBody, selectScope: SelectScope?) throws(SQLError) -> [BoundOrder] {
        var bound: [BoundOrder] = []
        for item in items {
            let ascending = item.ascending ?? true
            if case .literal(.number(let text)) = item.expression.kind, let ordinal = Int(text) {
                guard ordinal >= 1, ordinal <= columns.count else {
                    throw SQLError(.syntax, "ORDER BY position \(ordinal) is not in the select list (1...\(columns.count))", at: item.expression.position)
                }
                bound.append(BoundOrder(target: .output(ordinal - 1), ascending: ascending, nullsFirst: item.nullsFirst))
                continue
            }
            if case .name(let parts) = item.expression.kind, parts.count == 1 {
                let matches = columns.indices.filter { columns[$0].name.lowercased() == parts[0].lowered }
                if let first = matches.first {
                    bound.append(BoundOrder(target: .output(first), ascending: ascending, nullsFirst: item.nullsFirst))
                    continue
                }
            }
            guard let selectScope else {
                throw SQLError(
                    .columnNotFound, "ORDER BY of a set operation can only name its output columns: \(columns.map(\.name).joined(separator: ", "))",
                    at: item.expression.position)
            }
            let expression = try bindExpression(item.expression, scope: selectScope.scope, allowAggregates: selectScope.select.isAggregate)
            if let index = selectScope.select.items.firstIndex(of: expression) {
                bound.append(BoundOrder(target: .output(index), ascending: ascending, nullsFirst: item.nullsFirst))
                continue
            }
            if selectScope.select.isAggregate {
                try Self.checkGrouped(expression, keys: selectScope.groupKeys, what: "ORDER BY", at: item.expression.position)
            }
            if selectScope.select.distinct {
                throw SQLError(.columnNotFound, "ORDER BY of a SELECT DISTINCT can only use selected columns", at: item.expression.position)
            }
            bound.append(BoundOrder(target: .expression(expression), ascending: ascending, nullsFirst: item.nullsFirst))
        }
        return bound
    }
}
