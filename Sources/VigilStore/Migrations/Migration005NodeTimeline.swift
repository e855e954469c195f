import GRDB

/// `system.compute.node_timeline`: one row per compute instance per interval, in the Databricks columns.
/// Timestamps are epoch milliseconds, `driver` is 0/1, `disk_free_bytes_per_mount_point` is a JSON object sorted
/// by mount point. An instance reports one row per interval start, so (cluster_id, instance_id, start_time) is
/// unique: a resent row is recognised as a duplicate.
enum Migration005NodeTimeline {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE node_timeline (
                account_id TEXT,
                workspace_id TEXT,
                cluster_id TEXT NOT NULL,
                instance_id TEXT NOT NULL,
                start_time INTEGER NOT NULL,
                end_time INTEGER NOT NULL,
                driver INTEGER,
                cpu_user_percent REAL,
                cpu_system_percent REAL,
                cpu_wait_percent REAL,
                mem_used_percent REAL,
                mem_swap_percent REAL,
                network_sent_bytes INTEGER,
                network_received_bytes INTEGER,
                disk_free_bytes_per_mount_point TEXT,
                node_type TEXT,
                received_time INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX node_timeline_instance_start ON node_timeline(cluster_id, instance_id, start_time);
            CREATE INDEX node_timeline_start ON node_timeline(start_time);
            CREATE INDEX node_timeline_workspace_start ON node_timeline(workspace_id, start_time);
            """)
    }
}
