/// A resolved, typed expression. Names are gone (columns point at a relation alias and a storage column),
/// Spark's functions are lowered to backend-neutral operations, and every literal is a value to bind.
public indirect enum BoundExpression: Sendable, Hashable {
    case column(relation: String, column: String, SparkType)
    case literal(SQLValue, SparkType)
    case operation(Operation, [BoundExpression], SparkType)
    case caseWhen([BoundWhen], otherwise: BoundExpression?, SparkType)
    case aggregate(Aggregate, [BoundExpression], distinct: Bool, SparkType)
    case window(WindowCall, SparkType)
    case subquery(BoundSubquery, SparkType)

    public var type: SparkType {
        switch self {
        case .column(_, _, let type), .literal(_, let type), .operation(_, _, let type), .caseWhen(_, _, let type),
            .aggregate(_, _, _, let type), .window(_, let type), .subquery(_, let type):
            type
        }
    }

    public var isAggregate: Bool {
        switch self {
        case .aggregate: true
        case .column, .literal, .window, .subquery: false
        case .operation(_, let arguments, _): arguments.contains { $0.isAggregate }
        case .caseWhen(let branches, let otherwise, _):
            branches.contains { $0.condition.isAggregate || $0.result.isAggregate } || (otherwise?.isAggregate ?? false)
        }
    }

    public var containsWindow: Bool {
        switch self {
        case .window: true
        case .column, .literal, .aggregate, .subquery: false
        case .operation(_, let arguments, _): arguments.contains { $0.containsWindow }
        case .caseWhen(let branches, let otherwise, _):
            branches.contains { $0.condition.containsWindow || $0.result.containsWindow } || (otherwise?.containsWindow ?? false)
        }
    }

    static func null(_ type: SparkType = .null) -> BoundExpression { .literal(.null, type) }
    static func string(_ value: String) -> BoundExpression { .literal(.text(value), .string) }
    static func integer(_ value: Int64, _ type: SparkType = .int) -> BoundExpression { .literal(.integer(value), type) }
}

public struct BoundWhen: Sendable, Hashable {
    public var condition: BoundExpression
    public var result: BoundExpression
}

public enum Aggregate: String, Sendable, Hashable {
    case count, countStar, sum, avg, min, max, collectList, collectSet
}

public struct WindowCall: Sendable, Hashable {
    public enum Function: Sendable, Hashable {
        case rowNumber, rank, denseRank
        case lag, lead
        case aggregate(Aggregate, distinct: Bool)
    }
    public var function: Function
    public var arguments: [BoundExpression]
    public var partitionBy: [BoundExpression]
    public var orderBy: [BoundOrder]
    public var frame: WindowFrame?
}


public struct BoundOrder: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        /// The n-th output column (0-based): ORDER BY an alias, an ordinal or a repeated select expression.
        case output(Int)
        case expression(BoundExpression)
    }
    public var target: Target
    public var ascending: Bool
    public var nullsFirst: Bool?
}

public struct BoundSubquery: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case scalar
        case exists
        case `in`(BoundExpression, negated: Bool)
    }
    public var kind: Kind
    public var query: BoundQuery
}

/// The backend-neutral operations Spark's functions are lowered to. Each emitter says how to write them.
public enum Operation: Sendable, Hashable {
    // Logic and comparison (three-valued, as in SQL).
    case and, or, not
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual, nullSafeEqual
    case isNull, isNotNull
    case inList(negated: Bool)
    // Arithmetic on numbers of the result type.
    case add, subtract, multiply, negate, remainder, bitAnd, bitOr, bitXor, bitNot
    /// `/`: always fractional; division by zero is an error (ANSI).
    case divide
    /// `DIV`: integral quotient.
    case integerDivide
    // Strings.
    case concat, lower, upper, trim, leftTrim, rightTrim, length, instr
    /// substring(str, pos[, len]) with Spark's 1-based, negative-from-end positions.
    case substring
    case like(caseInsensitive: Bool), rlike
    case regexpExtract, regexpReplace, split, mask
    case coalesce, nullIf
    case greatest, least
    case abs, round, floor, ceil
    /// CAST from the argument's type to the result type.
    case cast
    // Dates and times (DATE is a calendar day, TIMESTAMP milliseconds since the epoch, UTC).
    case dateAddDays
    case timestampAddMilliseconds
    case dateDiffDays
    case timestampDiffMilliseconds
    case dateTrunc
    case dateFormat
    case toDate, toTimestamp
    case hour, minute, second, dayOfWeek, dayOfMonth, month, year
    case fromUnixTime, unixTimestamp
    /// window(ts, size): the tumbling window `{start, end}` holding ts.
    case timeWindow(milliseconds: Int64)
    // Complex values.
    /// A struct from its fields in order; `presenceBit` (base table structs) makes it NULL when the stored
    /// row had a null struct.
    case makeStruct(names: [String], presenceBit: Int?)
    case structField(String)
    case mapGet
    /// array[index], 0-based.
    case arrayGet
    case size, arrayContains, mapKeys, mapValues, arrayMin, arrayMax
    /// sort_array(a, ascending): NULLs first when ascending, last when descending.
    case sortArray(ascending: Bool)
    /// array_sort(a): ascending, NULLs last.
    case arraySort
    /// array_distinct(a): first occurrences, in order.
    case arrayDistinct
    /// concat_ws(sep, ...): NULL arguments skipped; array arguments contribute their elements.
    case concatWithSeparator
    case getJSONObject
    case fromJSON(SparkType)
    case toJSON
}
