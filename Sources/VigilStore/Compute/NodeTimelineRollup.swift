import GRDB
import VigilSQL

/// `node_timeline_hourly`: `node_timeline` summed per node and UTC hour, so a month of one-minute rows is read as
/// 720 rows per node instead of 43,200. The SQL compiler answers a time-bucketed aggregate over `node_timeline`
/// (hours or coarser) from it, plus the raw rows of the partial hours at the edges of the queried range
/// (`RollupRewrite` in VigilSQL); this type owns the table's contents.
///
/// A row per (account, workspace, cluster, instance, driver, node type, hour) holds, for each measure column,
/// the sum, the count of non-null values, the minimum and the maximum, and the number of rows. An aggregate of a
/// sum of columns (`avg(cpu_user_percent + cpu_system_percent)`) reads the sums of each column, which is exact only
/// if the columns are null in the same rows: so a row whose measures of one group (CPU, memory, network) are null
/// in some columns and not in others is kept in a rollup row of its own (`single_start` is its start time), where
/// a sum of columns is NULL exactly as the row's own would be. Agents seldom send such rows (a CPU-limited
/// container whose iowait could not be read).
///
/// Kept by a trigger on insert, in the inserting transaction. Sums are REAL (exact to 2^53), so adding rows to an
/// hour never fails. Rows must be deleted only through `deleteRows(_:before:limit:)`, which rebuilds the one hour a
/// batch may cut: a DELETE elsewhere would leave the rollup answering for rows that are gone.
public enum NodeTimelineRollup {
    /// What the SQL catalog says the rollup holds (storage, bucket, keys, null groups): one description for the
    /// compiler that reads the table and for this type that writes it.
    static let description = CatalogTable.computeNodeTimeline.rollup!
    public static let table = description.storage
    public static let bucketMillis = description.bucketMillis
    /// The rollup's key columns, named as in `node_timeline`.
    public static let keys = description.keys
    /// Measure columns by null group: a row is summed with others only if, in each group, its columns are all null
    /// or all not null.
    public static let groups = description.groups
    public static var measures: [String] { groups.flatMap { $0 } }

    static func hour(_ column: String) -> String {
        "(\(column) - ((\(column) % \(bucketMillis)) + \(bucketMillis)) % \(bucketMillis))"
    }

    /// True for a row whose measures are null in part of a group (`row` is `NEW.` or a table alias with a dot).
    static func mixed(_ row: String) -> String {
        groups.map { group in
            let nulls = group.map { "(\(row)\($0) IS NULL)" }.joined(separator: " + ")
            return "(\(nulls)) % \(group.count) != 0"
        }.joined(separator: " OR ")
    }

    static var uniqueKey: String {
        (["start_time", "instance_id", "cluster_id"] + ["account_id", "workspace_id", "driver", "node_type", "single_start"].map { "coalesce(\($0), x'')" })
            .joined(separator: ", ")
    }

    static var storedColumns: [String] {
        keys + ["start_time", "single_start", "row_count"] + measures.flatMap { ["\($0)_sum", "\($0)_count", "\($0)_min", "\($0)_max"] }
    }

    static let createSQL: String = """
        CREATE TABLE \(table) (
            account_id TEXT,
            workspace_id TEXT,
            cluster_id TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            driver INTEGER,
            node_type TEXT,
            start_time INTEGER NOT NULL,
            single_start INTEGER,
            row_count INTEGER NOT NULL,
            \(measures.map { m -> String in
                // Sums are REAL even of byte counts: an hour's sum must never fail where its rows stored fine.
                let type = m.hasSuffix("_bytes") ? "INTEGER" : "REAL"
                return "\(m)_sum REAL, \(m)_count INTEGER NOT NULL, \(m)_min \(type), \(m)_max \(type)"
            }.joined(separator: ",\n    "))
        );
        CREATE UNIQUE INDEX \(table)_key ON \(table)(\(uniqueKey));
        CREATE INDEX \(table)_workspace_start ON \(table)(workspace_id, start_time);
        CREATE TRIGGER \(table)_insert AFTER INSERT ON node_timeline BEGIN
            INSERT INTO \(table)(\(storedColumns.joined(separator: ", ")))
            VALUES (\((keys.map { "NEW.\($0)" } + [hour("NEW.start_time"), "CASE WHEN \(mixed("NEW.")) THEN NEW.start_time END", "1"]
                + measures.flatMap { ["NEW.\($0)", "NEW.\($0) IS NOT NULL", "NEW.\($0)", "NEW.\($0)"] }).joined(separator: ", ")))
            ON CONFLICT(\(uniqueKey)) DO UPDATE SET row_count = row_count + 1, \(measures.map { m -> String in
                // SQLite's scalar min/max are NULL if an argument is; coalesce keeps the known value.
                "\(m)_sum = coalesce(\(m)_sum + excluded.\(m)_sum, \(m)_sum, excluded.\(m)_sum), "
                    + "\(m)_count = \(m)_count + excluded.\(m)_count, "
                    + "\(m)_min = min(coalesce(\(m)_min, excluded.\(m)_min), coalesce(excluded.\(m)_min, \(m)_min)), "
                    + "\(m)_max = max(coalesce(\(m)_max, excluded.\(m)_max), coalesce(excluded.\(m)_max, \(m)_max))"
            }.joined(separator: ", "));
        END;
        """

    /// Recomputes the rollup rows of the hours in [from, to) from `node_timeline` (all hours when both are nil).
    public static func rebuild(_ db: Database, from: Int64? = nil, to: Int64? = nil) throws {
        var conditions: [String] = []
        var arguments: [DatabaseValueConvertible] = []
        if let from {
            conditions.append("start_time >= ?")
            arguments.append(from)
        }
        if let to {
            conditions.append("start_time < ?")
            arguments.append(to)
        }
        let range = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        try db.execute(sql: "DELETE FROM \(table)\(range)", arguments: StatementArguments(arguments))
        let single = "CASE WHEN \(mixed("")) THEN start_time END"
        try db.execute(sql: """
            INSERT INTO \(table)(\(storedColumns.joined(separator: ", ")))
            SELECT \((keys + [hour("start_time"), single, "count(*)"]
                + measures.flatMap { ["sum(CAST(\($0) AS REAL))", "count(\($0))", "min(\($0))", "max(\($0))"] }).joined(separator: ", "))
            FROM node_timeline\(range)
            GROUP BY \((keys + [hour("start_time"), single]).joined(separator: ", "))
            """, arguments: StatementArguments(arguments))
    }

    /// Deletes at most `limit` of the oldest `node_timeline` rows that started before `cutoff`, and keeps the rollup
    /// exact in the same transaction: hours left without rows are dropped, and the hour the batch cut is rebuilt.
    /// Returns the rows deleted.
    public static func deleteRows(_ db: Database, before cutoff: Int64, limit: Int) throws -> Int {
        try db.execute(
            sql: "DELETE FROM node_timeline WHERE rowid IN (SELECT rowid FROM node_timeline WHERE start_time < ? ORDER BY start_time LIMIT ?)",
            arguments: [cutoff, limit])
        let deleted = db.changesCount
        guard deleted > 0 else { return 0 }
        guard let oldest = try Int64.fetchOne(db, sql: "SELECT min(start_time) FROM node_timeline") else {
            try db.execute(sql: "DELETE FROM \(table)")
            return deleted
        }
        let hour = oldest - ((oldest % bucketMillis) + bucketMillis) % bucketMillis
        try db.execute(sql: "DELETE FROM \(table) WHERE start_time < ?", arguments: [hour])
        try rebuild(db, from: hour, to: hour + bucketMillis)
        return deleted
    }
}
