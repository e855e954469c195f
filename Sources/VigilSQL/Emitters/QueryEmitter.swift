/// Turns a bound query into one backend's SQL text plus the values for its placeholders. SQLite now;
/// a PostgreSQL emitter implements the same protocol over the same `BoundQuery`.
public protocol QueryEmitter: Sendable {
    func emit(_ query: BoundQuery) throws(SQLError) -> (sql: String, arguments: [SQLValue])
}

/// Collects placeholder values; placeholders are numbered (`?1`, `?2`...) so the text may be assembled in any order.
final class ArgumentList {
    private(set) var values: [SQLValue] = []

    func bind(_ value: SQLValue) -> String {
        values.append(value)
        return "?\(values.count)"
    }
}
