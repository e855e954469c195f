extension CatalogTable {
    /// `system.information_schema`: the relations Vigil serves and who holds which privilege on them, in the
    /// columns Databricks documents ("INFORMATION_SCHEMA" reference pages). These tables are computed: their
    /// rows come from the catalog and from Vigil's grants when a statement reads them (see `ComputedTableSource`).
    public static let informationSchema: [CatalogTable] = [informationSchemaTables, tablePrivileges, schemaPrivileges]

    public static let informationSchemaTables = computed(
        "tables",
        [
            ("table_catalog", .string), ("table_schema", .string), ("table_name", .string), ("table_type", .string),
            ("is_insertable_into", .string), ("commit_action", .string), ("table_owner", .string), ("comment", .string),
            ("created", .timestamp), ("created_by", .string), ("last_altered", .timestamp), ("last_altered_by", .string),
            ("data_source_format", .string), ("storage_path", .string), ("storage_sub_directory", .string),
        ],
        comment: "Relations (tables and views) of the system catalog")

    public static let tablePrivileges = computed(
        "table_privileges",
        [
            ("grantor", .string), ("grantee", .string), ("table_catalog", .string), ("table_schema", .string),
            ("table_name", .string), ("privilege_type", .string), ("is_grantable", .string), ("inherited_from", .string),
        ],
        comment: "Principals holding privileges on a table")

    public static let schemaPrivileges = computed(
        "schema_privileges",
        [
            ("grantor", .string), ("grantee", .string), ("catalog_name", .string), ("schema_name", .string),
            ("privilege_type", .string), ("is_grantable", .string), ("inherited_from", .string),
        ],
        comment: "Principals holding privileges on a schema")

    private static func computed(_ name: String, _ columns: [(String, SparkType)], comment: String) -> CatalogTable {
        CatalogTable(
            name: ["system", "information_schema", name], storage: "information_schema.\(name)",
            columns: columns.map { CatalogColumn($0.0, $0.1, .column($0.0)) }, isComputed: true, comment: comment)
    }
}

/// Supplies the rows of computed catalog tables (`information_schema`), which Vigil derives from its own state
/// instead of storing. The binder asks once per table per statement, and only when the statement reads it, so
/// a query over the audit log pays nothing for it. Rows hold values in the backend's representation (timestamps as
/// epoch milliseconds, booleans as 0/1), one per catalog column, in column order.
public protocol ComputedTableSource: Sendable {
    func rows(of table: CatalogTable) throws(SQLError) -> [[SQLValue]]
}
