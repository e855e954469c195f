/// Answers an aggregate over a table that has an hourly rollup (`system.compute.node_timeline`) from the rollup
/// where it can, so a month of one-minute rows from 100 nodes is 72,000 rollup rows instead of 4.3 million.
///
/// The select becomes an aggregate over a derived relation: the rollup's rows for the whole hours inside the
/// queried time range, UNION ALL the base rows of the partial hours at its edges, each as *partials* (a row
/// count, a sum and a count of non-null values, a minimum, a maximum), which the outer select combines: count is
/// the sum of counts, avg the sum of sums over the sum of counts, min the minimum of minimums. The answer is the
/// one the base table gives, but for the last bits of a floating-point sum, which Spark's own avg does not fix
/// either (its partial sums are added in partition order).
///
/// Only a select that can be answered exactly is rewritten; anything else reads the base table as written:
/// - FROM the table alone, aggregating, without DISTINCT or window functions;
/// - WHERE: conditions on the rollup's key columns, and bounds on the time column against constants;
/// - groups and selected values: key columns, and the time column only through a function constant within an
///   hour (`date_trunc` from HOUR up, `to_date`, `hour`, `year`...; the store's time zone is UTC);
/// - aggregates: count(*), count/min/max of a measure column, sum/avg of a measure column or of a sum or difference
///   of measures of one null group (`cpu_user_percent + cpu_system_percent`).
struct RollupRewrite {
    let context: BindingContext
    let rollup: CatalogRollup
    let alias: String
    /// Type of each base column by storage name.
    let types: [String: SparkType]

    init?(context: BindingContext, select: BoundSelect) {
        guard context.useRollups, select.isAggregate, !select.distinct,
            case .table(let storage, let alias, _)? = select.from,
            let table = context.catalog.tables.first(where: { $0.storage == storage }), let rollup = table.rollup
        else { return nil }
        self.context = context
        self.rollup = rollup
        self.alias = alias
        var types: [String: SparkType] = [:]
        for column in table.columns {
            if case .column(let name) = column.source { types[name] = column.type }
        }
        self.types = types
    }

    /// The rewritten select and ORDER BY, or nil when the select must read the base table.
    func rewrite(_ select: BoundSelect, orderBy: [BoundOrder]) -> (BoundSelect, [BoundOrder])? {
        guard case .table(let storage, _, let filter)? = select.from else { return nil }
        if let filter, !onlyKeys(filter) { return nil }
        // WHERE: key conditions pass to both halves; time bounds become [low, high).
        var keyConditions: [BoundExpression] = []
        var low: Int64?
        var high: Int64?
        for condition in Self.conjuncts(select.whereClause) {
            if onlyKeys(condition) {
                keyConditions.append(condition)
                continue
            }
            guard let bound = timeBound(condition) else { return nil }
            if let from = bound.low { low = max(low ?? from, from) }
            if let until = bound.high { high = min(high ?? until, until) }
        }
        // Whole hours [first, end) come from the rollup, the rest of [low, high) from base rows.
        // Bounds whose hour falls outside 64 bits (a range written to the ends of time) read the base table.
        let size = rollup.bucketMillis
        var first: Int64?
        var end: Int64?
        if let low {
            guard let floor = Self.floor(low, size) else { return nil }
            if floor == low {
                first = low
            } else {
                let (next, overflow) = floor.addingReportingOverflow(size)
                guard !overflow else { return nil }
                first = next
            }
        }
        if let high {
            guard let floor = Self.floor(high, size) else { return nil }
            end = floor
        }
        if let first, let end, first >= end { return nil }

        let derived = context.nextAlias("h")
        var partials = Partials(derived: derived, keys: rollup.keys, types: types, time: rollup.timeColumn)
        var outer = OuterMapper(rewrite: self, partials: partials)
        guard let items = outer.map(select.items), let groupBy = outer.map(select.groupBy) else { return nil }
        var having: BoundExpression?
        if let condition = select.having {
            guard let mapped = outer.map(condition) else { return nil }
            having = mapped
        }
        var order: [BoundOrder] = []
        for item in orderBy {
            var mapped = item
            if case .expression(let expression) = item.target {
                guard let target = outer.map(expression) else { return nil }
                mapped.target = .expression(target)
            }
            order.append(mapped)
        }
        partials = outer.partials

        // The two halves, with the same columns: keys, time, partials.
        let rollupAlias = context.nextAlias("r")
        var rollupConditions = keyConditions.map { Self.retarget($0, from: alias, to: rollupAlias) }
        let rollupTime = BoundExpression.column(relation: rollupAlias, column: rollup.timeColumn, .timestamp)
        if let first { rollupConditions.append(Self.compare(.greaterOrEqual, rollupTime, first)) }
        if let end { rollupConditions.append(Self.compare(.less, rollupTime, end)) }
        let rollupSelect = BoundSelect(
            distinct: false, items: partials.row(relation: rollupAlias, rollup: true),
            from: .table(storage: rollup.storage, alias: rollupAlias, filter: filter.map { Self.retarget($0, from: alias, to: rollupAlias) }),
            whereClause: Self.conjunction(rollupConditions), groupBy: [], having: nil, isAggregate: false)
        var body = BoundBody.select(rollupSelect)
        // The partial hours at the edges, each its own range so that the time index serves it: [low, first) and
        // [end, high).
        for (from, until) in [(low, first), (end, high)] {
            guard let from, let until, from < until else { continue }
            let baseAlias = context.nextAlias("b")
            let baseTime = BoundExpression.column(relation: baseAlias, column: rollup.timeColumn, .timestamp)
            let baseConditions = keyConditions.map { Self.retarget($0, from: alias, to: baseAlias) }
                + [Self.compare(.greaterOrEqual, baseTime, from), Self.compare(.less, baseTime, until)]
            let baseSelect = BoundSelect(
                distinct: false, items: partials.row(relation: baseAlias, rollup: false),
                from: .table(storage: storage, alias: baseAlias, filter: filter.map { Self.retarget($0, from: alias, to: baseAlias) }),
                whereClause: Self.conjunction(baseConditions), groupBy: [], having: nil, isAggregate: false)
            body = .setOperation(.unionAll, body, .select(baseSelect))
        }
        let query = BoundQuery(ctes: [], body: body, orderBy: [], limit: nil, columns: partials.columns)
        let rewritten = BoundSelect(
            distinct: false, items: items, from: .derived(query, alias: derived), whereClause: nil, groupBy: groupBy,
            having: having, isAggregate: true)
        return (rewritten, order)
    }

    // MARK: Conditions

    /// Whether `expression` reads only the rollup's key columns (and constants).
    func onlyKeys(_ expression: BoundExpression) -> Bool {
        switch expression {
        case .column(let relation, let column, _): relation == alias && rollup.keys.contains(column)
        case .literal: true
        case .operation(_, let arguments, _): arguments.allSatisfy(onlyKeys)
        case .caseWhen(let branches, let otherwise, _):
            branches.allSatisfy { onlyKeys($0.condition) && onlyKeys($0.result) } && (otherwise.map(onlyKeys) ?? true)
        case .aggregate, .window, .subquery: false
        }
    }

    /// `time OP constant` (either way round) as a half-open range bound.
    func timeBound(_ condition: BoundExpression) -> (low: Int64?, high: Int64?)? {
        guard case .operation(let comparison, let arguments, _) = condition,
            let (op, column, constant) = Lowering.constantOnRight(comparison, arguments)
        else { return nil }
        guard case .column(let relation, let name, .timestamp) = column, relation == alias, name == rollup.timeColumn,
            let value = Self.timestampConstant(constant)
        else { return nil }
        let (next, overflow) = value.addingReportingOverflow(1)
        switch op {
        case .greaterOrEqual: return (value, nil)
        case .greater: return overflow ? nil : (next, nil)
        case .less: return (nil, value)
        case .lessOrEqual: return overflow ? nil : (nil, next)
        case .equal: return overflow ? nil : (value, next)
        default: return nil
        }
    }

    /// A constant timestamp: a literal, or a date literal read as its midnight (`start_time >= current_date() - 30`).
    static func timestampConstant(_ expression: BoundExpression) -> Int64? {
        switch expression {
        case .literal(.integer(let value), .timestamp): return value
        case .operation(.cast, let arguments, .timestamp):
            guard arguments.count == 1, case .literal(.text(let day), .date) = arguments[0], let epochDay = SparkDateTime.epochDay(of: day) else { return nil }
            let (millis, overflow) = epochDay.multipliedReportingOverflow(by: Lowering.millisecondsPerDay)
            return overflow ? nil : millis
        default: return nil
        }
    }

    static func conjuncts(_ expression: BoundExpression?) -> [BoundExpression] {
        guard let expression else { return [] }
        if case .operation(.and, let arguments, _) = expression { return arguments.flatMap { conjuncts($0) } }
        return [expression]
    }

    static func conjunction(_ conditions: [BoundExpression]) -> BoundExpression? {
        conditions.isEmpty ? nil : conditions.count == 1 ? conditions[0] : .operation(.and, conditions, .boolean)
    }

    static func compare(_ op: Operation, _ time: BoundExpression, _ value: Int64) -> BoundExpression {
        .operation(op, [time, .literal(.integer(value), .timestamp)], .boolean)
    }

    /// The start of `value`'s bucket, or nil when it is below the smallest Int64.
    static func floor(_ value: Int64, _ size: Int64) -> Int64? {
        let (start, overflow) = value.subtractingReportingOverflow(((value % size) + size) % size)
        return overflow ? nil : start
    }

    /// `expression` with its columns of relation `from` read from relation `to` (same column names).
    static func retarget(_ expression: BoundExpression, from: String, to: String) -> BoundExpression {
        switch expression {
        case .column(let relation, let column, let type): .column(relation: relation == from ? to : relation, column: column, type)
        case .literal: expression
        case .operation(let op, let arguments, let type): .operation(op, arguments.map { retarget($0, from: from, to: to) }, type)
        case .caseWhen(let branches, let otherwise, let type):
            .caseWhen(
                branches.map { BoundWhen(condition: retarget($0.condition, from: from, to: to), result: retarget($0.result, from: from, to: to)) },
                otherwise: otherwise.map { retarget($0, from: from, to: to) }, type)
        case .aggregate(let aggregate, let arguments, let distinct, let type):
            .aggregate(aggregate, arguments.map { retarget($0, from: from, to: to) }, distinct: distinct, type)
        case .window, .subquery: expression
        }
    }
}

/// The derived relation's columns: the rollup keys, the time column (an hour's start for rollup rows), then one
/// column per partial the outer select needs, each written once for rollup rows and once for base rows.
struct Partials {
    struct Partial: Equatable {
        /// Over the rollup row (relation placeholder `alias`), and over a base row.
        var rollup: BoundExpression
        var base: BoundExpression
        var type: SparkType
    }
    static let placeholder = "$row"

    let derived: String
    let keys: [String]
    let types: [String: SparkType]
    let time: String
    var list: [Partial] = []

    var columns: [OutputColumn] {
        keys.map { OutputColumn(name: $0, type: types[$0] ?? .string) } + [OutputColumn(name: time, type: .timestamp)]
            + list.indices.map { OutputColumn(name: "partial\($0)", type: list[$0].type) }
    }

    /// The derived relation's column for a key (or the time column).
    func key(_ name: String) -> BoundExpression {
        let index = name == time ? keys.count : keys.firstIndex(of: name)!
        return .column(relation: derived, column: "c\(index)", name == time ? .timestamp : types[name] ?? .string)
    }

    /// Adds a partial (once) and answers the derived relation's column for it.
    mutating func add(_ partial: Partial) -> BoundExpression {
        let index = list.firstIndex(of: partial) ?? {
            list.append(partial)
            return list.count - 1
        }()
        return .column(relation: derived, column: "c\(keys.count + 1 + index)", partial.type)
    }

    /// One select list of the union: keys, time, partials, over `relation`.
    func row(relation: String, rollup: Bool) -> [BoundExpression] {
        keys.map { BoundExpression.column(relation: relation, column: $0, types[$0] ?? .string) }
            + [.column(relation: relation, column: time, .timestamp)]
            + list.map { RollupRewrite.retarget(rollup ? $0.rollup : $0.base, from: Self.placeholder, to: relation) }
    }
}

/// Maps the select's expressions onto the derived relation: key columns and hour-constant functions of the time
/// column to its columns, aggregates to aggregates of partials.
struct OuterMapper {
    let rewrite: RollupRewrite
    var partials: Partials

    static let hourStableUnits: Set<String> = ["YEAR", "YYYY", "YY", "QUARTER", "MONTH", "MM", "MON", "WEEK", "DAY", "DD", "HOUR"]

    mutating func map(_ expressions: [BoundExpression]) -> [BoundExpression]? {
        var mapped: [BoundExpression] = []
        for expression in expressions {
            guard let one = map(expression) else { return nil }
            mapped.append(one)
        }
        return mapped
    }

    mutating func map(_ expression: BoundExpression) -> BoundExpression? {
        switch expression {
        case .column(let relation, let column, _):
            guard relation == rewrite.alias, rewrite.rollup.keys.contains(column) else { return nil }
            return partials.key(column)
        case .literal:
            return expression
        case .operation(let op, let arguments, let type):
            if let timeArgument = hourStableTimeArgument(op, arguments, type) {
                var mapped = arguments
                mapped[timeArgument] = partials.key(rewrite.rollup.timeColumn)
                for index in mapped.indices where index != timeArgument {
                    guard let one = map(arguments[index]) else { return nil }
                    mapped[index] = one
                }
                return .operation(op, mapped, type)
            }
            guard let mapped = map(arguments) else { return nil }
            return .operation(op, mapped, type)
        case .caseWhen(let branches, let otherwise, let type):
            var mapped: [BoundWhen] = []
            for branch in branches {
                guard let condition = map(branch.condition), let result = map(branch.result) else { return nil }
                mapped.append(BoundWhen(condition: condition, result: result))
            }
            var other: BoundExpression?
            if let otherwise {
                guard let one = map(otherwise) else { return nil }
                other = one
            }
            return .caseWhen(mapped, otherwise: other, type)
        case .aggregate(let aggregate, let arguments, let distinct, let type):
            guard !distinct else { return nil }
            return self.aggregate(aggregate, arguments, type)
        case .window, .subquery:
            return nil
        }
    }

    /// The index of the time column among `arguments` when `op` gives the same value for every instant of an hour.
    func hourStableTimeArgument(_ op: Operation, _ arguments: [BoundExpression], _ type: SparkType) -> Int? {
        func isTime(_ index: Int) -> Bool {
            guard index < arguments.count, case .column(let relation, let column, .timestamp) = arguments[index] else { return false }
            return relation == rewrite.alias && column == rewrite.rollup.timeColumn
        }
        switch op {
        case .dateTrunc:
            guard arguments.count == 2, case .literal(.text(let unit), _) = arguments[0], Self.hourStableUnits.contains(unit.uppercased()),
                isTime(1)
            else { return nil }
            return 1
        case .hour:
            return arguments.count == 1 && isTime(0) ? 0 : nil
        case .cast:
            // to_date(), and the date that dayofweek(), month(), year()... are taken of.
            return type == .date && arguments.count == 1 && isTime(0) ? 0 : nil
        default:
            return nil
        }
    }

    mutating func aggregate(_ aggregate: Aggregate, _ arguments: [BoundExpression], _ type: SparkType) -> BoundExpression? {
        let row = Partials.placeholder
        func sum(_ column: BoundExpression, _ type: SparkType) -> BoundExpression { .aggregate(.sum, [column], distinct: false, type) }
        func zeroIfNull(_ value: BoundExpression) -> BoundExpression { .operation(.coalesce, [value, .integer(0, .bigint)], .bigint) }
        switch aggregate {
        case .countStar:
            let count = partials.add(.init(
                rollup: .column(relation: row, column: "row_count", .bigint), base: .integer(1, .bigint), type: .bigint))
            return zeroIfNull(sum(count, .bigint))
        case .count:
            guard let measure = measure(arguments.first) else { return nil }
            let count = partials.add(.init(
                rollup: .column(relation: row, column: measure.name + "_count", .bigint),
                base: .operation(.isNotNull, [.column(relation: row, column: measure.name, measure.type)], .boolean), type: .bigint))
            return zeroIfNull(sum(count, .bigint))
        case .min, .max:
            guard let measure = measure(arguments.first) else { return nil }
            let suffix = aggregate == .min ? "_min" : "_max"
            let extreme = partials.add(.init(
                rollup: .column(relation: row, column: measure.name + suffix, measure.type),
                base: .column(relation: row, column: measure.name, measure.type), type: measure.type))
            return .aggregate(aggregate, [extreme], distinct: false, type)
        case .sum, .avg:
            guard let argument = arguments.first, let first = sumOfMeasures(argument) else { return nil }
            let alias = rewrite.alias
            // Partial sums are REAL (the rollup stores them so, exact to 2^53) so that adding hours never overflows
            // where the base table's sum would not; a BIGINT sum is cast back, failing as the base sum would.
            let rolled = Self.replaceMeasures(argument, alias: alias, suffix: "_sum", type: .double)
            let base = Self.replaceMeasures(argument, alias: alias, suffix: "", type: nil)
            let total = partials.add(.init(
                rollup: rolled, base: argument.type == .double ? base : .operation(.cast, [base], .double), type: .double))
            if aggregate == .sum { return type == .double ? sum(total, .double) : .operation(.cast, [sum(total, .double)], type) }
            guard type == .double else { return nil }
            // A row counts when the summed expression is not null: for a rollup row, when its sums are not null
            // (the group's columns are null together there), its first column's count.
            let count = partials.add(.init(
                rollup: .caseWhen(
                    [BoundWhen(condition: .operation(.isNull, [rolled], .boolean), result: .integer(0, .bigint))],
                    otherwise: .column(relation: row, column: first + "_count", .bigint), .bigint),
                base: .operation(.isNotNull, [base], .boolean), type: .bigint))
            return .operation(.divide, [sum(total, .double), .operation(.nullIf, [sum(count, .bigint), .integer(0, .bigint)], .bigint)], .double)
        case .collectList, .collectSet:
            return nil
        }
    }

    /// A measure column of the base table.
    func measure(_ expression: BoundExpression?) -> (name: String, type: SparkType)? {
        guard case .column(let relation, let name, let type)? = expression, relation == rewrite.alias,
            rewrite.rollup.groups.contains(where: { $0.contains(name) })
        else { return nil }
        return (name, type)
    }

    /// For a measure, or a sum or difference of measures of one null group: the first measure's name.
    func sumOfMeasures(_ expression: BoundExpression) -> String? {
        var names: [String] = []
        func collect(_ expression: BoundExpression) -> Bool {
            if let measure = measure(expression) {
                names.append(measure.name)
                return true
            }
            guard case .operation(let op, let arguments, _) = expression, op == .add || op == .subtract, arguments.count == 2 else { return false }
            return collect(arguments[0]) && collect(arguments[1])
        }
        guard collect(expression), let group = rewrite.rollup.groups.first(where: { $0.contains(names[0]) }),
            names.allSatisfy(group.contains)
        else { return nil }
        return names[0]
    }

    /// `expression` with each base column `m` read as column `m + suffix` of the placeholder row, every value of
    /// type `type` if given.
    static func replaceMeasures(_ expression: BoundExpression, alias: String, suffix: String, type: SparkType?) -> BoundExpression {
        switch expression {
        case .column(let relation, let column, let original) where relation == alias:
            .column(relation: Partials.placeholder, column: column + suffix, type ?? original)
        case .operation(let op, let arguments, let original):
            .operation(op, arguments.map { replaceMeasures($0, alias: alias, suffix: suffix, type: type) }, type ?? original)
        default: expression
        }
    }
}
