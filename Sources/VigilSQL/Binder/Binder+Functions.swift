/// The function library: Spark's name, arity and result type, lowered to operations. An unknown name is
/// refused (UNRESOLVED_ROUTINE), never passed through to the backend.
extension Binder {
    func bindFunction(_ call: FunctionCall, at position: SourcePosition, scope: Scope, allowAggregates: Bool) throws(SQLError) -> BoundExpression {
        let name = call.name.lowered
        if Self.generatorNames.contains(name) {
            throw SQLError(.unsupported, "\(name) is only allowed as a whole select item or in LATERAL VIEW", at: position)
        }
        if let window = call.window {
            return try bindWindowFunction(call, spec: window, at: position, scope: scope)
        }
        if name == "count_if" {
            guard allowAggregates else { throw SQLError(.invalidGrouping, "aggregate function count_if is not allowed here", at: position) }
            guard call.arguments.count == 1, !call.star, call.window == nil else {
                throw SQLError(.wrongArguments, "count_if takes one boolean argument", at: position)
            }
            let condition = try Lowering.coerce(try bindExpression(call.arguments[0], scope: scope, allowAggregates: false), to: .boolean, at: position)
            // count() of a CASE without ELSE: 0, not NULL, over no rows, as Spark.
            return .aggregate(.count, [.caseWhen([BoundWhen(condition: condition, result: .integer(1))], otherwise: nil, .int)], distinct: false, .bigint)
        }
        if let aggregate = Self.aggregates[name] {
            guard allowAggregates else {
                throw SQLError(.invalidGrouping, "aggregate function \(name) is not allowed here", at: position)
            }
            return try bindAggregate(aggregate, call: call, at: position, scope: scope)
        }
        if Self.windowOnly.contains(name) {
            throw SQLError(.syntax, "\(name) needs an OVER (...) clause", at: position)
        }
        if call.star || call.distinct {
            throw SQLError(.syntax, "\(name) is not an aggregate; * and DISTINCT are not allowed", at: position)
        }
        var arguments: [BoundExpression] = []
        for argument in call.arguments {
            arguments.append(try bindExpression(argument, scope: scope, allowAggregates: allowAggregates))
        }
        return try FunctionLibrary.scalar(name, arguments, call: call, at: position, context: context)
    }

    static let aggregates: [String: Aggregate] = [
        "count": .count, "sum": .sum, "avg": .avg, "mean": .avg, "min": .min, "max": .max,
        "collect_list": .collectList, "array_agg": .collectList, "collect_set": .collectSet,
        "approx_count_distinct": .count, "first": .min, "any_value": .min,
    ]
    static let windowOnly: Set<String> = ["row_number", "rank", "dense_rank", "lag", "lead"]

    private func bindAggregate(_ aggregate: Aggregate, call: FunctionCall, at position: SourcePosition, scope: Scope) throws(SQLError) -> BoundExpression {
        let name = call.name.lowered
        if call.star {
            guard aggregate == .count else { throw SQLError(.syntax, "only count takes *", at: position) }
            return .aggregate(.countStar, [], distinct: false, .bigint)
        }
        guard call.arguments.count == 1 || (name == "approx_count_distinct" && call.arguments.count == 2) else {
            throw SQLError(.wrongArguments, "\(name) takes one argument, got \(call.arguments.count)", at: position)
        }
        let argument = try bindExpression(call.arguments[0], scope: scope, allowAggregates: false)
        if argument.isAggregate {
            throw SQLError(.invalidGrouping, "aggregate functions cannot be nested", at: call.arguments[0].position)
        }
        let distinct = call.distinct || name == "approx_count_distinct"
        if name == "first" || name == "any_value" {
            // first()/any_value() pick an arbitrary value of the group; min() is one such value and deterministic.
            return .aggregate(.min, [argument], distinct: false, argument.type)
        }
        switch aggregate {
        case .count, .countStar:
            // count(1) and count(<constant>) count rows.
            if case .literal(let value, _) = argument, !value.isNull, !distinct { return .aggregate(.countStar, [], distinct: false, .bigint) }
            return .aggregate(.count, [argument], distinct: distinct, .bigint)
        case .sum, .avg:
            let input = argument.type == .string ? SparkType.double : argument.type
            guard input.isNumeric || input == .null else {
                throw SQLError(.typeMismatch, "\(name) needs a number, got \(argument.type)", at: call.arguments[0].position)
            }
            let coerced = try Lowering.coerce(argument, to: input == .null ? .double : input, at: position)
            var type: SparkType = aggregate == .avg ? .double : (input == .double ? .double : .bigint)
            // Spark: sum(DECIMAL(p,s)) is DECIMAL(p+10,s); avg(DECIMAL(p,s)) is DECIMAL(p+4,s+4).
            if case .decimal(let precision, let scale) = input {
                type = aggregate == .avg ? SparkType.boundedDecimal(precision + 4, scale + 4) : SparkType.boundedDecimal(precision + 10, scale)
            }
            return .aggregate(aggregate, [coerced], distinct: distinct, type)
        case .min, .max:
            return .aggregate(aggregate, [argument], distinct: false, argument.type)
        case .collectList, .collectSet:
            return .aggregate(aggregate, [argument], distinct: distinct || aggregate == .collectSet, .array(argument.type))
        }
    }

    private func bindWindowFunction(_ call: FunctionCall, spec: WindowSpec, at position: SourcePosition, scope: Scope) throws(SQLError) -> BoundExpression {
        let name = call.name.lowered
        var partition: [BoundExpression] = []
        for expression in spec.partitionBy {
            partition.append(try bindExpression(expression, scope: scope, allowAggregates: true))
        }
        var order: [BoundOrder] = []
        for item in spec.orderBy {
            let expression = try bindExpression(item.expression, scope: scope, allowAggregates: true)
            order.append(BoundOrder(target: .expression(expression), ascending: item.ascending ?? true, nullsFirst: item.nullsFirst))
        }
        var arguments: [BoundExpression] = []
        for argument in call.arguments {
            arguments.append(try bindExpression(argument, scope: scope, allowAggregates: true))
        }
        let function: WindowCall.Function
        let type: SparkType
        switch name {
        case "row_number", "rank", "dense_rank":
            guard arguments.isEmpty else { throw SQLError(.wrongArguments, "\(name) takes no arguments", at: position) }
            guard !order.isEmpty || name == "row_number" else {
                throw SQLError(.syntax, "\(name) needs ORDER BY in its window", at: position)
            }
            function = name == "row_number" ? .rowNumber : name == "rank" ? .rank : .denseRank
            type = .int
        case "lag", "lead":
            guard (1...3).contains(arguments.count) else {
                throw SQLError(.wrongArguments, "\(name) takes 1 to 3 arguments (value, offset, default)", at: position)
            }
            if arguments.count >= 2 {
                guard case .literal(_, let offsetType) = arguments[1], offsetType.isIntegral else {
                    throw SQLError(.typeMismatch, "the offset of \(name) must be an integer constant", at: position)
                }
            }
            if arguments.count == 3 { arguments[2] = try Lowering.coerce(arguments[2], to: arguments[0].type, at: position) }
            function = name == "lag" ? .lag : .lead
            type = arguments[0].type
        default:
            guard let aggregate = Self.aggregates[name] else {
                throw SQLError(.functionNotFound, "\(name) is not a window function", at: position)
            }
            let bound = try bindAggregate(aggregate, call: FunctionCall(name: call.name, arguments: call.arguments, distinct: call.distinct, star: call.star, window: nil), at: position, scope: scope)
            guard case .aggregate(let resolved, let boundArguments, let distinct, let resultType) = bound else { return bound }
            function = .aggregate(resolved, distinct: distinct)
            arguments = boundArguments
            type = resultType
        }
        return .window(WindowCall(function: function, arguments: arguments, partitionBy: partition, orderBy: order, frame: spec.frame), type)
    }
}
