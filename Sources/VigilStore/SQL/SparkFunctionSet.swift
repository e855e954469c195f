import Foundation
import GRDBSQLite
import VigilCore
import VigilSQL

/// The `spark_*` SQL functions the SQLite emitter calls where SQLite's own semantics differ from Spark's
/// (case-sensitive LIKE, Java regexes, get_json_object, from_json, ANSI casts and division). Each one's
/// logic lives in VigilSQL's runtime; this file only adapts it to SQLite's C function interface.
enum SparkFunctionSet {
    /// - Parameter interrupted: whether the running statement must stop; regex functions check it while they match.
    static func register(on handle: OpaquePointer, interrupted: @escaping SparkPatterns.Interruption) {
        let types = TypeCache()
        add(handle, "spark_divide", 2) { args in
            guard let left = args[0].number, let right = args[1].number else { return .null }
            guard right != 0 else { throw SparkRuntimeError.divideByZero }
            return .real(left / right)
        }
        add(handle, "spark_floor_div", 2) { args in SparkArithmetic.floorDivide(args[0], args[1]) }
        add(handle, "spark_check_integral", 2) { args in try SparkArithmetic.checkIntegral(args[0], width: Self.width(args[1])) }
        add(handle, "spark_remainder", 2) { args in try SparkArithmetic.remainder(args[0], args[1]) }
        add(handle, "spark_integer_divide", 2) { args in try SparkArithmetic.integerDivide(args[0], args[1]) }
        add(handle, "spark_bit_xor", 2) { args in SparkArithmetic.bitXor(args[0], args[1]) }
        add(handle, "spark_floor", 2) { args in try SparkArithmetic.floor(args[0], keepDecimal: args[1].integer == 1) }
        add(handle, "spark_ceil", 2) { args in try SparkArithmetic.ceil(args[0], keepDecimal: args[1].integer == 1) }
        add(handle, "spark_seconds_to_timestamp", 1) { args in SparkArithmetic.secondsToTimestamp(args[0]) }
        add(handle, "spark_cast_integral", 2) { args in try SparkArithmetic.castIntegral(args[0], width: Self.width(args[1])) }
        add(handle, "spark_cast_decimal", 3) { args in
            try SparkArithmetic.castDecimal(args[0], precision: Int(clamping: args[1].integer ?? 38), scale: Int(clamping: args[2].integer ?? 0))
        }
        add(handle, "spark_greatest", -1) { args in SparkArithmetic.extreme(args, greatest: true) }
        add(handle, "spark_least", -1) { args in SparkArithmetic.extreme(args, greatest: false) }
        add(handle, "spark_time_window", 2) { args in try SparkArithmetic.timeWindow(args[0], size: args[1]) }
        add(handle, "spark_json_index", 1) { args in SparkArithmetic.jsonIndex(args[0]) }
        add(handle, "spark_lower", 1) { args in args[0].text.map { .text($0.lowercased()) } ?? .null }
        add(handle, "spark_upper", 1) { args in args[0].text.map { .text($0.uppercased()) } ?? .null }
        add(handle, "spark_mask", 1) { args in args[0].text.map { .text(SparkStrings.mask($0)) } ?? .null }
        add(handle, "spark_like", 3) { args in
            guard let value = args[0].text, let pattern = args[1].text else { return .null }
            return .integer(try SparkPatterns.like(value, pattern: pattern, caseInsensitive: args[2].integer == 1, interrupted: interrupted) ? 1 : 0)
        }
        add(handle, "spark_rlike", 2) { args in
            guard let value = args[0].text, let regex = args[1].text else { return .null }
            return .integer(try SparkPatterns.rlike(value, regex: regex, interrupted: interrupted) ? 1 : 0)
        }
        add(handle, "spark_regexp_extract", 3) { args in
            guard let value = args[0].text, let regex = args[1].text, let group = args[2].integer else { return .null }
            return .text(try SparkPatterns.regexpExtract(value, regex: regex, group: Int(clamping: group), interrupted: interrupted))
        }
        add(handle, "spark_regexp_replace", 3) { args in
            guard let value = args[0].text, let regex = args[1].text, let replacement = args[2].text else { return .null }
            return .text(try SparkPatterns.regexpReplace(value, regex: regex, replacement: replacement, interrupted: interrupted))
        }
        add(handle, "spark_split", 3) { args in
            guard let value = args[0].text, let regex = args[1].text else { return .null }
            let parts = try SparkPatterns.split(value, regex: regex, limit: Int(clamping: args[2].integer ?? -1), interrupted: interrupted)
            var writer = JSONWriter()
            writer.raw("[")
            for (index, part) in parts.enumerated() {
                if index > 0 { writer.comma() }
                writer.string(part)
            }
            writer.raw("]")
            return .text(writer.string)
        }
        add(handle, "spark_date_trunc", 2) { args in
            guard let unit = args[0].text, let millis = args[1].integer else { return .null }
            return SparkDateTime.truncate(millis: millis, unit: unit).map { .integer($0) } ?? .null
        }
        add(handle, "spark_date_format", 2) { args in
            guard let millis = args[0].integer, let pattern = args[1].text else { return .null }
            return .text(try SparkDateTime.format(millis: millis, pattern: pattern))
        }
        add(handle, "spark_to_date", 2) { args in
            guard let text = args[0].text else { return .null }
            return SparkDateTime.parseDate(text, pattern: args[1].text).map { .text($0) } ?? .null
        }
        add(handle, "spark_to_timestamp", 2) { args in
            guard let text = args[0].text else { return .null }
            return SparkDateTime.parseTimestamp(text, pattern: args[1].text).map { .integer($0) } ?? .null
        }
        add(handle, "spark_timestamp_string", 1) { args in
            args[0].integer.map { .text(SparkDateTime.castToString(millis: $0)) } ?? .null
        }
        add(handle, "spark_array_op", 2) { args in
            guard let operation = args[0].text, let json = args[1].text else { return .null }
            return SparkCollections.apply(operation, json).map { .text($0) } ?? .null
        }
        add(handle, "spark_array_contains", 2) { args in
            guard let json = args[0].text, !args[1].isNull else { return .null }
            return SparkCollections.contains(json, args[1]).map { .integer($0 ? 1 : 0) } ?? .null
        }
        add(handle, "spark_array_extreme", 2) { args in
            guard let json = args[0].text, let which = args[1].integer else { return .null }
            return SparkCollections.extreme(json, maximum: which == 1).map { SQLValue(json: $0) } ?? .null
        }
        add(handle, "spark_concat_ws", -1) { args in
            guard args.count >= 2, let kinds = args[0].text, let separator = args[1].text else { return .null }
            var parts: [String] = []
            for (kind, value) in zip(kinds, args.dropFirst(2)) {
                guard let text = value.text else { continue }
                if kind == "a", case .array(let items)? = try? JSONParser.parse(text) {
                    for case .string(let item) in items { parts.append(item) }
                } else if kind == "s" {
                    parts.append(text)
                }
            }
            return .text(parts.joined(separator: separator))
        }
        add(handle, "spark_decimal_string", 2) { args in
            guard let value = args[0].number, let scale = args[1].integer else { return .null }
            return .text(SparkStrings.decimalString(value, scale: Int(clamping: scale)))
        }
        add(handle, "spark_double_string", 1) { args in
            args[0].number.map { .text(SparkStrings.doubleToString($0)) } ?? .null
        }
        add(handle, "spark_cast_integer", 2) { args in
            guard let text = args[0].text else { return .null }
            return try SparkArithmetic.castInteger(text, width: Self.width(args[1]))
        }
        add(handle, "spark_cast_double", 1) { args in
            guard let text = args[0].text else { return .null }
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw SparkRuntimeError(.castInvalidInput, "The value '\(text.prefix(256))' of the type \"STRING\" cannot be cast to \"DOUBLE\" because it is malformed.")
            }
            return .real(value)
        }
        add(handle, "spark_cast_boolean", 1) { args in
            guard let text = args[0].text else { return .null }
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "t", "yes", "y", "1": return .integer(1)
            case "false", "f", "no", "n", "0": return .integer(0)
            default: throw SparkRuntimeError(.castInvalidInput, "The value '\(text.prefix(256))' of the type \"STRING\" cannot be cast to \"BOOLEAN\" because it is malformed.")
            }
        }
        add(handle, "spark_map_get", 2) { args in
            guard let json = args[0].text, let key = args[1].text,
                case .object(let members)? = try? JSONParser.parse(json),
                let value = members.first(where: { $0.key == key })?.value
            else { return .null }
            return SQLValue(json: value)
        }
        add(handle, "spark_get_json_object", 2) { args in
            guard let json = args[0].text, let path = args[1].text else { return .null }
            return GetJSONObject.getJSONObject(json, path: path).map { .text($0) } ?? .null
        }
        add(handle, "spark_from_json", 2) { args in
            guard let text = args[0].text, let ddl = args[1].text, let type = types.type(ddl) else { return .null }
            return FromJSON.fromJSON(text, as: type).map { .text($0) } ?? .null
        }
        add(handle, "spark_to_json", 2) { args in
            guard let text = args[0].text, let ddl = args[1].text, let type = types.type(ddl) else { return .null }
            return .text(FromJSON.toJSON(text, as: type))
        }
    }

    /// The bit width argument of the integral checks: 32 for INT, else 64.
    static func width(_ value: SQLValue) -> Int { value.integer == 32 ? 32 : 64 }

    /// DDL strings parsed once per connection: from_json's schema is the same for every row.
    final class TypeCache {
        private var types: [String: SparkType] = [:]
        func type(_ ddl: String) -> SparkType? {
            if let type = types[ddl] { return type }
            guard let type = try? SparkType(ddl: ddl) else { return nil }
            types[ddl] = type
            return type
        }
    }

    private final class Function {
        let body: ([SQLValue]) throws -> SQLValue
        init(_ body: @escaping ([SQLValue]) throws -> SQLValue) { self.body = body }
    }

    private static func add(_ handle: OpaquePointer, _ name: String, _ arity: Int32, _ body: @escaping ([SQLValue]) throws -> SQLValue) {
        let function = Unmanaged.passRetained(Function(body)).toOpaque()
        sqlite3_create_function_v2(
            handle, name, arity, SQLITE_UTF8 | SQLITE_DETERMINISTIC, function,
            { context, count, values in
                guard let context, let pointer = sqlite3_user_data(context) else { return }
                let function = Unmanaged<Function>.fromOpaque(pointer).takeUnretainedValue()
                var arguments: [SQLValue] = []
                arguments.reserveCapacity(Int(count))
                for index in 0..<Int(count) { arguments.append(SQLValue(sqlite: values?[index])) }
                do {
                    switch try function.body(arguments) {
                    case .null: sqlite3_result_null(context)
                    case .integer(let number): sqlite3_result_int64(context, number)
                    case .real(let number): sqlite3_result_double(context, number)
                    case .text(let text): sqlite3_result_text(context, text, -1, SQLiteText.transient)
                    }
                } catch {
                    sqlite3_result_error(context, "\(error)", -1)
                }
            },
            nil, nil,
            { pointer in
                if let pointer { Unmanaged<Function>.fromOpaque(pointer).release() }
            })
    }
}

extension SQLValue {
    init(sqlite value: OpaquePointer?) {
        guard let value else {
            self = .null
            return
        }
        switch sqlite3_value_type(value) {
        case SQLITE_INTEGER: self = .integer(sqlite3_value_int64(value))
        case SQLITE_FLOAT: self = .real(sqlite3_value_double(value))
        case SQLITE_NULL: self = .null
        default:
            if let text = sqlite3_value_text(value) { self = .text(String(cString: text)) } else { self = .null }
        }
    }

    /// A JSON member as SQLite would return it from json_extract: scalars as values, containers as JSON text.
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .integer(value ? 1 : 0)
        case .string(let value): self = .text(value)
        case .number(let text): self = Int64(text).map { .integer($0) } ?? Double(text).map { .real($0) } ?? .text(text)
        case .array, .object:
            var writer = JSONWriter()
            writer.value(json)
            self = .text(writer.string)
        }
    }
}
