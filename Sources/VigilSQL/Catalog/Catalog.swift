/// The tables SQL can reach: data, not code, so a later system table is one more entry. Identifiers in the
/// emitted SQL come only from here; the SQL connection's authorizer allows reading exactly these storage tables.
public struct Catalog: Sendable {
    public var tables: [CatalogTable]

    public init(tables: [CatalogTable]) {
        self.tables = tables
    }

    /// Looks a table up by its full name or by a suffix of it (`audit`, `access.audit`, `system.access.audit`).
    public func table(named parts: [String]) -> CatalogTable? {
        let lowered = parts.map { $0.lowercased() }
        return tables.first { table in
            lowered.count <= table.name.count && Array(table.name.suffix(lowered.count)) == lowered
                && (lowered.count == table.name.count || lowered.count >= 2)
        }
    }

    /// Storage tables SQL may read, for the connection's authorizer (computed tables have none).
    public var storageTables: Set<String> {
        Set(tables.filter { !$0.isComputed }.flatMap { [$0.storage] + ($0.rollup.map { [$0.storage] } ?? []) })
    }
}

/// A table's rollup: its rows summed per key and time bucket in storage of their own, which the compiler reads
/// instead of the base rows where that gives the same answer (`RollupRewrite`). The rollup has the base table's key
/// and time column names, a `row_count`, and per measure column `m`: `m_sum`, `m_count` (non-null values), `m_min`
/// and `m_max`. Measures are in null groups: a rollup row sums only base rows whose measures are, group by group,
/// all null or all not null (others have rollup rows of their own), so a sum of one group's columns is exact.
public struct CatalogRollup: Sendable {
    public var storage: String
    public var bucketMillis: Int64
    public var timeColumn: String
    public var keys: [String]
    public var groups: [[String]]

    public init(storage: String, bucketMillis: Int64, timeColumn: String, keys: [String], groups: [[String]]) {
        self.storage = storage
        self.bucketMillis = bucketMillis
        self.timeColumn = timeColumn
        self.keys = keys
        self.groups = groups
    }
}

public struct CatalogTable: Sendable {
    /// Lower-case name parts, e.g. `["system", "access", "audit"]`.
    public var name: [String]
    /// The SQLite table holding the rows; for a computed table, only a name that identifies it.
    public var storage: String
    /// The rows are not stored but derived from Vigil's own state when a statement reads the table
    /// (`information_schema`), through the statement's `ComputedTableSource`.
    public var isComputed: Bool
    /// What the table holds, as `information_schema.tables.comment` reports it.
    public var comment: String
    public var columns: [CatalogColumn]
    /// The storage column a caller's workspace limit applies to (`workspace_id`); nil = rows are not scoped.
    public var scopeColumn: String?
    /// The storage column holding the app key (`app_log_lines.app_key`) a caller's app limit applies to; nil = rows
    /// are not scoped by app.
    public var appScopeColumn: String?
    /// The storage table's indexes (column lists). The binder uses them to tell a GROUP BY an index can answer
    /// alone (a covering walk) from one that would fetch every row through an index.
    public var indexes: [[String]]
    /// Where aggregates over time buckets of an hour or more can be read from, if anywhere.
    public var rollup: CatalogRollup?

    public init(
        name: [String], storage: String, columns: [CatalogColumn], scopeColumn: String? = nil, appScopeColumn: String? = nil,
        indexes: [[String]] = [], rollup: CatalogRollup? = nil, isComputed: Bool = false, comment: String = ""
    ) {
        self.rollup = rollup
        self.appScopeColumn = appScopeColumn
        self.name = name
        self.storage = storage
        self.isComputed = isComputed
        self.comment = comment
        self.columns = columns
        self.scopeColumn = scopeColumn
        self.indexes = indexes
    }

    public var qualifiedName: String { name.joined(separator: ".") }
}

public struct CatalogColumn: Sendable {
    public enum Source: Sendable {
        /// One storage column holds the value in Vigil's representation.
        case column(String)
        /// A struct flattened into one storage column per field (in the type's field order); the struct itself is
        /// NULL when `presenceBit` is clear in `present_structs`.
        case flattenedStruct(presenceBit: Int, fieldColumns: [String])
        /// A DATE derived from a TIMESTAMP column (UTC day). Comparisons with a constant date are rewritten to a
        /// range on the timestamp column so that its index serves `event_date >= current_date() - 30`.
        case dateOfTimestamp(column: String, timestampColumn: String)
    }

    public var name: String
    public var type: SparkType
    public var source: Source

    public init(_ name: String, _ type: SparkType, _ source: Source) {
        self.name = name
        self.type = type
        self.source = source
    }
}
