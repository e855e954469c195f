import GRDB

/// Clusters (the Databricks Clusters API's registry of compute: here, named groups of hosts running `vigil agent`),
/// their nodes as the agents last reported them, the cluster events derived from API calls and heartbeats, and
/// `system.compute.clusters`: one row per configuration change (create, edit, delete), as Databricks keeps it.
///
/// `clusters.spec` is the ClusterSpec as JSON (ClusterSpec.json); `state`, `target_workers` and `resize_*` are the
/// `ClusterMachine` a request or heartbeat loads, changes and stores back in one transaction with its events.
/// Times are epoch milliseconds.
enum Migration007Clusters {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE clusters (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                cluster_id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL,
                spec TEXT NOT NULL,
                creator TEXT NOT NULL,
                cluster_source TEXT NOT NULL,
                create_time INTEGER NOT NULL,
                start_time INTEGER NOT NULL,
                last_restarted_time INTEGER,
                terminated_time INTEGER,
                termination_reason TEXT,
                state TEXT NOT NULL,
                state_message TEXT NOT NULL,
                target_workers INTEGER NOT NULL,
                resize_from INTEGER,
                resize_to INTEGER
            );
            CREATE TABLE cluster_nodes (
                cluster_id TEXT NOT NULL,
                instance_id TEXT NOT NULL,
                driver INTEGER NOT NULL,
                node_type TEXT,
                host TEXT,
                interval_ms INTEGER NOT NULL,
                first_seen INTEGER NOT NULL,
                last_seen INTEGER NOT NULL,
                lost INTEGER NOT NULL,
                PRIMARY KEY (cluster_id, instance_id)
            ) WITHOUT ROWID;
            CREATE TABLE cluster_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                cluster_id TEXT NOT NULL,
                timestamp INTEGER NOT NULL,
                type TEXT NOT NULL,
                details TEXT NOT NULL
            );
            CREATE INDEX cluster_events_cluster_time ON cluster_events(cluster_id, timestamp, id);
            CREATE TABLE cluster_changes (
                change_id INTEGER PRIMARY KEY AUTOINCREMENT,
                account_id TEXT,
                workspace_id TEXT NOT NULL,
                cluster_id TEXT NOT NULL,
                cluster_name TEXT,
                owned_by TEXT,
                create_time INTEGER,
                delete_time INTEGER,
                driver_node_type TEXT,
                worker_node_type TEXT,
                worker_count INTEGER,
                min_autoscale_workers INTEGER,
                max_autoscale_workers INTEGER,
                auto_termination_minutes INTEGER,
                enable_elastic_disk INTEGER,
                tags TEXT,
                cluster_source TEXT,
                init_scripts TEXT,
                driver_instance_pool_id TEXT,
                worker_instance_pool_id TEXT,
                dbr_version TEXT,
                change_time INTEGER NOT NULL,
                change_date TEXT NOT NULL
            );
            CREATE INDEX cluster_changes_workspace_time ON cluster_changes(workspace_id, change_time);
            CREATE INDEX cluster_changes_cluster_time ON cluster_changes(cluster_id, change_time);
            """)
    }
}
