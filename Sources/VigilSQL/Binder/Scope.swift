/// The relations a name can resolve against, innermost first; `parent` is the enclosing query's scope for
/// correlated subqueries.
final class Scope {
    struct Relation {
        /// Lower-cased qualifier paths that name this relation: its alias, or the table name and its suffixes.
        var qualifiers: [[String]]
        var columns: [Column]
    }

    struct Column {
        var name: String
        var expression: BoundExpression
    }

    var relations: [Relation] = []
    let parent: Scope?

    init(parent: Scope? = nil) {
        self.parent = parent
    }

    var allColumns: [Column] { relations.flatMap(\.columns) }
}

/// State shared by every binder of one statement: internal alias numbering and the statement's constants.
final class BindingContext {
    let catalog: Catalog
    /// Query start, milliseconds since the epoch: `current_date()` and `now()` are constant for the statement.
    let now: Int64
    let parameters: [String: SQLValue]
    /// The caller's workspace limit: scoped tables only yield rows of these workspaces. nil = no limit.
    let workspaceScope: [String]?
    /// The caller's app limit: app-scoped tables only yield rows of these app keys. nil = no limit.
    let appScope: [Int64]?
    /// Storage columns that hold the UTC date of a timestamp column (`event_date` of `event_time`).
    let derivedDates: [String: String]
    /// Where computed tables' rows come from; nil = computed tables cannot be read in this statement.
    let computedTables: (any ComputedTableSource)?
    /// Whether aggregates may be answered from a table's rollup (`RollupRewrite`); off only to compare answers.
    let useRollups: Bool
    /// Rows already fetched for a computed table (by storage name), so a table read twice is asked for once.
    private var computedRows: [String: [[SQLValue]]] = [:]
    private var counter = 0

    init(
        catalog: Catalog, now: Int64, parameters: [String: SQLValue], workspaceScope: [String]? = nil, appScope: [Int64]? = nil,
        computedTables: (any ComputedTableSource)? = nil, useRollups: Bool = true
    ) {
        self.useRollups = useRollups
        self.catalog = catalog
        self.computedTables = computedTables
        self.now = now
        self.parameters = parameters
        self.workspaceScope = workspaceScope
        self.appScope = appScope
        var derived: [String: String] = [:]
        for table in catalog.tables {
            for column in table.columns {
                if case .dateOfTimestamp(let date, let timestamp) = column.source { derived[date] = timestamp }
            }
        }
        derivedDates = derived
    }

    func rows(of table: CatalogTable, at position: SourcePosition) throws(SQLError) -> [[SQLValue]] {
        if let rows = computedRows[table.storage] { return rows }
        guard let computedTables else {
            throw SQLError(.tableNotFound, "table \(table.qualifiedName) is not available to this statement", at: position)
        }
        let rows = try computedTables.rows(of: table)
        computedRows[table.storage] = rows
        return rows
    }

    func nextAlias(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }
}
