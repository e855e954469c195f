import Foundation

/// Spark's scalar functions: arity, argument casts and result type, lowered to `Operation`s.
enum FunctionLibrary {
    static func scalar(
        _ name: String, _ arguments: [BoundExpression], call: FunctionCall, at position: SourcePosition, context: BindingContext
    ) throws(SQLError) -> BoundExpression {
        func arity(_ range: ClosedRange<Int>) throws(SQLError) {
            guard range.contains(arguments.count) else {
                let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                throw SQLError(.wrongArguments, "\(name) takes \(expected) arguments, got \(arguments.count)", at: position)
            }
        }
        func argument(_ index: Int, as type: SparkType) throws(SQLError) -> BoundExpression {
            try Lowering.coerce(arguments[index], to: type, at: call.arguments[index].position)
        }
        func constantString(_ index: Int, _ what: String) throws(SQLError) -> String {
            guard case .literal(.text(let text), _) = arguments[index] else {
                throw SQLError(.typeMismatch, "the \(what) of \(name) must be a string constant", at: call.arguments[index].position)
            }
            return text
        }
        func op(_ operation: Operation, _ args: [BoundExpression], _ type: SparkType) -> BoundExpression {
            .operation(operation, args, type)
        }
        switch name {
        case "lower", "lcase": try arity(1...1); return op(.lower, [try argument(0, as: .string)], .string)
        case "upper", "ucase": try arity(1...1); return op(.upper, [try argument(0, as: .string)], .string)
        case "trim", "btrim": try arity(1...1); return op(.trim, [try argument(0, as: .string)], .string)
        case "ltrim": try arity(1...1); return op(.leftTrim, [try argument(0, as: .string)], .string)
        case "rtrim": try arity(1...1); return op(.rightTrim, [try argument(0, as: .string)], .string)
        case "length", "char_length", "character_length": try arity(1...1); return op(.length, [try argument(0, as: .string)], .int)
        case "mask": try arity(1...1); return op(.mask, [try argument(0, as: .string)], .string)
        case "concat":
            if arguments.isEmpty { return .string("") }
            var strings: [BoundExpression] = []
            for index in arguments.indices { strings.append(try argument(index, as: .string)) }
            return op(.concat, strings, .string)
        case "substring", "substr":
            try arity(2...3)
            var args = [try argument(0, as: .string), try argument(1, as: .int)]
            if arguments.count == 3 { args.append(try argument(2, as: .int)) }
            return op(.substring, args, .string)
        case "instr":
            try arity(2...2)
            return try instr(arguments, call: call, at: position)
        case "split":
            try arity(2...3)
            var args = [try argument(0, as: .string), try argument(1, as: .string)]
            args.append(arguments.count == 3 ? try argument(2, as: .int) : .integer(-1))
            return op(.split, args, .array(.string))
        case "regexp_extract":
            try arity(2...3)
            return op(.regexpExtract, [try argument(0, as: .string), try argument(1, as: .string), arguments.count == 3 ? try argument(2, as: .int) : .integer(1)], .string)
        case "regexp_replace":
            try arity(3...3)
            return op(.regexpReplace, [try argument(0, as: .string), try argument(1, as: .string), try argument(2, as: .string)], .string)
        case "coalesce", "ifnull", "nvl":
            if name == "coalesce" { try arity(1...64) } else { try arity(2...2) }
            let type = try Lowering.commonType(of: arguments, at: position)
            var args: [BoundExpression] = []
            for index in arguments.indices { args.append(try argument(index, as: type)) }
            return op(.coalesce, args, type)
        case "nullif":
            try arity(2...2)
            let type = try Lowering.commonType(of: arguments, comparison: true, at: position)
            return op(.nullIf, [try argument(0, as: type), try argument(1, as: type)], arguments[0].type == .null ? type : arguments[0].type)
        case "if", "iff":
            try arity(3...3)
            let type = try Lowering.commonType(of: Array(arguments[1...]), at: position)
            return .caseWhen(
                [BoundWhen(condition: try argument(0, as: .boolean), result: try argument(1, as: type))],
                otherwise: try argument(2, as: type), type)
        case "isnull": try arity(1...1); return op(.isNull, arguments, .boolean)
        case "isnotnull": try arity(1...1); return op(.isNotNull, arguments, .boolean)
        case "greatest", "least":
            try arity(2...64)
            let type = try Lowering.commonType(of: arguments, comparison: true, at: position)
            var args: [BoundExpression] = []
            for index in arguments.indices { args.append(try argument(index, as: type)) }
            return op(name == "greatest" ? .greatest : .least, args, type)
        case "abs":
            try arity(1...1)
            guard arguments[0].type.isNumeric else { throw SQLError(.typeMismatch, "abs needs a number, got \(arguments[0].type)", at: position) }
            return op(.abs, arguments, arguments[0].type)
        case "round":
            try arity(1...2)
            let input = arguments[0].type == .string ? SparkType.double : arguments[0].type
            guard input.isNumeric else { throw SQLError(.typeMismatch, "round needs a number, got \(arguments[0].type)", at: position) }
            let digits = arguments.count == 2 ? try argument(1, as: .int) : .integer(0)
            var type = input
            // Spark: rounding DECIMAL(p,s) to d < s digits gives DECIMAL(p - s + d + 1, d).
            if case .decimal(let precision, let scale) = input {
                guard case .literal(.integer(let d), _) = digits else {
                    throw SQLError(.typeMismatch, "round of a DECIMAL needs a constant number of digits", at: position)
                }
                let kept = max(0, min(Int(d), scale))
                type = kept < scale ? SparkType.boundedDecimal(precision - scale + kept + 1, kept) : input
            }
            return op(.round, [try argument(0, as: input), digits], type)
        case "floor", "ceil", "ceiling":
            try arity(1...1)
            // Spark: floor/ceil of DECIMAL(p, s) is DECIMAL(p - s + 1, 0); of anything else a BIGINT.
            if case .decimal(let precision, let scale) = arguments[0].type {
                let type = SparkType.boundedDecimal(precision - scale + 1, 0)
                return op(name == "floor" ? .floor : .ceil, [arguments[0]], type)
            }
            if arguments[0].type.isIntegral { return try argument(0, as: .bigint) }
            return op(name == "floor" ? .floor : .ceil, [try argument(0, as: .double)], .bigint)
        case "get_json_object", "json_extract_path_text":
            try arity(2...2)
            return op(.getJSONObject, [try argument(0, as: .string), try argument(1, as: .string)], .string)
        case "from_json":
            try arity(2...3)
            let ddl = try constantString(1, "schema")
            let type: SparkType
            do {
                type = try SparkType(ddl: ddl)
            } catch {
                throw SQLError(.syntax, "invalid from_json schema: \(error.description)", at: call.arguments[1].position)
            }
            guard type.isComplex else {
                throw SQLError(.typeMismatch, "from_json needs an array, map or struct schema, got \(type)", at: call.arguments[1].position)
            }
            return op(.fromJSON(type), [try argument(0, as: .string)], type)
        case "to_json":
            try arity(1...2)
            guard arguments[0].type.isComplex else {
                throw SQLError(.typeMismatch, "to_json needs a struct, array or map, got \(arguments[0].type)", at: position)
            }
            return op(.toJSON, [arguments[0]], .string)
        case "size", "cardinality", "array_size":
            try arity(1...1)
            switch arguments[0].type {
            case .array, .map, .null: return op(.size, arguments, .int)
            default: throw SQLError(.typeMismatch, "\(name) needs an array or a map, got \(arguments[0].type)", at: position)
            }
        case "array_contains":
            try arity(2...2)
            guard case .array(let element) = arguments[0].type else {
                throw SQLError(.typeMismatch, "array_contains needs an array, got \(arguments[0].type)", at: position)
            }
            return op(.arrayContains, [arguments[0], try argument(1, as: element)], .boolean)
        case "map_keys", "map_values":
            try arity(1...1)
            guard case .map(let key, let value) = arguments[0].type else {
                throw SQLError(.typeMismatch, "\(name) needs a map, got \(arguments[0].type)", at: position)
            }
            return op(name == "map_keys" ? .mapKeys : .mapValues, arguments, .array(name == "map_keys" ? key : value))
        case "array_min", "array_max":
            try arity(1...1)
            guard case .array(let element) = arguments[0].type else {
                throw SQLError(.typeMismatch, "\(name) needs an array, got \(arguments[0].type)", at: position)
            }
            return op(name == "array_min" ? .arrayMin : .arrayMax, arguments, element)
        case "sort_array", "array_sort", "array_distinct":
            try arity(name == "sort_array" ? 1...2 : 1...1)
            guard case .array = arguments[0].type else {
                throw SQLError(.typeMismatch, "\(name) needs an array, got \(arguments[0].type)", at: position)
            }
            if name == "sort_array" {
                var ascending = true
                if arguments.count == 2 {
                    guard case .literal(.integer(let flag), .boolean) = arguments[1] else {
                        throw SQLError(.typeMismatch, "the second argument of sort_array must be true or false", at: call.arguments[1].position)
                    }
                    ascending = flag != 0
                }
                return op(.sortArray(ascending: ascending), [arguments[0]], arguments[0].type)
            }
            return op(name == "array_sort" ? .arraySort : .arrayDistinct, [arguments[0]], arguments[0].type)
        case "concat_ws":
            try arity(1...64)
            var args = [try argument(0, as: .string)]
            for index in arguments.indices.dropFirst() {
                if case .array = arguments[index].type {
                    args.append(.operation(.cast, [arguments[index]], .array(.string)))
                } else {
                    args.append(try argument(index, as: .string))
                }
            }
            return op(.concatWithSeparator, args, .string)
        case "element_at":
            try arity(2...2)
            if case .array = arguments[0].type {
                // element_at is 1-based.
                let index = try argument(1, as: .int)
                return try Lowering.subscriptValue(arguments[0], .operation(.subtract, [index, .integer(1)], .int), at: position)
            }
            return try Lowering.subscriptValue(arguments[0], arguments[1], at: position)
        case "current_date", "curdate":
            try arity(0...0)
            return .literal(.text(SparkDateTime.dayString(epochDay: floorDivide(context.now, Lowering.millisecondsPerDay))), .date)
        case "current_timestamp", "now", "localtimestamp":
            try arity(0...0)
            return .literal(.integer(context.now), .timestamp)
        case "date_sub", "date_add":
            try arity(2...2)
            let days = try argument(1, as: .int)
            return Lowering.dateAddDays(try argument(0, as: .date), name == "date_add" ? days : try Lowering.unary(.negate, days, at: position))
        case "datediff", "date_diff":
            try arity(2...2)
            return op(.dateDiffDays, [try argument(0, as: .date), try argument(1, as: .date)], .int)
        case "date_trunc":
            try arity(2...2)
            let unit = try constantString(0, "unit")
            guard SparkDateTime.truncate(millis: 0, unit: unit) != nil else {
                throw SQLError(.typeMismatch, "date_trunc does not know the unit '\(unit)'", at: call.arguments[0].position)
            }
            return op(.dateTrunc, [arguments[0], try argument(1, as: .timestamp)], .timestamp)
        case "to_date":
            try arity(1...2)
            if arguments.count == 1 { return try Lowering.cast(arguments[0], to: .date, at: position) }
            return op(.toDate, [try argument(0, as: .string), try argument(1, as: .string)], .date)
        case "to_timestamp":
            try arity(1...2)
            if arguments.count == 1 { return try Lowering.cast(arguments[0], to: .timestamp, at: position) }
            return op(.toTimestamp, [try argument(0, as: .string), try argument(1, as: .string)], .timestamp)
        case "date_format":
            try arity(2...2)
            let pattern = try constantString(1, "format")
            do {
                _ = try SparkDateTime.format(millis: 0, pattern: pattern)
            } catch {
                throw SQLError(.typeMismatch, "invalid date_format pattern '\(pattern)': \(error)", at: call.arguments[1].position)
            }
            return op(.dateFormat, [try argument(0, as: .timestamp), arguments[1]], .string)
        case "hour", "minute", "second":
            try arity(1...1)
            let operation: Operation = name == "hour" ? .hour : name == "minute" ? .minute : .second
            return op(operation, [try argument(0, as: .timestamp)], .int)
        case "dayofweek", "dayofmonth", "day", "month", "year":
            try arity(1...1)
            let operation: Operation =
                switch name {
                case "dayofweek": .dayOfWeek
                case "month": .month
                case "year": .year
                default: .dayOfMonth
                }
            return op(operation, [try argument(0, as: .date)], .int)
        case "from_unixtime":
            try arity(1...2)
            let pattern = arguments.count == 2 ? try argument(1, as: .string) : .string("yyyy-MM-dd HH:mm:ss")
            return op(.fromUnixTime, [try argument(0, as: .bigint), pattern], .string)
        case "unix_timestamp", "to_unix_timestamp":
            try arity(0...2)
            if arguments.isEmpty { return .integer(floorDivide(context.now, 1000), .bigint) }
            if arguments.count == 1, arguments[0].type == .timestamp || arguments[0].type == .date {
                return op(.unixTimestamp, [try argument(0, as: .timestamp)], .bigint)
            }
            let pattern = arguments.count == 2 ? try argument(1, as: .string) : .string("yyyy-MM-dd HH:mm:ss")
            return op(.unixTimestamp, [op(.toTimestamp, [try argument(0, as: .string), pattern], .timestamp)], .bigint)
        case "window":
            try arity(2...2)
            let text = try constantString(1, "window duration")
            // The duration is read as an INTERVAL literal; text that does not lex as one (a lone backslash escapes the
            // closing quote) is the same refusal, never a parser without tokens.
            let tokens = (try? Lexer.tokenize("INTERVAL '\(text.replacingOccurrences(of: "'", with: "").replacingOccurrences(of: "\\", with: ""))'")) ?? []
            var parser = Parser(tokens: tokens)
            guard !tokens.isEmpty, case .literal(.interval(let parts))? = (try? parser.parsePrimary())?.kind else {
                throw SQLError(.typeMismatch, "window duration '\(text)' is not an interval such as '30 minutes'", at: call.arguments[1].position)
            }
            let millis = try Lowering.intervalMilliseconds(parts, at: call.arguments[1].position)
            guard millis > 0 else { throw SQLError(.typeMismatch, "window duration must be positive", at: call.arguments[1].position) }
            // Spark holds the duration in microseconds and refuses one that does not fit (CANNOT_PARSE_INTERVAL).
            guard millis <= Int64.max / 1_000 else {
                throw SQLError(.intervalOverflow, "window duration '\(text)' does not fit in 64-bit microseconds", at: call.arguments[1].position)
            }
            return op(.timeWindow(milliseconds: millis), [try argument(0, as: .timestamp)], .struct([.init("start", .timestamp), .init("end", .timestamp)]))
        case "string", "int", "bigint", "double", "date", "timestamp", "boolean":
            try arity(1...1)
            return try Lowering.cast(arguments[0], to: SparkType.scalar(named: name) ?? .string, at: position)
        default:
            throw SQLError(.functionNotFound, "function \(call.name.name) is not supported; see docs/sql.md for the list", at: position)
        }
    }

    private static func instr(_ arguments: [BoundExpression], call: FunctionCall, at position: SourcePosition) throws(SQLError) -> BoundExpression {
        .operation(
            .instr,
            [try Lowering.coerce(arguments[0], to: .string, at: position), try Lowering.coerce(arguments[1], to: .string, at: position)], .int)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
