import Foundation

/// An ANSI runtime error of a Spark function, carried through SQLite as `[CODE] message` and turned back into
/// an `SQLError` with that code by the store.
public struct SparkRuntimeError: Error, Sendable, CustomStringConvertible {
    public var code: SQLError.Code
    public var message: String

    public init(_ code: SQLError.Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "[\(code.rawValue)] \(message)" }

    /// Reads `[CODE] message` back; nil for text that does not start with a bracketed code.
    public static func parse(_ text: String) -> SparkRuntimeError? {
        guard text.hasPrefix("["), let close = text.firstIndex(of: "]") else { return nil }
        let code = text[text.index(after: text.startIndex)..<close]
        guard !code.isEmpty, code.allSatisfy({ $0.isUppercase || $0 == "_" || $0 == "." || $0.isNumber }) else { return nil }
        let message = text[text.index(after: close)...].drop { $0 == " " }
        return SparkRuntimeError(SQLError.Code(rawValue: String(code)), String(message))
    }

    public static func overflow(_ width: Int) -> SparkRuntimeError {
        SparkRuntimeError(.arithmeticOverflow, "overflow: the result does not fit in \(width == 32 ? "INT (32 bits)" : "BIGINT (64 bits)")")
    }

    public static let divideByZero = SparkRuntimeError(.divideByZero, "Division by zero")
    public static let remainderByZero = SparkRuntimeError(.remainderByZero, "Remainder by zero")
    /// The statement's time limit passed or it was canceled while a function ran; the store reports which.
    public static let stopped = SparkRuntimeError(.canceled, "the statement was stopped while a function ran")
}

/// Spark's ANSI integer and decimal rules on the values SQLite hands over: overflow is an error, never a wrap,
/// a saturation or a silent REAL. Every function here is total: no input traps.
public enum SparkArithmetic {
    static func range(_ width: Int) -> ClosedRange<Int64> {
        width == 32 ? Int64(Int32.min)...Int64(Int32.max) : Int64.min...Int64.max
    }

    /// The result of integer `+ - *` (computed by SQLite): a REAL means SQLite overflowed 64 bits.
    public static func checkIntegral(_ value: SQLValue, width: Int) throws(SparkRuntimeError) -> SQLValue {
        switch value {
        case .integer(let number):
            guard range(width).contains(number) else { throw .overflow(width) }
            return value
        case .real:
            throw .overflow(width)
        case .null, .text:
            return value
        }
    }

    /// `a % b`: the sign of the dividend, DIVIDE_BY_ZERO for zero, doubles by fmod.
    public static func remainder(_ left: SQLValue, _ right: SQLValue) throws(SparkRuntimeError) -> SQLValue {
        switch (left, right) {
        case (.null, _), (_, .null): return .null
        case (.integer(let a), .integer(let b)):
            guard b != 0 else { throw .remainderByZero }
            return .integer(a.remainderReportingOverflow(dividingBy: b).partialValue)
        default:
            guard let a = left.number, let b = right.number else { return .null }
            guard b != 0 else { throw .remainderByZero }
            return .real(fmod(a, b))
        }
    }

    /// `a DIV b`: the integral quotient, truncated toward zero.
    public static func integerDivide(_ left: SQLValue, _ right: SQLValue) throws(SparkRuntimeError) -> SQLValue {
        switch (left, right) {
        case (.null, _), (_, .null): return .null
        case (.integer(let a), .integer(let b)):
            guard b != 0 else { throw .divideByZero }
            let (quotient, overflow) = a.dividedReportingOverflow(by: b)
            guard !overflow else { throw SparkRuntimeError(.arithmeticOverflow, "Overflow in integral divide") }
            return .integer(quotient)
        default:
            guard let a = left.number, let b = right.number else { return .null }
            guard b != 0 else { throw .divideByZero }
            return try castIntegral(.real((a / b).rounded(.towardZero)), width: 64)
        }
    }

    public static func bitXor(_ left: SQLValue, _ right: SQLValue) -> SQLValue {
        guard case .integer(let a) = left, case .integer(let b) = right else { return .null }
        return .integer(a ^ b)
    }

    /// floor/ceil of a number: a BIGINT (ARITHMETIC_OVERFLOW when it does not fit, as Spark's `ceil(1e19)`), or
    /// for a DECIMAL argument the rounded number itself.
    public static func floor(_ value: SQLValue, keepDecimal: Bool) throws(SparkRuntimeError) -> SQLValue {
        try rounded(value, .down, keepDecimal: keepDecimal)
    }

    public static func ceil(_ value: SQLValue, keepDecimal: Bool) throws(SparkRuntimeError) -> SQLValue {
        try rounded(value, .up, keepDecimal: keepDecimal)
    }

    private static func rounded(_ value: SQLValue, _ rule: FloatingPointRoundingRule, keepDecimal: Bool) throws(SparkRuntimeError) -> SQLValue {
        switch value {
        case .integer, .null: return value
        default:
            guard let number = value.number else { return .null }
            let whole = number.rounded(rule)
            if keepDecimal { return .real(whole) }
            guard let exact = Int64(exactly: whole) else {
                throw SparkRuntimeError(.arithmeticOverflow, "overflow: \(SparkStrings.doubleToString(whole)) does not fit in BIGINT (64 bits)")
            }
            return .integer(exact)
        }
    }

    /// CAST(seconds AS TIMESTAMP) in milliseconds. Spark saturates the microseconds at the 64-bit limits
    /// instead of failing (`CAST(9223372036854775807L AS TIMESTAMP)` is +294247-01-10), and so does this.
    public static func secondsToTimestamp(_ value: SQLValue) -> SQLValue {
        guard case .integer(let seconds) = value else { return value.isNull ? .null : .null }
        let (micros, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        let saturated = overflow ? (seconds < 0 ? Int64.min : Int64.max) : micros
        return .integer(SparkDateTime.floorDivide(saturated, 1000))
    }

    /// CAST of a number to INT (32) or BIGINT (64): truncated toward zero; CAST_OVERFLOW when out of range,
    /// NaN or infinite.
    public static func castIntegral(_ value: SQLValue, width: Int) throws(SparkRuntimeError) -> SQLValue {
        let typeName = width == 32 ? "\"INT\"" : "\"BIGINT\""
        switch value {
        case .null: return .null
        case .integer(let number):
            guard range(width).contains(number) else {
                throw SparkRuntimeError(.castOverflow, "The value \(number)L of the type \"BIGINT\" cannot be cast to \(typeName) due to an overflow.")
            }
            return value
        case .real(let number):
            let truncated = number.rounded(.towardZero)
            guard let exact = Int64(exactly: truncated), range(width).contains(exact) else {
                throw SparkRuntimeError(
                    .castOverflow, "The value \(SparkStrings.doubleToString(number))D of the type \"DOUBLE\" cannot be cast to \(typeName) due to an overflow.")
            }
            return .integer(exact)
        case .text(let text):
            return try castInteger(text, width: width)
        }
    }

    /// CAST(string AS INT/BIGINT): surrounding spaces allowed; anything else, or a value out of range, is
    /// CAST_INVALID_INPUT as in Spark.
    public static func castInteger(_ text: String, width: Int) throws(SparkRuntimeError) -> SQLValue {
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), range(width).contains(value) else {
            throw SparkRuntimeError(
                .castInvalidInput,
                "The value '\(text.prefix(256))' of the type \"STRING\" cannot be cast to \(width == 32 ? "\"INT\"" : "\"BIGINT\"") because it is malformed.")
        }
        return .integer(value)
    }

    /// CAST to DECIMAL(p, s): rounded half-up to `s` digits; NUMERIC_VALUE_OUT_OF_RANGE when it needs more than
    /// p − s integer digits. (Decimals are held as doubles, see SparkType.)
    public static func castDecimal(_ value: SQLValue, precision: Int, scale: Int) throws(SparkRuntimeError) -> SQLValue {
        guard let number = value.number else { return .null }
        guard number.isFinite else {
            throw SparkRuntimeError(.numericOutOfRange, "\(SparkStrings.doubleToString(number)) cannot be represented as Decimal(\(precision), \(scale)).")
        }
        if precision >= 38, scale == 0, abs(number) < 1e38 { return .real(number.rounded(.toNearestOrAwayFromZero)) }
        let factor = pow(10, Double(max(0, min(scale, 38))))
        let rounded = (number * factor).rounded(.toNearestOrAwayFromZero) / factor
        let limit = pow(10, Double(max(0, precision - scale)))
        guard abs(rounded) < limit else {
            throw SparkRuntimeError(.numericOutOfRange, "\(SparkStrings.doubleToString(number)) cannot be represented as Decimal(\(precision), \(scale)).")
        }
        return .real(rounded)
    }

    /// `floor(a / b)` for integers (epoch milliseconds to seconds), NULL for a zero divisor.
    public static func floorDivide(_ left: SQLValue, _ right: SQLValue) -> SQLValue {
        guard let a = left.integer, let b = right.integer, b != 0 else { return .null }
        let (quotient, overflow) = a.dividedReportingOverflow(by: b)
        if overflow { return .null }
        return .integer((a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient)
    }

    /// greatest/least: NULLs skipped; numbers by value, text by UTF-8 bytes (SQLite's BINARY collation).
    public static func extreme(_ values: [SQLValue], greatest: Bool) -> SQLValue {
        var best: SQLValue?
        for value in values where !value.isNull {
            guard let current = best else {
                best = value
                continue
            }
            if greatest ? precedes(current, value) : precedes(value, current) { best = value }
        }
        return best ?? .null
    }

    static func precedes(_ a: SQLValue, _ b: SQLValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x < y
        case (.text(let x), .text(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        default:
            if let x = a.number, let y = b.number { return x < y }
            return false
        }
    }

    /// window(ts, size): `{"start": …, "end": …}` of the tumbling window holding `ts` (milliseconds).
    public static func timeWindow(_ value: SQLValue, size: SQLValue) throws(SparkRuntimeError) -> SQLValue {
        guard case .integer(let millis) = value, case .integer(let width) = size, width > 0 else { return .null }
        let remainder = millis % width
        let offset = remainder < 0 ? remainder + width : remainder  // never past width, whatever its size
        let (start, underflow) = millis.subtractingReportingOverflow(offset)
        let (end, overflow) = start.addingReportingOverflow(width)
        guard !underflow, !overflow else { throw .overflow(64) }
        return .text("{\"start\":\(start),\"end\":\(end)}")
    }

    /// The json_extract path of array index `i`; nil (NULL, no element) for a negative or missing index.
    public static func jsonIndex(_ value: SQLValue) -> SQLValue {
        guard case .integer(let index) = value, index >= 0 else { return .null }
        return .text("$[\(index)]")
    }
}

extension SQLValue {
    /// The value as a double, for arithmetic on DOUBLE and DECIMAL operands.
    public var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let value): Double(value)
        case .null: nil
        }
    }
}
