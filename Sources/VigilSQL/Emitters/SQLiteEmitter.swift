import VigilCore

/// SQLite text for a bound query. Output columns are `c0`, `c1`...; relations use the binder's internal aliases;
/// the only other identifiers are catalog storage names. Spark semantics SQLite lacks are custom functions
/// (`spark_*`) that the store registers on the connection (see `SparkFunctionSet`).
public struct SQLiteEmitter: QueryEmitter {
    public init() {}

    /// Bound arguments one statement may use (Debian's SQLite allows 250,000). Preparing is not interrupted by the
    /// statement's time limit, so the bound keeps it to tens of milliseconds. (Long IN lists of constants take one
    /// argument, see `inlineListLimit`.)
    public static let maxArguments = 100_000
    /// The longest SQL text handed to SQLite.
    public static let maxSQLBytes = 8 << 20

    public func emit(_ query: BoundQuery) throws(SQLError) -> (sql: String, arguments: [SQLValue]) {
        let arguments = ArgumentList()
        let writer = SQLiteWriter(arguments: arguments)
        let (sql, values) = Self.anonymousPlaceholders(writer.query(query), arguments.values)
        guard values.count <= Self.maxArguments else {
            throw SQLError(
                .tooComplex, "the statement holds more than \(Self.maxArguments) constants outside IN lists; split it or use an IN (...) list")
        }
        guard sql.utf8.count <= Self.maxSQLBytes else {
            throw SQLError(.tooComplex, "the statement compiles to more than \(Self.maxSQLBytes >> 20) MiB of SQL")
        }
        return (sql, values)
    }

    /// Rewrites the writer's numbered placeholders (`?3`) as anonymous ones (`?`), with the arguments in the order
    /// the placeholders appear. SQLite resolves numbered parameters with a linear search while it generates code,
    /// so n of them cost n² to prepare (30,000: 1.7 s, 250,000: minutes, with no time limit); anonymous ones cost
    /// nothing extra. The emitted SQL quotes no `?` (identifiers are catalog names, literals are arguments), but
    /// quoted text is skipped anyway.
    static func anonymousPlaceholders(_ sql: String, _ values: [SQLValue]) -> (String, [SQLValue]) {
        var output: [UInt8] = []
        output.reserveCapacity(sql.utf8.count)
        var ordered: [SQLValue] = []
        ordered.reserveCapacity(values.count)
        var quote: UInt8?
        var bytes = Array(sql.utf8)[...]
        while let byte = bytes.popFirst() {
            if let open = quote {
                output.append(byte)
                if byte == open { quote = nil }
                continue
            }
            if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                output.append(byte)
                continue
            }
            guard byte == UInt8(ascii: "?"), let first = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                output.append(byte)
                continue
            }
            var number = 0
            while let digit = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
                if number < 1 << 40 { number = number * 10 + Int(digit - UInt8(ascii: "0")) }
                bytes.removeFirst()
            }
            output.append(byte)
            ordered.append(number >= 1 && number <= values.count ? values[number - 1] : .null)
        }
        return (String(decoding: output, as: UTF8.self), ordered)
    }
}

struct SQLiteWriter {
    let arguments: ArgumentList

    func query(_ query: BoundQuery) -> String {
        var text = ""
        if !query.ctes.isEmpty {
            text += "WITH " + query.ctes.map { "\($0.name) AS (\(self.query($0.query)))" }.joined(separator: ", ") + " "
        }
        text += body(query.body)
        if !query.orderBy.isEmpty {
            text += " ORDER BY " + query.orderBy.map(order).joined(separator: ", ")
        }
        if let limit = query.limit { text += " LIMIT \(limit)" }
        return text
    }

    private func body(_ body: BoundBody) -> String {
        switch body {
        case .select(let select):
            return self.select(select)
        case .nested(let query):
            return "SELECT * FROM (\(self.query(query)))"
        case .setOperation(let op, let left, let right):
            // SQLite compounds cannot nest with parentheses: a compound operand is wrapped as a subquery.
            let leftText = operand(left)
            let rightText = operand(right)
            let keyword =
                switch op {
                case .unionAll: "UNION ALL"
                case .union: "UNION"
                case .except: "EXCEPT"
                case .intersect: "INTERSECT"
                }
            return "\(leftText) \(keyword) \(rightText)"
        }
    }

    private func operand(_ body: BoundBody) -> String {
        if case .setOperation = body { return "SELECT * FROM (\(self.body(body)))" }
        return self.body(body)
    }

    private func select(_ select: BoundSelect) -> String {
        var text = "SELECT "
        if select.distinct { text += "DISTINCT " }
        text += select.items.enumerated().map { "\(expression($1)) AS c\($0)" }.joined(separator: ", ")
        if let from = select.from { text += " FROM " + self.from(from) }
        if let condition = select.whereClause { text += " WHERE " + expression(condition) }
        if !select.groupBy.isEmpty {
            // Unary + keeps the value but stops SQLite from walking an index to get groups in order (`sortGroups`).
            text += " GROUP BY " + select.groupBy.map { key in
                if select.sortGroups, case .column = key { return "+" + expression(key) }
                return expression(key)
            }.joined(separator: ", ")
        }
        if let having = select.having { text += " HAVING " + expression(having) }
        return text
    }

    private func from(_ from: BoundFrom) -> String {
        switch from {
        case .table(let storage, let alias, let filter):
            if let filter { return "(SELECT * FROM \(quote(storage)) AS \(alias) WHERE \(expression(filter))) AS \(alias)" }
            return "\(quote(storage)) AS \(alias)"
        case .rows(let rows, let columns, let alias):
            // One bound argument holds every row as a JSON array of arrays, so a computed table of any size needs
            // no more placeholders than SQLite allows; json_each unpacks it.
            let items = columns.enumerated().map { "json_extract(value, '$[\($0)]') AS \(quote($1))" }.joined(separator: ", ")
            return "(SELECT \(items) FROM json_each(\(arguments.bind(.text(Self.json(rows)))))) AS \(alias)"
        case .derived(let query, let alias):
            return "(\(self.query(query))) AS \(alias)"
        case .cte(let name, let alias):
            return "\(name) AS \(alias)"
        case .generator(let input, let alias):
            return "json_each(\(expression(input))) AS \(alias)"
        case .join(let kind, let left, let right, let condition):
            var rightText = self.from(right)
            if case .join = right { rightText = "(\(rightText))" }
            switch kind {
            case .cross:
                return "\(self.from(left)) CROSS JOIN \(rightText)"
            case .inner, .left, .right, .full:
                let keyword = kind == .inner ? "JOIN" : kind == .left ? "LEFT JOIN" : kind == .right ? "RIGHT JOIN" : "FULL JOIN"
                return "\(self.from(left)) \(keyword) \(rightText) ON \(condition.map(expression) ?? "1")"
            }
        }
    }

    func order(_ order: BoundOrder) -> String {
        var text: String
        switch order.target {
        case .output(let index): text = "\(index + 1)"
        case .expression(let expression): text = self.expression(expression)
        }
        if !order.ascending { text += " DESC" }
        if let nullsFirst = order.nullsFirst { text += nullsFirst ? " NULLS FIRST" : " NULLS LAST" }
        return text
    }

    static func json(_ rows: [[SQLValue]]) -> String {
        var writer = JSONWriter()
        writer.beginArray()
        for (index, row) in rows.enumerated() {
            if index > 0 { writer.comma() }
            writer.beginArray()
            for (position, value) in row.enumerated() {
                if position > 0 { writer.comma() }
                switch value {
                case .null: writer.null()
                case .integer(let number): writer.integer(number)
                case .real(let number): writer.rawBytes(number.isFinite ? "\(number)" : "null")
                case .text(let text): writer.string(text)
                }
            }
            writer.endArray()
        }
        writer.endArray()
        return writer.string
    }

    func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
