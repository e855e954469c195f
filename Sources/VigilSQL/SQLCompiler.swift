/// The compiler's entry point: Spark SQL text in, backend SQL with bound arguments out.
public struct SQLCompiler: Sendable {
    public var catalog: Catalog
    public var emitter: any QueryEmitter
    /// Whether aggregates may be answered from a table's rollup (`RollupRewrite`). Tests turn it off to compare
    /// the rollup's answers with the base table's.
    public var useRollups = true

    public init(catalog: Catalog = .system, emitter: any QueryEmitter = SQLiteEmitter(), useRollups: Bool = true) {
        self.catalog = catalog
        self.emitter = emitter
        self.useRollups = useRollups
    }

    /// - Parameters:
    ///   - now: the statement's start, milliseconds since the epoch (`current_date()`, `now()`).
    ///   - parameters: values for `:name` markers.
    ///   - workspaceScope: when set, scoped tables yield only rows whose workspace is listed (workspace-limited readers).
    ///   - appScope: when set, app-scoped tables (`system.vigil.app_logs`) yield only rows of these app keys.
    ///   - computedTables: the rows of `information_schema` tables, as the caller may see them; without it those
    ///     tables cannot be read.
    public func compile(
        _ text: String, now: Int64, parameters: [String: SQLValue] = [:], workspaceScope: [String]? = nil, appScope: [Int64]? = nil,
        computedTables: (any ComputedTableSource)? = nil
    ) throws(SQLError) -> CompiledQuery {
        let query = try Parser.parse(text)
        let context = BindingContext(
            catalog: catalog, now: now, parameters: parameters, workspaceScope: workspaceScope, appScope: appScope,
            computedTables: computedTables, useRollups: useRollups)
        let bound = try Binder(context: context).bind(query, outer: nil)
        let (sql, arguments) = try emitter.emit(bound)
        return CompiledQuery(sql: sql, arguments: arguments, columns: bound.columns)
    }
}

/// Backend SQL ready to run: every literal is in `arguments`, never in `sql`.
public struct CompiledQuery: Sendable {
    public init(sql: String, arguments: [SQLValue], columns: [OutputColumn]) {
        self.sql = sql
        self.arguments = arguments
        self.columns = columns
    }

    public var sql: String
    public var arguments: [SQLValue]
    /// Output columns with Spark names and types, in order; the backend returns them as c0, c1...
    public var columns: [OutputColumn]
}
