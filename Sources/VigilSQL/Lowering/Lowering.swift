import Foundation

/// Spark semantics, applied while binding: literal typing, implicit casts (ANSI), arithmetic on dates and
/// intervals, struct and map access, and constant folding of date arithmetic so that
/// `event_date >= current_date() - 30` compares against one constant. Backend-neutral: emitters only see
/// `Operation`s.
enum Lowering {
    static let millisecondsPerDay: Int64 = 86_400_000

    static func literal(_ literal: Literal, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        switch literal {
        case .null: return .null()
        case .boolean(let value): return .literal(.integer(value ? 1 : 0), .boolean)
        case .string(let value): return .string(value)
        case .number(let text):
            if text.hasSuffix("L") {
                guard let value = Int64(text.dropLast()) else {
                    throw SQLError(
                        .literalOutOfRange,
                        "Numeric literal \(text.dropLast()) is outside the valid range for bigint with minimum value of \(Int64.min) and maximum value of \(Int64.max)",
                        at: position)
                }
                return .integer(value, .bigint)
            }
            if let value = Int64(text) {
                return .integer(value, Int32(exactly: value) != nil ? .int : .bigint)
            }
            let digits = text.hasSuffix("D") ? String(text.dropLast()) : text
            guard let value = Double(digits) else { throw SQLError(.syntax, "invalid number \(text)", at: position) }
            // Spark: a whole number past BIGINT is a DECIMAL of its digits, up to 38 of them.
            if !text.hasSuffix("D"), text.allSatisfy(\.isNumber) {
                let precision = text.drop { $0 == "0" }.count
                guard precision <= 38 else {
                    throw SQLError(.numericOutOfRange, "Decimal precision \(precision) exceeds max precision 38", at: position)
                }
                return .literal(.real(value), .decimal(precision: precision, scale: 0))
            }
            // Spark: `1.5` is DECIMAL(2,1); `1e9` and `1.5D` are DOUBLE.
            if !text.hasSuffix("D"), !text.contains("E"), let dot = text.firstIndex(of: ".") {
                let scale = text.distance(from: text.index(after: dot), to: text.endIndex)
                let integerDigits = text[..<dot].drop { $0 == "0" }.count
                let precision = max(integerDigits + scale, scale, 1)
                if precision <= 38 { return .literal(.real(value), .decimal(precision: precision, scale: scale)) }
            }
            return .literal(.real(value), .double)
        case .date(let text):
            guard let day = SparkDateTime.parseDate(text, pattern: nil) else {
                throw SQLError(.typeMismatch, "'\(text)' is not a valid DATE literal", at: position)
            }
            return .literal(.text(day), .date)
        case .timestamp(let text):
            guard let millis = SparkDateTime.parseTimestamp(text, pattern: nil) else {
                throw SQLError(.typeMismatch, "'\(text)' is not a valid TIMESTAMP literal", at: position)
            }
            return .literal(.integer(millis), .timestamp)
        case .interval(let parts):
            let millis = try intervalMilliseconds(parts, at: position)
            let hasTime = parts.contains { $0.unit != .day }
            return .literal(.integer(millis), .interval(hasTime: hasTime))
        }
    }

    /// The interval's length in milliseconds; INVALID_INTERVAL_FORMAT when it does not fit 64 bits, as Spark
    /// refuses `INTERVAL 9223372036854775807 DAYS`.
    static func intervalMilliseconds(_ parts: [IntervalPart], at position: SourcePosition) throws(SQLError) -> Int64 {
        var total: Int64 = 0
        for part in parts {
            let (scaled, overflowed) = part.amount.multipliedReportingOverflow(by: part.unit.milliseconds)
            let (sum, overflowedSum) = total.addingReportingOverflow(scaled)
            guard !overflowed, !overflowedSum else {
                throw SQLError(.intervalOverflow, "the interval \(part.amount) \(part.unit.rawValue) does not fit in 64-bit milliseconds", at: position)
            }
            total = sum
        }
        return total
    }

    static func unary(_ op: UnaryOperator, _ operand: BoundExpression, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        switch op {
        case .not:
            return .operation(.not, [try coerce(operand, to: .boolean, at: position)], .boolean)
        case .plus:
            return operand
        case .negate:
            if case .literal(.integer(let value), let type) = operand, value != .min, type != .int || value != Int64(Int32.min) {
                // `-2147483648` is an INT in Spark, although 2147483648 alone is a BIGINT.
                return .literal(.integer(-value), value == -Int64(Int32.min) ? .int : type)
            }
            if case .literal(.real(let value), let type) = operand { return .literal(.real(-value), type) }
            let type = operand.type == .string ? SparkType.double : operand.type
            guard type.isNumeric || type == .null || { if case .interval = type { true } else { false } }() else {
                throw SQLError(.typeMismatch, "cannot negate a \(operand.type)", at: position)
            }
            return .operation(.negate, [try coerce(operand, to: type, at: position)], type)
        case .bitNot:
            guard operand.type.isIntegral else { throw SQLError(.typeMismatch, "~ needs an integer, got \(operand.type)", at: position) }
            return .operation(.bitNot, [operand], operand.type)
        }
    }

    static func binary(_ op: BinaryOperator, _ l: BoundExpression, _ r: BoundExpression, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        switch op {
        case .and, .or:
            let operation: Operation = op == .and ? .and : .or
            return .operation(operation, [try coerce(l, to: .boolean, at: position), try coerce(r, to: .boolean, at: position)], .boolean)
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .nullSafeEqual:
            return try comparison(op, l, r, at: position)
        case .add, .subtract:
            return try additive(op == .add, l, r, at: position)
        case .multiply, .remainder:
            var type = try numericResult(l, r, op: op.rawValue, at: position)
            if let (p1, s1) = decimalOperand(l, r, type), let (p2, s2) = decimalShape(r) {
                type = op == .multiply
                    ? SparkType.boundedDecimal(p1 + p2 + 1, s1 + s2)
                    : SparkType.boundedDecimal(min(p1 - s1, p2 - s2) + max(s1, s2), max(s1, s2))
            }
            return .operation(op == .multiply ? .multiply : .remainder, [try coerce(l, to: type, at: position), try coerce(r, to: type, at: position)], type)
        case .divide:
            let wider = try numericResult(l, r, op: "/", at: position)
            // Spark: DECIMAL / DECIMAL (integers widened) is a DECIMAL with at least 6 fractional digits; any DOUBLE
            // or two integers give a DOUBLE.
            if let (p1, s1) = decimalOperand(l, r, wider), let (p2, s2) = decimalShape(r) {
                let scale = max(6, s1 + p2 + 1)
                let type = SparkType.boundedDecimal(p1 - s1 + s2 + scale, scale)
                return .operation(.divide, [l, r], type)
            }
            return .operation(.divide, [try coerce(l, to: .double, at: position), try coerce(r, to: .double, at: position)], .double)
        case .integerDivide:
            let type = try numericResult(l, r, op: "div", at: position)
            guard type.isIntegral else { throw SQLError(.typeMismatch, "div needs integers, got \(l.type) and \(r.type)", at: position) }
            return .operation(.integerDivide, [l, r], .bigint)
        case .concat:
            return .operation(.concat, [try coerce(l, to: .string, at: position), try coerce(r, to: .string, at: position)], .string)
        case .bitAnd, .bitOr, .bitXor:
            let type = try numericResult(l, r, op: op.rawValue, at: position)
            guard type.isIntegral else { throw SQLError(.typeMismatch, "\(op.rawValue) needs integers", at: position) }
            let operation: Operation = op == .bitAnd ? .bitAnd : op == .bitOr ? .bitOr : .bitXor
            return .operation(operation, [l, r], type)
        }
    }

    /// The left operand's decimal shape when the operation is decimal arithmetic (a DECIMAL on either side, no DOUBLE).
    private static func decimalOperand(_ l: BoundExpression, _ r: BoundExpression, _ wider: SparkType) -> (Int, Int)? {
        guard wider.isDecimal, decimalShape(r) != nil else { return nil }
        return decimalShape(l)
    }

    /// An operand's decimal precision and scale. An integer literal takes only the digits it has (Spark's
    /// `DecimalType.fromLiteral`): `7.0 / 2` is DECIMAL(7,6), not the DECIMAL(10,0) an INT column would give.
    static func decimalShape(_ expression: BoundExpression) -> (precision: Int, scale: Int)? {
        if case .literal(.integer(let value), let type) = expression, type.isIntegral {
            return (max(String(value.magnitude).count, 1), 0)
        }
        return expression.type.decimalShape
    }

    private static func numericResult(_ l: BoundExpression, _ r: BoundExpression, op: String, at position: SourcePosition) throws(SQLError) -> SparkType {
        // ANSI: a string operand of arithmetic is cast to DOUBLE.
        let left = l.type == .string ? SparkType.double : l.type
        let right = r.type == .string ? SparkType.double : r.type
        guard (left.isNumeric || left == .null), (right.isNumeric || right == .null) else {
            throw SQLError(.typeMismatch, "cannot apply \(op) to \(l.type) and \(r.type)", at: position)
        }
        return widerNumeric(left, right)
    }

    static func widerNumeric(_ a: SparkType, _ b: SparkType) -> SparkType {
        if a == .double || b == .double { return .double }
        if a.isDecimal || b.isDecimal, let (p1, s1) = a.decimalShape ?? b.decimalShape, let (p2, s2) = b.decimalShape ?? a.decimalShape {
            let scale = max(s1, s2)
            return SparkType.boundedDecimal(max(p1 - s1, p2 - s2) + scale, scale)
        }
        if a == .bigint || b == .bigint { return .bigint }
        if a == .null && b == .null { return .int }
        return .int
    }

    /// `+` and `-`, including Spark's date arithmetic: DATE ± INT days (DateAdd/DateSub), DATE ± day interval
    /// (still a DATE), DATE or TIMESTAMP ± interval with a time part (a TIMESTAMP), DATE − DATE (days).
    private static func additive(_ isAdd: Bool, _ l: BoundExpression, _ r: BoundExpression, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        let sign: Int64 = isAdd ? 1 : -1
        switch (l.type, r.type) {
        case (.date, let t) where t.isIntegral:
            return dateAddDays(l, isAdd ? r : negated(r))
        case (let t, .date) where t.isIntegral && isAdd:
            return dateAddDays(r, l)
        case (.date, .interval(let hasTime)):
            if !hasTime, case .literal(.integer(let millis), _) = r {
                return dateAddDays(l, .integer(sign * (millis / millisecondsPerDay)))
            }
            return try timestampAdd(try coerce(l, to: .timestamp, at: position), r, sign: sign, at: position)
        case (.timestamp, .interval):
            return try timestampAdd(l, r, sign: sign, at: position)
        case (.interval, .date) where isAdd, (.interval, .timestamp) where isAdd:
            return try additive(true, r, l, at: position)
        case (.interval(let a), .interval(let b)):
            return .operation(isAdd ? .add : .subtract, [l, r], .interval(hasTime: a || b))
        case (.date, .date) where !isAdd:
            return .operation(.dateDiffDays, [l, r], .interval(hasTime: false))
        case (.timestamp, .timestamp) where !isAdd, (.timestamp, .date) where !isAdd, (.date, .timestamp) where !isAdd:
            return .operation(
                .timestampDiffMilliseconds, [try coerce(l, to: .timestamp, at: position), try coerce(r, to: .timestamp, at: position)],
                .interval(hasTime: true))
        default:
            var type = try numericResult(l, r, op: isAdd ? "+" : "-", at: position)
            if let (p1, s1) = decimalOperand(l, r, type), let (p2, s2) = decimalShape(r) {
                let scale = max(s1, s2)
                type = SparkType.boundedDecimal(max(p1 - s1, p2 - s2) + scale + 1, scale)
            }
            return .operation(isAdd ? .add : .subtract, [try coerce(l, to: type, at: position), try coerce(r, to: type, at: position)], type)
        }
    }

    static func negated(_ value: BoundExpression) -> BoundExpression {
        if case .literal(.integer(let number), let type) = value, number != .min { return .literal(.integer(-number), type) }
        return .operation(.negate, [value], value.type)
    }

    /// A constant date plus constant days is folded when the result is a date Vigil can hold; otherwise SQLite
    /// computes it (and answers NULL for a day out of its range).
    static func dateAddDays(_ date: BoundExpression, _ days: BoundExpression) -> BoundExpression {
        if case .literal(.text(let day), .date) = date, let epochDay = SparkDateTime.epochDay(of: day),
            case .literal(.integer(let amount), _) = days
        {
            let (sum, overflow) = epochDay.addingReportingOverflow(amount)
            if !overflow, SparkDateTime.epochDayRange.contains(sum) {
                return .literal(.text(SparkDateTime.dayString(epochDay: sum)), .date)
            }
        }
        return .operation(.dateAddDays, [date, days], .date)
    }

    static func timestampAdd(
        _ timestamp: BoundExpression, _ interval: BoundExpression, sign: Int64, at position: SourcePosition
    ) throws(SQLError) -> BoundExpression {
        if case .literal(.integer(let base), .timestamp) = timestamp, case .literal(.integer(let millis), _) = interval {
            let (sum, overflow) = base.addingReportingOverflow(sign == 1 ? millis : (millis == .min ? .max : -millis))
            guard !overflow else { throw SQLError(.arithmeticOverflow, "long overflow", at: position) }
            return .literal(.integer(sum), .timestamp)
        }
        let amount: BoundExpression =
            if case .literal(.integer(let millis), let type) = interval { .literal(.integer(sign * millis), type) }
            else if sign < 0 { .operation(.negate, [interval], interval.type) } else { interval }
        return .operation(.timestampAddMilliseconds, [timestamp, amount], .timestamp)
    }

    static func comparison(_ op: BinaryOperator, _ l: BoundExpression, _ r: BoundExpression, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        guard let type = commonType(l.type, r.type, forComparison: true) else {
            throw SQLError(.typeMismatch, "cannot compare \(l.type) with \(r.type)", at: position)
        }
        let operation: Operation =
            switch op {
            case .equal: .equal
            case .notEqual: .notEqual
            case .less: .less
            case .lessOrEqual: .lessOrEqual
            case .greater: .greater
            case .greaterOrEqual: .greaterOrEqual
            default: .nullSafeEqual
            }
        return .operation(operation, [try coerce(l, to: type, at: position), try coerce(r, to: type, at: position)], .boolean)
    }

    /// The type two values are compared or combined in (Spark ANSI coercion, simplified to Vigil's types).
    static func commonType(_ a: SparkType, _ b: SparkType, forComparison: Bool) -> SparkType? {
        if a == b { return a }
        if a == .null { return b }
        if b == .null { return a }
        if a.isNumeric && b.isNumeric { return widerNumeric(a, b) }
        switch (a, b) {
        case (.string, let other) where other.isNumeric, (let other, .string) where other.isNumeric:
            return forComparison ? (other == .double ? .double : .bigint) : .string
        case (.string, .date), (.date, .string): return forComparison ? .date : .string
        case (.string, .timestamp), (.timestamp, .string): return forComparison ? .timestamp : .string
        case (.date, .timestamp), (.timestamp, .date): return .timestamp
        case (.string, .boolean), (.boolean, .string): return forComparison ? .boolean : .string
        case (.array(let x), .array(let y)): return commonType(x, y, forComparison: forComparison).map { .array($0) }
        case (.interval(let x), .interval(let y)): return .interval(hasTime: x || y)
        default: return nil
        }
    }

    static func commonType(of expressions: [BoundExpression], comparison: Bool = false, at position: SourcePosition) throws(SQLError) -> SparkType {
        var type = SparkType.null
        for expression in expressions {
            guard let common = commonType(type, expression.type, forComparison: comparison) else {
                throw SQLError(.typeMismatch, "\(type) and \(expression.type) have no common type", at: position)
            }
            type = common
        }
        return type
    }

    /// An implicit cast. Constants are converted now (and a bad constant is an error with its position); other
    /// values get a CAST operation.
    static func coerce(_ expression: BoundExpression, to type: SparkType, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        let from = expression.type
        if from == type { return expression }
        if case .literal(.null, _) = expression { return .null(type) }
        if from.isNumeric && type.isNumeric {
            if case .literal(let value, _) = expression {
                if type == .double, case .integer(let number) = value { return .literal(.real(Double(number)), type) }
                return .literal(value, type)
            }
            return type == .double ? .operation(.cast, [expression], type) : retype(expression, type)
        }
        if case .interval = from, case .interval = type { return retype(expression, type) }
        if type == .boolean, from != .string {
            throw SQLError(.typeMismatch, "expected a BOOLEAN, got \(from)", at: position)
        }
        return try cast(expression, to: type, at: position)
    }

    private static func retype(_ expression: BoundExpression, _ type: SparkType) -> BoundExpression {
        switch expression {
        case .column(let relation, let column, _): .column(relation: relation, column: column, type)
        case .literal(let value, _): .literal(value, type)
        case .operation(let op, let arguments, let old):
            // An integral operation keeps its type, so its overflow check stays at its width (Spark computes
            // `int * int` in 32 bits, then widens); the widening is a cast around it.
            old.isIntegral && old != type ? .operation(.cast, [expression], type) : .operation(op, arguments, type)
        case .caseWhen(let branches, let otherwise, _): .caseWhen(branches, otherwise: otherwise, type)
        case .aggregate(let aggregate, let arguments, let distinct, _): .aggregate(aggregate, arguments, distinct: distinct, type)
        case .window(let call, _): .window(call, type)
        case .subquery(let subquery, _): .subquery(subquery, type)
        }
    }

    /// An explicit `CAST(x AS type)`, folded when `x` is a constant.
    static func cast(_ expression: BoundExpression, to type: SparkType, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        let from = expression.type
        if from == type { return expression }
        if case .literal(.null, _) = expression { return .null(type) }
        if case .literal(.text(let text), .string) = expression {
            // A constant string is converted now; one that does not convert is Spark's CAST_INVALID_INPUT.
            func invalid() -> SQLError {
                SQLError(
                    .castInvalidInput,
                    "The value '\(text.prefix(256))' of the type \"STRING\" cannot be cast to \"\(type)\" because it is malformed",
                    at: position)
            }
            switch type {
            case .date:
                guard let day = SparkDateTime.parseDate(text, pattern: nil) else { throw invalid() }
                return .literal(.text(day), .date)
            case .timestamp:
                guard let millis = SparkDateTime.parseTimestamp(text, pattern: nil) else { throw invalid() }
                return .literal(.integer(millis), .timestamp)
            case .int, .bigint:
                guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), type == .bigint || Int32(exactly: value) != nil else {
                    throw invalid()
                }
                return .literal(.integer(value), type)
            case .double:
                guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else { throw invalid() }
                return .literal(.real(value), type)
            case .boolean:
                switch text.trimmingCharacters(in: .whitespaces).lowercased() {
                case "true", "t", "yes", "y", "1": return .literal(.integer(1), .boolean)
                case "false", "f", "no", "n", "0": return .literal(.integer(0), .boolean)
                default: throw invalid()
                }
            default:
                break
            }
        }
        switch (from, type) {
        case (_, .string),
            (.string, .int), (.string, .bigint), (.string, .double), (.string, .date), (.string, .timestamp), (.string, .boolean),
            (.date, .timestamp), (.timestamp, .date), (.int, .bigint), (.bigint, .int), (.int, .double), (.bigint, .double),
            (.double, .int), (.double, .bigint), (.boolean, .int), (.boolean, .bigint), (.int, .boolean), (.bigint, .boolean),
            (_, .decimal) where from.isNumeric || from == .string, (.decimal, .int), (.decimal, .bigint), (.decimal, .double),
            (.timestamp, .bigint), (.bigint, .timestamp), (.null, _):
            return .operation(.cast, [expression], type)
        default:
            throw SQLError(.typeMismatch, "cannot cast \(from) to \(type)", at: position)
        }
    }

    static func extractField(_ base: BoundExpression, name: String, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        switch base.type {
        case .struct(let fields):
            guard let index = fields.firstIndex(where: { $0.name == name }) ?? fields.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else {
                throw SQLError(
                    .fieldNotFound, "no field \(name) in \(base.type); fields: \(fields.map(\.name).joined(separator: ", "))", at: position)
            }
            // A flattened base-table struct: read the field's own column (and its index) directly.
            if case .operation(.makeStruct, let arguments, _) = base { return arguments[index] }
            return .operation(.structField(fields[index].name), [base], fields[index].type)
        case .map(let keyType, let valueType):
            guard keyType == .string else {
                throw SQLError(.typeMismatch, "\(name) cannot look up a key of a \(base.type) by name; use [key]", at: position)
            }
            return .operation(.mapGet, [base, .string(name)], valueType)
        default:
            throw SQLError(.fieldNotFound, "cannot read field \(name) of a \(base.type)", at: position)
        }
    }

    static func subscriptValue(_ base: BoundExpression, _ key: BoundExpression, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        switch base.type {
        case .struct:
            guard case .literal(.text(let name), _) = key else {
                throw SQLError(.typeMismatch, "a struct field must be named by a string constant", at: position)
            }
            return try extractField(base, name: name, at: position)
        case .map(let keyType, let valueType):
            return .operation(.mapGet, [base, try coerce(key, to: keyType, at: position)], valueType)
        case .array(let element):
            return .operation(.arrayGet, [base, try coerce(key, to: .int, at: position)], element)
        case .null:
            return .null()
        default:
            throw SQLError(.typeMismatch, "cannot subscript a \(base.type)", at: position)
        }
    }

    /// A comparison of two operands with a literal, if there is one, on the right: `5 < x` becomes `x > 5`.
    static func constantOnRight(_ op: Operation, _ arguments: [BoundExpression]) -> (Operation, BoundExpression, BoundExpression)? {
        guard arguments.count == 2 else { return nil }
        guard case .literal = arguments[0] else { return (op, arguments[0], arguments[1]) }
        let mirrored: Operation =
            switch op {
            case .less: .greater
            case .lessOrEqual: .greaterOrEqual
            case .greater: .less
            case .greaterOrEqual: .lessOrEqual
            default: op
            }
        return (mirrored, arguments[1], arguments[0])
    }

    /// Rewrites `event_date <op> constant date` into a range on `event_time`, which is indexed; the result is the
    /// same because `event_date` is the UTC day of `event_time`.
    static func rangeOnTimestamp(_ expression: BoundExpression, context: BindingContext) -> BoundExpression {
        guard case .operation(let op, let arguments, let type) = expression else { return expression }
        if op == .and || op == .or {
            return .operation(op, arguments.map { rangeOnTimestamp($0, context: context) }, type)
        }
        guard let (operation, column, constant) = constantOnRight(op, arguments) else { return expression }
        guard case .column(let relation, let name, .date) = column, let timestampColumn = context.derivedDates[name],
            case .literal(.text(let day), .date) = constant, let epochDay = SparkDateTime.epochDay(of: day)
        else { return expression }
        let time = BoundExpression.column(relation: relation, column: timestampColumn, .timestamp)
        let start = BoundExpression.literal(.integer(epochDay * millisecondsPerDay), .timestamp)
        let next = BoundExpression.literal(.integer((epochDay + 1) * millisecondsPerDay), .timestamp)
        switch operation {
        case .greaterOrEqual: return .operation(.greaterOrEqual, [time, start], .boolean)
        case .greater: return .operation(.greaterOrEqual, [time, next], .boolean)
        case .less: return .operation(.less, [time, start], .boolean)
        case .lessOrEqual: return .operation(.less, [time, next], .boolean)
        case .equal:
            return .operation(.and, [.operation(.greaterOrEqual, [time, start], .boolean), .operation(.less, [time, next], .boolean)], .boolean)
        default: return expression
        }
    }
}
