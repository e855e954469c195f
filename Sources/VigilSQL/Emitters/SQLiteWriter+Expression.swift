import Foundation

extension SQLiteWriter {
    func expression(_ expression: BoundExpression) -> String {
        switch expression {
        case .column(let relation, let column, _):
            return "\(relation).\(quote(column))"
        case .literal(let value, _):
            return value.isNull ? "NULL" : arguments.bind(value)
        case .operation(let op, let args, let type):
            return operation(op, args, type)
        case .caseWhen(let branches, let otherwise, _):
            var text = "CASE"
            for branch in branches { text += " WHEN \(self.expression(branch.condition)) THEN \(self.expression(branch.result))" }
            if let otherwise { text += " ELSE \(self.expression(otherwise))" }
            return text + " END"
        case .aggregate(let aggregate, let args, let distinct, _):
            return self.aggregate(aggregate, args, distinct: distinct)
        case .window(let call, _):
            return window(call)
        case .subquery(let subquery, _):
            switch subquery.kind {
            case .scalar: return "(\(query(subquery.query)))"
            case .exists: return "EXISTS (\(query(subquery.query)))"
            case .in(let value, let negated): return "(\(self.expression(value)) \(negated ? "NOT IN" : "IN") (\(query(subquery.query))))"
            }
        }
    }

    /// A value as a JSON member inside json_object/json_array: complex values are already JSON text and must be
    /// embedded, not quoted; booleans become true/false.
    func jsonValue(_ value: BoundExpression) -> String {
        switch value.type {
        case .array, .map, .struct: return "json(\(expression(value)))"
        case .boolean:
            let text = expression(value)
            return "CASE \(text) WHEN 1 THEN json('true') WHEN 0 THEN json('false') END"
        default: return expression(value)
        }
    }

    private func call(_ name: String, _ args: [BoundExpression]) -> String {
        "\(name)(" + args.map(expression).joined(separator: ", ") + ")"
    }

    /// `(a op b)`. A left operand that is itself an infix operation of the same SQLite precedence is written
    /// without its own parentheses: `a + b + c` instead of `((a + b) + c)`, so that a long chain stays within
    /// SQLite's parser stack (about 100 levels of parentheses), which it would otherwise overflow.
    private func infix(_ symbol: String, _ args: [BoundExpression]) -> String {
        "(" + infixBody(symbol, args) + ")"
    }

    private func infixBody(_ symbol: String, _ args: [BoundExpression]) -> String {
        // Walk the left spine in a loop (a chain is as deep as it is long), then write it from the bottom up.
        let level = Self.sqlitePrecedence[symbol]
        var levels: [(symbol: String, rest: ArraySlice<BoundExpression>)] = [(symbol, args.dropFirst())]
        var leftmost = args.first
        while let level, case .operation(let op, let inner, let type)? = leftmost, let innerSymbol = Self.plainInfix(op, type),
            Self.sqlitePrecedence[innerSymbol] == level, let first = inner.first
        {
            levels.append((innerSymbol, inner.dropFirst()))
            leftmost = first
        }
        var text = leftmost.map(expression) ?? "NULL"
        for (symbol, rest) in levels.reversed() {
            for argument in rest { text += " \(symbol) " + expression(argument) }
        }
        return text
    }

    /// SQLite's binary operator precedence levels (higher binds tighter), for the operators the emitter writes.
    static let sqlitePrecedence: [String: Int] = [
        "OR": 1, "AND": 2, "=": 4, "<>": 4, "IS": 4, "<": 5, "<=": 5, ">": 5, ">=": 5,
        "&": 6, "|": 6, "+": 7, "-": 7, "*": 8, "||": 9,
    ]

    /// The infix symbol an operation is written with when it needs no check function around it.
    private static func plainInfix(_ op: Operation, _ type: SparkType) -> String? {
        switch op {
        case .and: "AND"
        case .or: "OR"
        case .equal: "="
        case .notEqual: "<>"
        case .nullSafeEqual: "IS"
        case .less: "<"
        case .lessOrEqual: "<="
        case .greater: ">"
        case .greaterOrEqual: ">="
        case .bitAnd: "&"
        case .bitOr: "|"
        case .concat: "||"
        case .add, .subtract, .multiply, .timestampAddMilliseconds, .timestampDiffMilliseconds:
            checkedWidth(type) == nil ? (op == .add || op == .timestampAddMilliseconds ? "+" : op == .multiply ? "*" : "-") : nil
        default: nil
        }
    }

    /// Integer arithmetic that Spark (ANSI) refuses on overflow: the bit width its result must fit, or nil for
    /// DOUBLE and DECIMAL arithmetic (computed as doubles).
    static func checkedWidth(_ type: SparkType) -> Int? {
        switch type {
        case .int: 32
        case .bigint, .timestamp, .interval: 64
        default: nil
        }
    }

    /// Integer `+ - *` and negation. SQLite turns a 64-bit overflow into a REAL and computes INT in 64 bits,
    /// so the topmost operation of a run of them is wrapped in `spark_check_integral(x, bits)`: it raises
    /// ARITHMETIC_OVERFLOW when the result is a REAL (an overflow somewhere inside) or does not fit `bits`.
    /// Operations nested inside the run are written plainly, flattened like `infix`. A run holds operations of
    /// one width only: an INT operation inside a BIGINT one keeps its own 32-bit check, as Spark computes it in 32
    /// bits before widening.
    private func checkedArithmetic(_ op: Operation, _ args: [BoundExpression], width: Int) -> String {
        "spark_check_integral(" + arithmeticBody(op, args, width: width) + ", \(width))"
    }

    private func arithmeticBody(_ op: Operation, _ args: [BoundExpression], width: Int) -> String {
        if op == .negate, let operand = args.first { return "(- " + arithmeticOperand(operand, width: width) + ")" }
        // As `infixBody`: the left spine of same-level operations is walked in a loop and written flat.
        var levels: [(symbol: String, rest: ArraySlice<BoundExpression>)] = []
        var current: (op: Operation, args: [BoundExpression]) = (op, args)
        while true {
            levels.append((Self.arithmeticSymbol(current.op), current.args.dropFirst()))
            guard case .operation(let innerOp, let inner, _)? = current.args.first, Self.isCheckedArithmetic(current.args.first, width: width),
                innerOp != .negate, Self.arithmeticLevel(innerOp) == Self.arithmeticLevel(op)
            else { break }
            current = (innerOp, inner)
        }
        var text = "(" + (current.args.first.map { arithmeticOperand($0, width: width) } ?? "NULL")
        for (symbol, rest) in levels.reversed() {
            for argument in rest { text += " \(symbol) " + arithmeticOperand(argument, width: width) }
        }
        return text + ")"
    }

    private func arithmeticOperand(_ operand: BoundExpression, width: Int) -> String {
        guard Self.isCheckedArithmetic(operand, width: width), case .operation(let op, let args, _) = operand else { return expression(operand) }
        return arithmeticBody(op, args, width: width)
    }

    private static func isCheckedArithmetic(_ expression: BoundExpression?, width: Int) -> Bool {
        guard case .operation(let op, _, let type)? = expression, checkedWidth(type) == width else { return false }
        return [.add, .subtract, .multiply, .negate, .timestampAddMilliseconds, .timestampDiffMilliseconds].contains(op)
    }

    private static func arithmeticSymbol(_ op: Operation) -> String {
        op == .add || op == .timestampAddMilliseconds ? "+" : op == .multiply ? "*" : "-"
    }

    private static func arithmeticLevel(_ op: Operation) -> Int { op == .multiply ? 8 : 7 }

    /// IN lists longer than this are bound as one JSON array when they hold only constants.
    static let inlineListLimit = 32

    /// The values of a list of literals, or nil when any item is not a literal.
    private static func constants(_ list: ArraySlice<BoundExpression>) -> [SQLValue]? {
        var values: [SQLValue] = []
        values.reserveCapacity(list.count)
        for item in list {
            guard case .literal(let value, _) = item else { return nil }
            values.append(value)
        }
        return values
    }

    /// DECIMAL arithmetic can only outgrow its type once the precision is capped at 38 digits; there the result
    /// is checked (NUMERIC_VALUE_OUT_OF_RANGE, as Spark's `99999999999999999999999999999999999999 + 1`).
    private func decimalChecked(_ text: String, _ type: SparkType) -> String {
        guard case .decimal(let precision, let scale) = type, precision >= 38 else { return text }
        return "spark_cast_decimal(\(text), \(precision), \(scale))"
    }

    /// `$."name"` for json_extract; names holding a double quote go through spark_map_get instead.
    private func jsonPath(_ name: String) -> String? {
        name.contains("\"") ? nil : "$.\"\(name)\""
    }

    private func operation(_ op: Operation, _ args: [BoundExpression], _ type: SparkType) -> String {
        switch op {
        case .and: return infix("AND", args)
        case .or: return infix("OR", args)
        case .not: return "(NOT \(expression(args[0])))"
        case .equal: return infix("=", args)
        case .notEqual: return infix("<>", args)
        case .less: return infix("<", args)
        case .lessOrEqual: return infix("<=", args)
        case .greater: return infix(">", args)
        case .greaterOrEqual: return infix(">=", args)
        case .nullSafeEqual: return infix("IS", args)
        case .isNull: return "(\(expression(args[0])) IS NULL)"
        case .isNotNull: return "(\(expression(args[0])) IS NOT NULL)"
        case .inList(let negated):
            let list = args.dropFirst()
            // A long list of constants is one bound JSON array, unpacked by json_each: SQLite's code generator looks
            // up numbered parameters linearly, so 30,000 of them took minutes to prepare, beyond any time limit.
            if list.count > Self.inlineListLimit, let values = Self.constants(list) {
                let array = arguments.bind(.text(String(SQLiteWriter.json([values]).dropFirst().dropLast())))
                return "(\(expression(args[0])) \(negated ? "NOT IN" : "IN") (SELECT value FROM json_each(\(array))))"
            }
            return "(\(expression(args[0])) \(negated ? "NOT IN" : "IN") (" + list.map(expression).joined(separator: ", ") + "))"
        case .add, .subtract, .multiply, .negate:
            if let width = Self.checkedWidth(type) { return checkedArithmetic(op, args, width: width) }
            let text = op == .negate ? "(- \(expression(args[0])))" : infix(op == .add ? "+" : op == .multiply ? "*" : "-", args)
            return decimalChecked(text, type)
        case .remainder: return call("spark_remainder", args)
        case .bitAnd: return infix("&", args)
        case .bitOr: return infix("|", args)
        case .bitXor: return call("spark_bit_xor", args)
        case .bitNot: return "(~ \(expression(args[0])))"
        case .divide: return decimalChecked(call("spark_divide", args), type)
        case .integerDivide: return call("spark_integer_divide", args)
        case .concat: return args.count == 1 ? expression(args[0]) : infix("||", args)
        case .lower: return call("spark_lower", args)
        case .upper: return call("spark_upper", args)
        case .trim: return call("trim", args)
        case .leftTrim: return call("ltrim", args)
        case .rightTrim: return call("rtrim", args)
        case .length: return call("length", args)
        case .instr: return call("instr", args)
        case .substring:
            // Spark treats position 0 as 1; SQLite would return one character fewer. (Each argument is written
            // once: a repeated argument doubles the text at every level of nesting.)
            let position = "coalesce(nullif(\(expression(args[1])), 0), 1)"
            return "substr(\(expression(args[0])), \(position)" + (args.count == 3 ? ", max(\(expression(args[2])), 0))" : ")")
        case .like(let caseInsensitive):
            return "spark_like(\(expression(args[0])), \(expression(args[1])), \(caseInsensitive ? 1 : 0))"
        case .rlike: return call("spark_rlike", args)
        case .regexpExtract: return call("spark_regexp_extract", args)
        case .regexpReplace: return call("spark_regexp_replace", args)
        case .split: return call("spark_split", args)
        case .mask: return call("spark_mask", args)
        case .coalesce: return args.count == 1 ? expression(args[0]) : call("coalesce", args)
        case .nullIf: return call("nullif", args)
        case .greatest, .least:
            // Spark skips NULLs; SQLite's multi-argument max/min return NULL if any is NULL.
            return call(op == .greatest ? "spark_greatest" : "spark_least", args)
        case .abs:
            // SQLite's abs() raises "integer overflow" for the smallest BIGINT; an INT result must also fit 32 bits.
            return type == .int ? "spark_check_integral(abs(\(expression(args[0]))), 32)" : call("abs", args)
        case .round:
            let text = call("round", args)
            return type.isIntegral ? "CAST(\(text) AS INTEGER)" : text
        case .floor, .ceil:
            // A DECIMAL result stays a (rounded) number; a BIGINT one must fit 64 bits.
            return "\(op == .floor ? "spark_floor" : "spark_ceil")(\(expression(args[0])), \(type.isDecimal ? 1 : 0))"
        case .cast:
            return cast(args[0], to: type)
        case .dateAddDays:
            return "date(\(expression(args[0])), (\(expression(args[1]))) || ' days')"
        case .timestampAddMilliseconds: return checkedArithmetic(op, args, width: 64)
        case .dateDiffDays:
            return "CAST(julianday(\(expression(args[0]))) - julianday(\(expression(args[1]))) AS INTEGER)"
        case .timestampDiffMilliseconds: return checkedArithmetic(op, args, width: 64)
        case .dateTrunc: return dateTrunc(args)
        case .dateFormat: return call("spark_date_format", args)
        case .toDate: return call("spark_to_date", args)
        case .toTimestamp: return call("spark_to_timestamp", args)
        // Seconds by floor division: SQLite's `/` rounds toward zero, which puts 1969-12-31T22:59:59.5 in hour 23.
        case .hour: return "CAST(strftime('%H', spark_floor_div(\(expression(args[0])), 1000), 'unixepoch') AS INTEGER)"
        case .minute: return "CAST(strftime('%M', spark_floor_div(\(expression(args[0])), 1000), 'unixepoch') AS INTEGER)"
        case .second: return "CAST(strftime('%S', spark_floor_div(\(expression(args[0])), 1000), 'unixepoch') AS INTEGER)"
        case .dayOfWeek: return "(CAST(strftime('%w', \(expression(args[0]))) AS INTEGER) + 1)"
        case .dayOfMonth: return "CAST(strftime('%d', \(expression(args[0]))) AS INTEGER)"
        case .month: return "CAST(strftime('%m', \(expression(args[0]))) AS INTEGER)"
        case .year: return "CAST(strftime('%Y', \(expression(args[0]))) AS INTEGER)"
        case .fromUnixTime:
            return "spark_date_format(spark_check_integral((\(expression(args[0]))) * 1000, 64), \(expression(args[1])))"
        case .unixTimestamp: return "spark_floor_div(\(expression(args[0])), 1000)"
        case .timeWindow(let size):
            return "spark_time_window(\(expression(args[0])), \(size))"
        case .makeStruct(let names, let presenceBit):
            let fields = names.enumerated().map { index, name in "\(arguments.bind(.text(name))), \(jsonValue(args[index]))" }
            let object = "json_object(" + fields.joined(separator: ", ") + ")"
            guard let presenceBit, let presence = args.last else { return object }
            return "CASE WHEN (\(expression(presence)) & \(presenceBit)) <> 0 THEN \(object) END"
        case .structField(let name):
            if let path = jsonPath(name) { return "json_extract(\(expression(args[0])), \(arguments.bind(.text(path))))" }
            return "spark_map_get(\(expression(args[0])), \(arguments.bind(.text(name))))"
        case .mapGet:
            if case .literal(.text(let key), _) = args[1], let path = jsonPath(key) {
                return "json_extract(\(expression(args[0])), \(arguments.bind(.text(path))))"
            }
            return call("spark_map_get", args)
        case .arrayGet:
            // A negative index is no element (NULL), not a malformed JSON path.
            return "json_extract(\(expression(args[0])), spark_json_index(\(expression(args[1]))))"
        case .size:
            if case .map = args[0].type { return "spark_array_op(\(arguments.bind(.text("map_size"))), \(expression(args[0])))" }
            return call("json_array_length", args)
        case .arrayContains:
            return "spark_array_contains(\(expression(args[0])), \(jsonValue(args[1])))"
        case .mapKeys, .mapValues:
            return "spark_array_op(\(arguments.bind(.text(op == .mapKeys ? "map_keys" : "map_values"))), \(expression(args[0])))"
        case .arrayMin, .arrayMax:
            // Over a stored column of numbers (array_min(map_values(disk_free_bytes_per_mount_point)) in reference
            // Q20), SQLite's own json_each and min/max skip a Swift call and a JSON parse per row: 0.93 s → 0.54 s
            // at 500k node_timeline rows. NULL elements are skipped and an empty or NULL input is NULL, as in Spark.
            var source = args[0]
            if case .operation(.mapValues, let inner, _) = source { source = inner[0] }
            if case .column = source, case .array(let element) = args[0].type, element.isNumeric {
                return "(SELECT \(op == .arrayMin ? "min" : "max")(value) FROM json_each(\(expression(source))))"
            }
            return "spark_array_extreme(\(expression(args[0])), \(op == .arrayMin ? 0 : 1))"
        // Collection functions run in Swift (spark_array_op): a json_each subquery cannot take an aggregate such as
        // collect_set(x) as its input.
        case .sortArray(let ascending):
            return "spark_array_op(\(arguments.bind(.text(ascending ? "sort_asc" : "sort_desc"))), \(expression(args[0])))"
        case .arraySort:
            return "spark_array_op(\(arguments.bind(.text("sort_nulls_last"))), \(expression(args[0])))"
        case .arrayDistinct:
            return "spark_array_op(\(arguments.bind(.text("distinct"))), \(expression(args[0])))"
        case .concatWithSeparator:
            // Array arguments arrive as JSON text; spark_concat_ws is told which ones by a leading type list.
            let kinds = args.dropFirst().map { if case .array = $0.type { "a" } else { "s" } }.joined()
            return "spark_concat_ws(\(arguments.bind(.text(kinds))), " + args.map(expression).joined(separator: ", ") + ")"
        case .getJSONObject: return call("spark_get_json_object", args)
        case .fromJSON(let schema):
            return "spark_from_json(\(expression(args[0])), \(arguments.bind(.text(schema.description))))"
        case .toJSON:
            return "spark_to_json(\(expression(args[0])), \(arguments.bind(.text(args[0].type.description))))"
        }
    }

    /// `date_trunc` to a fixed-length unit of a timestamp column, as integer arithmetic in SQLite: the floor of the
    /// epoch milliseconds to a multiple of the unit (weeks start on Monday; 1970-01-01 was a Thursday). Timestamps
    /// are UTC, so these units are plain multiples. A Swift call per row cost seconds over a month of one-minute
    /// node_timeline rows. Values far from now (where the arithmetic could overflow) still go to spark_date_trunc,
    /// as do other units (month, quarter, year) and computed arguments (written once, as elsewhere).
    private func dateTrunc(_ args: [BoundExpression]) -> String {
        guard case .literal(.text(let unit), _) = args[0], case .column = args[1],
            let (width, offset) = Self.fixedTruncation[unit.uppercased()]
        else { return call("spark_date_trunc", args) }
        let value = expression(args[1])
        let shifted = offset == 0 ? value : "(\(value) + \(offset))"
        return "(CASE WHEN \(value) BETWEEN -4611686018427387904 AND 4611686018427387904 "
            + "THEN \(value) - (((\(shifted) % \(width)) + \(width)) % \(width)) ELSE \(call("spark_date_trunc", args)) END)"
    }

    /// Units of one length: (milliseconds, shift of the epoch to a unit's start).
    static let fixedTruncation: [String: (Int64, Int64)] = [
        "WEEK": (604_800_000, 259_200_000), "DAY": (86_400_000, 0), "DD": (86_400_000, 0), "HOUR": (3_600_000, 0),
        "MINUTE": (60_000, 0), "SECOND": (1_000, 0), "MILLISECOND": (1, 0),
    ]

    private func cast(_ value: BoundExpression, to type: SparkType) -> String {
        let from = value.type
        let text = expression(value)
        switch (from, type) {
        case (.null, _): return "NULL"
        case (.int, .string), (.bigint, .string): return "CAST(\(text) AS TEXT)"
        case (.double, .string): return "spark_double_string(\(text))"
        case (.decimal(_, let scale), .string): return "spark_decimal_string(\(text), \(scale))"
        case (.string, .decimal(let precision, let scale)): return "spark_cast_decimal(spark_cast_double(\(text)), \(precision), \(scale))"
        case (_, .decimal(let precision, let scale)): return "spark_cast_decimal(\(text), \(precision), \(scale))"
        case (.decimal, .int), (.decimal, .bigint), (.double, .int), (.double, .bigint), (.bigint, .int):
            return "spark_cast_integral(\(text), \(type == .int ? 32 : 64))"
        case (.boolean, .string): return "CASE \(text) WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
        case (.timestamp, .string): return "spark_timestamp_string(\(text))"
        case (_, .string): return text
        case (.string, .int), (.string, .bigint): return "spark_cast_integer(\(text), \(type == .int ? 32 : 64))"
        case (.string, .double): return "spark_cast_double(\(text))"
        case (.string, .date): return "spark_to_date(\(text), NULL)"
        case (.string, .timestamp): return "spark_to_timestamp(\(text), NULL)"
        case (.string, .boolean): return "spark_cast_boolean(\(text))"
        case (.date, .timestamp): return "(CAST(strftime('%s', \(text)) AS INTEGER) * 1000)"
        case (.timestamp, .date): return "date(\(text) / 1000.0, 'unixepoch')"
        case (_, .double): return "CAST(\(text) AS REAL)"
        case (.int, .boolean), (.bigint, .boolean): return "(\(text) <> 0)"
        case (.timestamp, .bigint): return "spark_floor_div(\(text), 1000)"
        case (.bigint, .timestamp): return "spark_seconds_to_timestamp(\(text))"
        default: return text
        }
    }

    private func aggregate(_ aggregate: Aggregate, _ args: [BoundExpression], distinct: Bool) -> String {
        let prefix = distinct ? "DISTINCT " : ""
        switch aggregate {
        case .countStar: return "count(*)"
        case .count: return "count(\(prefix)\(expression(args[0])))"
        case .sum: return "sum(\(prefix)\(expression(args[0])))"
        case .avg: return "avg(\(prefix)\(expression(args[0])))"
        case .min: return "min(\(expression(args[0])))"
        case .max: return "max(\(expression(args[0])))"
        case .collectList, .collectSet:
            // Spark skips NULLs in collect_list/collect_set.
            return "json_group_array(\(prefix)\(jsonValue(args[0]))) FILTER (WHERE \(expression(args[0])) IS NOT NULL)"
        }
    }

    private func window(_ call: WindowCall) -> String {
        var text: String
        switch call.function {
        case .rowNumber: text = "row_number()"
        case .rank: text = "rank()"
        case .denseRank: text = "dense_rank()"
        case .lag, .lead:
            text = (call.function == .lag ? "lag(" : "lead(") + call.arguments.map(expression).joined(separator: ", ") + ")"
        case .aggregate(let aggregate, let distinct):
            text = self.aggregate(aggregate, call.arguments, distinct: distinct)
        }
        var parts: [String] = []
        if !call.partitionBy.isEmpty { parts.append("PARTITION BY " + call.partitionBy.map(expression).joined(separator: ", ")) }
        if !call.orderBy.isEmpty { parts.append("ORDER BY " + call.orderBy.map(order).joined(separator: ", ")) }
        if let frame = call.frame {
            parts.append("\(frame.unit.rawValue) BETWEEN \(frame.start.sql) AND \(frame.end.sql)")
        }
        return text + " OVER (" + parts.joined(separator: " ") + ")"
    }
}
