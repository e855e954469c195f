import GRDB
import VigilCore

/// Stores `system.compute.node_timeline` rows. Rows are utilisation samples, not audit events: they are not
/// leaves of the ledger, and a batch is one transaction of its own (not the sequencer's), all or nothing. A trigger
/// adds each row to the hourly rollup (`NodeTimelineRollup`); rows are deleted only through its `deleteRows`.
public struct NodeTimelineStore: Sendable {
    public let database: VigilDatabase

    public init(database: VigilDatabase) {
        self.database = database
    }

    public struct InsertResult: Sendable, Equatable {
        public var accepted: Int
        /// Rows already stored with the same values (a retried request).
        public var duplicates: Int
    }

    /// Inserts `rows` in one transaction. A row whose (cluster_id, instance_id, start_time) is stored already
    /// with the same values counts as a duplicate; with other values the whole batch is refused (409) naming it.
    public func insert(_ rows: [NodeTimelineRow], receivedMillis: Int64) async throws -> InsertResult {
        try await database.pool.write { db in try Self.insert(db, rows, receivedMillis: receivedMillis) }
    }

    /// `insert(_:receivedMillis:)` inside a caller's transaction (an agent's heartbeat stores its rows with it).
    public static func insert(_ db: Database, _ rows: [NodeTimelineRow], receivedMillis: Int64) throws -> InsertResult {
        var result = InsertResult(accepted: 0, duplicates: 0)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO node_timeline(\(Self.columns), received_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(cluster_id, instance_id, start_time) DO NOTHING
            """)
        for (index, row) in rows.enumerated() {
            let values = Self.values(row)
            try insert.execute(arguments: StatementArguments(values + [receivedMillis]))
            if db.changesCount == 1 {
                result.accepted += 1
                continue
            }
            guard try Self.stored(db, like: row) == values.map({ $0?.databaseValue ?? .null }) else {
                throw VigilError(
                    .alreadyExists,
                    "row \(index): a node_timeline row for cluster \(row.clusterID.prefix(64)), instance \(row.instanceID.prefix(64)) at \(Timestamp.formatRFC3339(millis: row.startMillis)) is already stored with other values; nothing from this request was stored",
                    problems: [.init(index: index, field: "start_time", reason: .rowConflict, detail: "already stored with other values")])
            }
            result.duplicates += 1
        }
        return result
    }

    /// The stored columns, in the order of `values(_:)`.
    static let columns = """
        account_id, workspace_id, cluster_id, instance_id, start_time, end_time, driver, cpu_user_percent,
        cpu_system_percent, cpu_wait_percent, mem_used_percent, mem_swap_percent, network_sent_bytes,
        network_received_bytes, disk_free_bytes_per_mount_point, node_type
        """

    static func values(_ row: NodeTimelineRow) -> [(any DatabaseValueConvertible)?] {
        [row.accountID, row.workspaceID, row.clusterID, row.instanceID, row.startMillis, row.endMillis,
         row.driver.map { $0 ? 1 : 0 }, row.cpuUserPercent, row.cpuSystemPercent, row.cpuWaitPercent,
         row.memUsedPercent, row.memSwapPercent, row.networkSentBytes, row.networkReceivedBytes, row.diskFreeJSON,
         row.nodeType]
    }

    private static func stored(_ db: Database, like row: NodeTimelineRow) throws -> [DatabaseValue]? {
        try Row.fetchOne(
            db, sql: "SELECT \(columns) FROM node_timeline WHERE cluster_id = ? AND instance_id = ? AND start_time = ?",
            arguments: [row.clusterID, row.instanceID, row.startMillis]
        ).map { stored in stored.databaseValues.map { $0 } }
    }
}
