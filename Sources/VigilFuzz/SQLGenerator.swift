/// Generates Spark SQL over Vigil's system tables from the grammar: queries with joins, set operations,
/// subqueries, windows and CTEs; expressions with every operator and function the dialect knows (and some it does
/// not), with literals at the edges of their types. Now and then it builds the shapes that crashed the server
/// before: operator chains a thousand long, nesting hundreds deep, huge IN lists.
struct SQLGenerator {
    var random: SplitMix

    static let tables: [(name: String, columns: [String])] = [
        ("system.access.audit", [
            "account_id", "workspace_id", "version", "event_time", "event_date", "source_ip_address", "user_agent", "session_id",
            "user_identity", "user_identity.email", "user_identity.subject_name", "service_name", "action_name", "request_id",
            "request_params", "request_params.user", "request_params['commandText']", "request_params.app", "response",
            "response.status_code", "response.error_message", "response.result", "audit_level", "event_id",
            "identity_metadata.run_by",
        ]),
        ("system.compute.node_timeline", [
            "account_id", "workspace_id", "cluster_id", "instance_id", "start_time", "end_time", "driver", "cpu_user_percent",
            "cpu_system_percent", "cpu_wait_percent", "mem_used_percent", "mem_swap_percent", "network_sent_bytes",
            "network_received_bytes", "disk_free_bytes_per_mount_point", "disk_free_bytes_per_mount_point['/']", "node_type",
        ]),
        ("system.information_schema.tables", ["table_catalog", "table_schema", "table_name", "table_owner", "created"]),
        ("system.information_schema.table_privileges", ["grantor", "grantee", "table_name", "privilege_type"]),
    ]

    static let functions: [(name: String, arity: ClosedRange<Int>)] = [
        ("lower", 1...1), ("upper", 1...1), ("trim", 1...1), ("ltrim", 1...1), ("rtrim", 1...1), ("length", 1...1), ("mask", 1...1),
        ("concat", 0...4), ("substring", 2...3), ("substr", 2...3), ("instr", 2...2), ("split", 2...3), ("regexp_extract", 2...3),
        ("regexp_replace", 3...3), ("coalesce", 1...4), ("ifnull", 2...2), ("nvl", 2...2), ("nullif", 2...2), ("if", 3...3),
        ("isnull", 1...1), ("isnotnull", 1...1), ("greatest", 2...4), ("least", 2...4), ("abs", 1...1), ("round", 1...2),
        ("floor", 1...1), ("ceil", 1...1), ("get_json_object", 2...2), ("from_json", 2...2), ("to_json", 1...1), ("size", 1...1),
        ("array_contains", 2...2), ("map_keys", 1...1), ("map_values", 1...1), ("array_min", 1...1), ("array_max", 1...1),
        ("sort_array", 1...2), ("array_sort", 1...1), ("array_distinct", 1...1), ("concat_ws", 1...4), ("element_at", 2...2),
        ("current_date", 0...0), ("current_timestamp", 0...0), ("now", 0...0), ("date_sub", 2...2), ("date_add", 2...2),
        ("datediff", 2...2), ("date_trunc", 2...2), ("to_date", 1...2), ("to_timestamp", 1...2), ("date_format", 2...2),
        ("hour", 1...1), ("minute", 1...1), ("second", 1...1), ("dayofweek", 1...1), ("dayofmonth", 1...1), ("month", 1...1),
        ("year", 1...1), ("from_unixtime", 1...2), ("unix_timestamp", 0...2), ("window", 2...2), ("string", 1...1), ("int", 1...1),
        ("bigint", 1...1), ("double", 1...1), ("date", 1...1), ("timestamp", 1...1), ("boolean", 1...1), ("no_such_function", 0...2),
        ("load_extension", 1...1),
    ]

    static let aggregates = ["count", "sum", "avg", "min", "max", "collect_list", "collect_set", "approx_count_distinct", "first", "count_if"]

    static let literals = [
        "0", "1", "-1", "2", "10L", "2147483647", "2147483648", "-2147483648", "9223372036854775807", "-9223372036854775807L",
        "9223372036854775808", "9223372036854775807L", "1.5", "0.1", "99999999999999999999999999999999999999", "1e308", "-1e308",
        "1e-308", "1.5D", "NULL", "true", "false", "''", "'x'", "'a,b,c'", "'%'", "'_'", "'\\\\'", "'(a+)+b'", "'('", "'['",
        "'{\"a\":1}'", "'[1,2,3]'", "'[[[[[[1]]]]]]'", "'2026-11-20'", "'2026-02-30'", "'99999-01-01'", "'yyyy-MM-dd'",
        "'array<struct<user_name:string,permission_level:string>>'", "'map<string,int>'", "'$.a'", "'$[0]'", "'$.*'",
        "DATE '2026-11-20'", "TIMESTAMP '2026-11-20 12:00:00'", "INTERVAL 30 DAYS", "INTERVAL 1 HOUR",
        "INTERVAL 106751991 DAYS", "'\u{202E}evil'", "'\u{0}'", "'é'", "'YEAR'", "'MONTH'", "'WEEK'", "'30 minutes'",
        "current_date() - 30", "unix_timestamp()",
    ]

    static let binaryOperators = ["+", "-", "*", "/", "%", "DIV", "||", "=", "<>", "!=", "<", "<=", ">", ">=", "<=>", "AND", "OR", "&", "|", "^"]
    static let types = [
        "INT", "BIGINT", "DOUBLE", "STRING", "DATE", "TIMESTAMP", "BOOLEAN", "DECIMAL(10,2)", "DECIMAL(38,0)", "DECIMAL(3,1)",
        "ARRAY<STRING>", "MAP<STRING,INT>", "STRUCT<a:INT,b:STRING>", "ARRAY<ARRAY<INT>>",
    ]

    /// One statement.
    mutating func statement() -> String {
        if random.chance(3) { return hostileShape() }
        return query(depth: 0)
    }

    mutating func query(depth: Int) -> String {
        var text = ""
        if depth == 0, random.chance(10) {
            text += "WITH c1 AS (\(select(depth: depth + 1))) "
        }
        text += select(depth: depth)
        if random.chance(8) {
            text += " " + random.pick(["UNION ALL", "UNION", "EXCEPT", "INTERSECT"]) + " " + select(depth: depth + 1)
        }
        if random.chance(25) { text += " ORDER BY " + (random.chance(50) ? "1" : expression(depth: 3)) + random.pick(["", " DESC", " ASC NULLS LAST"]) }
        if random.chance(30) { text += " LIMIT " + random.pick(["0", "1", "10", "-1", "9223372036854775807", "NULL", "1.5"]) }
        return text
    }

    mutating func select(depth: Int) -> String {
        let table = random.pick(Self.tables)
        var items: [String] = []
        let aggregated = random.chance(20)
        for _ in 0..<(1 + random.below(4)) {
            if random.chance(8), !aggregated {
                items.append("*")
            } else if aggregated || random.chance(10) {
                let argument = typed(random.pick([.int, .double, .string]), depth: depth + 2, table: table.name)
                items.append("\(random.pick(Self.aggregates))(\(random.chance(20) ? "DISTINCT " : "")\(argument))")
            } else if random.chance(5) {
                items.append("\(random.pick(["row_number()", "rank()", "sum(1)", "lag(1)"])) OVER (PARTITION BY \(column(table)) ORDER BY \(column(table)))")
            } else {
                items.append(expression(depth: depth, table: table) + (random.chance(30) ? " AS a\(random.below(5))" : ""))
            }
        }
        var text = "SELECT " + (random.chance(10) ? "DISTINCT " : "") + items.joined(separator: ", ")
        if random.chance(90) {
            text += " FROM \(table.name) t"
            if random.chance(10) { text += " JOIN \(table.name) u ON t.\(table.columns[0]) = u.\(table.columns[0])" }
            if random.chance(5) { text += " LATERAL VIEW explode(split(t.\(table.columns[0]), ',')) x AS part" }
        }
        if random.chance(60) { text += " WHERE " + typed(.bool, depth: depth + 1, table: table.name) }
        if aggregated, random.chance(40) {
            text += " GROUP BY " + column(table)
            if random.chance(30) { text += " HAVING count(*) > \(random.pick(["0", "1", "2147483647"]))" }
        }
        return text
    }

    mutating func column(_ table: (name: String, columns: [String])) -> String {
        random.chance(3) ? "no_such_column" : random.pick(table.columns)
    }

    /// Untyped: any shape, often a type error; the typed generator below gets statements to run.
    mutating func expression(depth: Int, table: (name: String, columns: [String])? = nil) -> String {
        let table = table ?? random.pick(Self.tables)
        if random.chance(80) { return typed(random.pick(Kind.allCases), depth: depth, table: table.name) }
        if depth > 4 || random.chance(25) {
            return random.chance(50) ? column(table) : random.pick(Self.literals)
        }
        switch random.below(6) {
        case 0, 1:
            return "(\(expression(depth: depth + 1, table: table)) \(random.pick(Self.binaryOperators)) \(expression(depth: depth + 1, table: table)))"
        case 2:
            return random.pick(["-", "NOT ", "~", "+"]) + expression(depth: depth + 1, table: table)
        case 3:
            let function = random.pick(Self.functions)
            let arity = random.chance(90) ? function.arity.lowerBound + random.below(function.arity.count) : random.below(5)
            let arguments = (0..<arity).map { _ in expression(depth: depth + 1, table: table) }
            return "\(function.name)(\(arguments.joined(separator: ", ")))"
        case 4:
            return "CAST(\(expression(depth: depth + 1, table: table)) AS \(random.pick(Self.types)))"
        default:
            return "CASE WHEN \(expression(depth: depth + 1, table: table)) THEN \(expression(depth: depth + 1, table: table)) ELSE \(expression(depth: depth + 1, table: table)) END"
        }
    }

    enum Kind: CaseIterable { case int, double, string, bool, timestamp, date }

    static let typedColumns: [String: [Kind: [String]]] = [
        "system.access.audit": [
            .int: ["response.status_code"], .string: ["action_name", "service_name", "user_identity.email", "source_ip_address",
            "request_params['commandText']", "request_params.app", "user_agent", "event_id", "workspace_id", "response.result"],
            .timestamp: ["event_time"], .date: ["event_date"],
        ],
        "system.compute.node_timeline": [
            .int: ["network_sent_bytes", "network_received_bytes", "disk_free_bytes_per_mount_point['/']"],
            .double: ["cpu_user_percent", "cpu_system_percent", "mem_used_percent", "mem_swap_percent"],
            .string: ["cluster_id", "instance_id", "node_type", "workspace_id"], .timestamp: ["start_time", "end_time"],
            .bool: ["driver"],
        ],
        "system.information_schema.tables": [.string: ["table_name", "table_schema", "table_owner"], .timestamp: ["created"]],
        "system.information_schema.table_privileges": [.string: ["grantee", "privilege_type", "table_name"]],
    ]

    static let typedLiterals: [Kind: [String]] = [
        .int: ["0", "1", "-1", "7", "2147483647", "-2147483648", "2147483648", "9223372036854775807", "-9223372036854775807L", "10L"],
        .double: ["0.1", "1.5", "-2.5", "1e308", "-1e308", "1e-308", "1.5D", "99999999999999999999999999999999999999", "0.0"],
        .string: ["''", "'x'", "'accounts'", "'a,b,c'", "'%'", "'\\\\'", "'{\"a\":1}'", "'[1,2,3]'", "'2026-11-20'", "'12'", "'é'",
                  "'\u{202E}evil'", "'yyyy-MM-dd'"],
        .bool: ["true", "false", "NULL"],
        .timestamp: ["TIMESTAMP '2026-11-20 12:00:00'", "current_timestamp()", "TIMESTAMP '0001-01-01 00:00:00'", "TIMESTAMP '9999-12-31 23:59:59'"],
        .date: ["DATE '2026-11-20'", "current_date()", "DATE '0001-01-01'", "DATE '9999-12-31'"],
    ]

    /// An expression of `kind`, built only from operations that take and give the right types, so that most of
    /// these statements compile and reach the runtime, where overflow, casts and functions live.
    mutating func typed(_ kind: Kind, depth: Int, table: String) -> String {
        let columns = Self.typedColumns[table]?[kind] ?? []
        if depth > 5 || random.chance(30) {
            if !columns.isEmpty, random.chance(60) { return random.pick(columns) }
            return random.pick(Self.typedLiterals[kind] ?? ["NULL"])
        }
        func sub(_ kind: Kind) -> String { typed(kind, depth: depth + 1, table: table) }
        switch kind {
        case .int:
            switch random.below(9) {
            case 0, 1: return "(\(sub(.int)) \(random.pick(["+", "-", "*", "DIV", "%", "&", "|", "^"])) \(sub(.int)))"
            case 2: return "\(random.pick(["length", "abs"]))(\(random.pick([sub(.string), sub(.int)])))"
            case 3: return "\(random.pick(["hour", "minute", "second", "unix_timestamp"]))(\(sub(.timestamp)))"
            case 4: return "\(random.pick(["year", "month", "dayofmonth", "dayofweek"]))(\(sub(.date)))"
            case 5: return "\(random.pick(["floor", "ceil", "round"]))(\(sub(.double)))"
            case 6: return "CAST(\(random.pick([sub(.double), sub(.string), sub(.int)])) AS \(random.pick(["INT", "BIGINT"])))"
            case 7: return "datediff(\(sub(.date)), \(sub(.date)))"
            default: return "size(split(\(sub(.string)), \(random.pick(["','", "''", "'[a-z]+'", "'('"]))))"
            }
        case .double:
            switch random.below(5) {
            case 0, 1: return "(\(sub(random.pick([.double, .int]))) \(random.pick(["+", "-", "*", "/", "%"])) \(sub(.double)))"
            case 2: return "round(\(sub(.double)), \(random.pick(["0", "2", "-2", "10"])))"
            case 3: return "CAST(\(random.pick([sub(.int), sub(.string)])) AS \(random.pick(["DOUBLE", "DECIMAL(10,2)", "DECIMAL(38,0)", "DECIMAL(3,1)"])))"
            default: return "-\(sub(.double))"
            }
        case .string:
            switch random.below(11) {
            case 0: return "\(random.pick(["lower", "upper", "trim", "mask"]))(\(sub(.string)))"
            case 1: return "concat(\(sub(.string)), \(sub(.string)))"
            case 2: return "substring(\(sub(.string)), \(sub(.int))\(random.chance(50) ? ", \(sub(.int))" : ""))"
            case 3: return "regexp_replace(\(sub(.string)), \(random.pick(["'a'", "'(a+)+b'", "'[0-9]+'", "'('", "'$'"])), \(sub(.string)))"
            case 4: return "regexp_extract(\(sub(.string)), \(random.pick(["'(a)(b)?'", "'([0-9]+)'", "'['"])), \(random.pick(["0", "1", "2", "5"])))"
            case 5: return "get_json_object(\(sub(.string)), \(random.pick(["'$.a'", "'$[0]'", "'$.*'", "'$'", "'x'"])))"
            case 6: return "date_format(\(sub(.timestamp)), \(random.pick(["'yyyy-MM-dd'", "'HH:mm:ss.SSS'", "'EEEE MMMM'", "'Q'"])))"
            case 7: return "from_unixtime(\(sub(.int)))"
            case 8: return "CAST(\(random.pick([sub(.int), sub(.double), sub(.timestamp), sub(.date), sub(.bool)])) AS STRING)"
            case 9: return "coalesce(\(sub(.string)), \(sub(.string)))"
            default: return "concat_ws(',', sort_array(array_distinct(split(\(sub(.string)), ','))))"
            }
        case .bool:
            let compared = random.pick([Kind.int, .double, .string, .timestamp, .date])
            switch random.below(8) {
            case 0, 1: return "(\(sub(compared)) \(random.pick(["=", "<>", "<", "<=", ">", ">=", "<=>"])) \(sub(compared)))"
            case 2: return "(\(sub(.bool)) \(random.pick(["AND", "OR"])) \(sub(.bool)))"
            case 3: return "NOT \(sub(.bool))"
            case 4: return "\(sub(.string)) \(random.pick(["LIKE", "ILIKE", "RLIKE", "NOT LIKE"])) \(random.pick(["'a%'", "'%'", "'_'", "'(a+)+b'", "'('", "'\\\\%'"]))"
            case 5: return "\(sub(compared)) IS \(random.pick(["NULL", "NOT NULL"]))"
            case 6: return "\(sub(compared)) \(random.chance(30) ? "NOT " : "")IN (\(sub(compared)), \(sub(compared)))"
            default: return "\(sub(compared)) BETWEEN \(sub(compared)) AND \(sub(compared))"
            }
        case .timestamp:
            switch random.below(4) {
            case 0: return "(\(sub(.timestamp)) \(random.pick(["+", "-"])) \(random.pick(["INTERVAL 1 DAY", "INTERVAL 106751991 DAYS", "INTERVAL 30 MINUTES", "INTERVAL -5 HOURS"])))"
            case 1: return "date_trunc(\(random.pick(["'YEAR'", "'MONTH'", "'WEEK'", "'HOUR'", "'QUARTER'"])), \(sub(.timestamp)))"
            case 2: return "to_timestamp(\(sub(.string))\(random.chance(50) ? ", 'yyyy-MM-dd HH:mm:ss'" : ""))"
            default: return "CAST(\(random.pick([sub(.date), sub(.int)])) AS TIMESTAMP)"
            }
        case .date:
            switch random.below(4) {
            case 0: return "\(random.pick(["date_add", "date_sub"]))(\(sub(.date)), \(sub(.int)))"
            case 1: return "(\(sub(.date)) \(random.pick(["+", "-"])) \(sub(.int)))"
            case 2: return "to_date(\(sub(.string)))"
            default: return "CAST(\(sub(.timestamp)) AS DATE)"
            }
        }
    }

    /// Shapes aimed at the limits: each either compiles and runs within them or is refused as too complex.
    mutating func hostileShape() -> String {
        let count = random.pick([99, 100, 101, 499, 500, 501, 999, 1000, 1001, 1500, 5000, 20000])
        func repeated(_ term: String, _ separator: String, _ count: Int) -> String {
            Array(repeating: term, count: count).joined(separator: separator)
        }
        switch random.below(10) {
        case 0: return "SELECT " + repeated(random.pick(["1", "response.status_code", "'a'", "2.5"]), " \(random.pick(Self.binaryOperators)) ", count) + " FROM system.access.audit"
        case 1: return "SELECT " + String(repeating: "(", count: count / 10) + "1" + String(repeating: ")", count: count / 10)
        case 2: return "SELECT " + String(repeating: random.pick(["abs(", "ceil(", "lower(", "size(", "coalesce(1, "]), count: count / 20) + "1" + String(repeating: ")", count: count / 20)
        case 3: return repeated("SELECT 1", " UNION ALL ", count / 2)
        case 4: return "SELECT 1" + String(repeating: random.pick(["::string", "[0]", ".x", "::int"]), count: count / 5)
        case 5: return "SELECT * FROM system.access.audit WHERE action_name IN (" + repeated("'x'", ", ", count * 5) + ")"
        case 6: return "SELECT " + String(repeating: random.pick(["NOT ", "- ", "~ "]), count: count / 5) + "1"
        case 7: return String(repeating: "SELECT (", count: count / 20) + "SELECT 1" + String(repeating: ")", count: count / 20)
        case 8: return "SELECT 1 FROM " + repeated("system.access.audit", ", ", count / 15)
        default: return "SELECT from_json('[]', '" + String(repeating: "array<", count: count / 10) + "int" + String(repeating: ">", count: count / 10) + "')"
        }
    }
}
