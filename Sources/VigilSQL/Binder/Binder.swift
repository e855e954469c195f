/// Resolves a parsed query against the catalog: names become storage columns, types are inferred as Spark
/// infers them, Spark functions are lowered (see `Lowering`), and anything that cannot be resolved is an
/// error pointing at the name.
struct Binder {
    let context: BindingContext
    /// CTEs visible here, innermost last: Spark name (lower-cased) → internalName name and bound query.
    var ctes: [(name: String, internalName: String, query: BoundQuery)] = []

    init(context: BindingContext) {
        self.context = context
    }

    func bind(_ query: Query, outer: Scope?) throws(SQLError) -> BoundQuery {
        var binder = self
        var boundCTEs: [BoundCTE] = []
        for cte in query.ctes {
            var bound = try binder.bind(cte.query, outer: outer)
            if !cte.columnNames.isEmpty {
                guard cte.columnNames.count == bound.columns.count else {
                    throw SQLError(
                        .syntax, "CTE \(cte.name) names \(cte.columnNames.count) columns, its query returns \(bound.columns.count)",
                        at: cte.name.position)
                }
                for (index, name) in cte.columnNames.enumerated() { bound.columns[index].name = name.name }
            }
            let internalName = context.nextAlias("cte")
            boundCTEs.append(BoundCTE(name: internalName, query: bound))
            binder.ctes.append((cte.name.lowered, internalName, bound))
        }
        var (body, columns, selectScope) = try binder.bindBody(query.body, outer: outer)
        var orderBy: [BoundOrder] = []
        if !query.orderBy.isEmpty {
            orderBy = try binder.bindOrderBy(query.orderBy, columns: columns, body: &body, selectScope: selectScope)
        }
        if case .select(let select) = body, let rewrite = RollupRewrite(context: context, select: select),
            let (rewritten, order) = rewrite.rewrite(select, orderBy: orderBy)
        {
            body = .select(rewritten)
            orderBy = order
        }
        var limit: Int64?
        if let expression = query.limit {
            let bound = try binder.bindExpression(expression, scope: Scope(), allowAggregates: false)
            guard case .literal(let value, let type) = bound, type.isIntegral, let number = value.integer, number >= 0 else {
                throw SQLError(.typeMismatch, "LIMIT needs a non-negative integer constant", at: expression.position)
            }
            limit = number
        }
        return BoundQuery(ctes: boundCTEs, body: body, orderBy: orderBy, limit: limit, columns: columns)
    }

    /// Binds a query body; for a plain SELECT also returns the scope of its FROM clause, so ORDER BY can use it.
    func bindBody(_ body: QueryBody, outer: Scope?) throws(SQLError) -> (BoundBody, [OutputColumn], SelectScope?) {
        switch body {
        case .select(let select):
            let (bound, columns, scope) = try bindSelect(select, outer: outer)
            return (.select(bound), columns, scope)
        case .nested(let query):
            let bound = try bind(query, outer: outer)
            return (.nested(bound), bound.columns, nil)
        case .setOperation(let op, let left, let right):
            let (leftBody, leftColumns, _) = try bindBody(left, outer: outer)
            let (rightBody, rightColumns, _) = try bindBody(right, outer: outer)
            guard leftColumns.count == rightColumns.count else {
                throw SQLError(
                    .typeMismatch,
                    "\(op.rawValue) needs the same number of columns on both sides: \(leftColumns.count) and \(rightColumns.count)")
            }
            var columns = leftColumns
            for index in columns.indices {
                let right = rightColumns[index].type
                guard let common = Lowering.commonType(columns[index].type, right, forComparison: false) else {
                    throw SQLError(
                        .typeMismatch,
                        "\(op.rawValue) column \(index + 1) is \(columns[index].type) on the left and \(right) on the right")
                }
                columns[index].type = common
            }
            return (.setOperation(op, leftBody, rightBody), columns, nil)
        }
    }
}

/// What ORDER BY of a plain SELECT may still see: its FROM scope and the bound select.
struct SelectScope {
    var scope: Scope
    var select: BoundSelect
    var groupKeys: [BoundExpression]
}
