extension Catalog {
    /// Every system table Vigil stores today.
    public static let system = Catalog(
        tables: [.accessAudit, .computeClusters, .computeNodeTimeline, .lakeflowJobs, .lakeflowJobRunTimeline, .vigilAppLogs, .vigilAlertHistory] + CatalogTable.informationSchema)
}

extension CatalogTable {
    /// `system.access.audit`, as Databricks declares it (reference §1.1), over the `audit_events` table.
    public static let accessAudit = CatalogTable(
        name: ["system", "access", "audit"],
        storage: "audit_events",
        columns: [
            CatalogColumn("account_id", .string, .column("account_id")),
            CatalogColumn("workspace_id", .string, .column("workspace_id")),
            CatalogColumn("version", .string, .column("version")),
            CatalogColumn("event_time", .timestamp, .column("event_time")),
            CatalogColumn("event_date", .date, .dateOfTimestamp(column: "event_date", timestampColumn: "event_time")),
            CatalogColumn("source_ip_address", .string, .column("source_ip_address")),
            CatalogColumn("user_agent", .string, .column("user_agent")),
            CatalogColumn("session_id", .string, .column("session_id")),
            CatalogColumn(
                "user_identity", .struct([.init("email", .string), .init("subject_name", .string)]),
                .flattenedStruct(presenceBit: 1, fieldColumns: ["user_email", "user_subject_name"])),
            CatalogColumn("service_name", .string, .column("service_name")),
            CatalogColumn("action_name", .string, .column("action_name")),
            CatalogColumn("request_id", .string, .column("request_id")),
            CatalogColumn("request_params", .map(.string, .string), .column("request_params")),
            CatalogColumn(
                "response", .struct([.init("status_code", .int), .init("error_message", .string), .init("result", .string)]),
                .flattenedStruct(presenceBit: 2, fieldColumns: ["status_code", "error_message", "result"])),
            CatalogColumn("audit_level", .string, .column("audit_level")),
            CatalogColumn("event_id", .string, .column("event_id")),
            CatalogColumn(
                "identity_metadata",
                .struct([.init("run_by", .string), .init("run_as", .string), .init("acting_resource", .string)]),
                .flattenedStruct(presenceBit: 4, fieldColumns: ["run_by", "run_as", "acting_resource"])),
        ],
        scopeColumn: "workspace_id",
        // Migration 001's indexes (every index also holds the rowid, `seq`).
        indexes: [
            ["event_time"], ["user_email", "event_time"], ["service_name", "event_time"], ["action_name", "event_time"],
            ["workspace_id", "event_time"], ["source_ip_address", "event_time"], ["request_id"], ["event_id"],
        ],
        comment: "Audit events: who did what, to which resource, when, from where, with what outcome")

    /// `system.compute.node_timeline`, as Databricks declares it (reference §3): one row per instance per minute
    /// of CPU, memory, network and disk use, over the `node_timeline` table (migration 005).
    public static let computeNodeTimeline = CatalogTable(
        name: ["system", "compute", "node_timeline"],
        storage: "node_timeline",
        columns: [
            CatalogColumn("account_id", .string, .column("account_id")),
            CatalogColumn("workspace_id", .string, .column("workspace_id")),
            CatalogColumn("cluster_id", .string, .column("cluster_id")),
            CatalogColumn("instance_id", .string, .column("instance_id")),
            CatalogColumn("start_time", .timestamp, .column("start_time")),
            CatalogColumn("end_time", .timestamp, .column("end_time")),
            CatalogColumn("driver", .boolean, .column("driver")),
            CatalogColumn("cpu_user_percent", .double, .column("cpu_user_percent")),
            CatalogColumn("cpu_system_percent", .double, .column("cpu_system_percent")),
            CatalogColumn("cpu_wait_percent", .double, .column("cpu_wait_percent")),
            CatalogColumn("mem_used_percent", .double, .column("mem_used_percent")),
            CatalogColumn("mem_swap_percent", .double, .column("mem_swap_percent")),
            CatalogColumn("network_sent_bytes", .bigint, .column("network_sent_bytes")),
            CatalogColumn("network_received_bytes", .bigint, .column("network_received_bytes")),
            CatalogColumn("disk_free_bytes_per_mount_point", .map(.string, .bigint), .column("disk_free_bytes_per_mount_point")),
            CatalogColumn("node_type", .string, .column("node_type")),
        ],
        scopeColumn: "workspace_id",
        // Migration 005's indexes, and 017's covering one for per-node utilisation.
        indexes: [
            ["start_time"], ["cluster_id", "instance_id", "start_time"], ["workspace_id", "start_time"],
            ["instance_id", "start_time", "workspace_id", "cluster_id", "cpu_user_percent", "cpu_system_percent", "cpu_wait_percent", "mem_used_percent"],
        ],
        // Migration 018's hourly rollup: VigilStore's `NodeTimelineRollup` builds and keeps the table from this description.
        rollup: CatalogRollup(
            storage: "node_timeline_hourly", bucketMillis: 3_600_000, timeColumn: "start_time",
            keys: ["account_id", "workspace_id", "cluster_id", "instance_id", "driver", "node_type"],
            groups: [
                ["cpu_user_percent", "cpu_system_percent", "cpu_wait_percent"], ["mem_used_percent", "mem_swap_percent"],
                ["network_sent_bytes", "network_received_bytes"],
            ]),
        comment: "Utilization of compute nodes: one row per instance per minute")

    /// `system.compute.clusters`, as Databricks declares it (reference §3): one row per configuration change of a
    /// cluster (create, edit, terminate), over `cluster_changes` (migration 007). `tags` is a JSON object sorted by key;
    /// `init_scripts` a JSON array of each script's JSON text.
    public static let computeClusters = CatalogTable(
        name: ["system", "compute", "clusters"],
        storage: "cluster_changes",
        columns: [
            CatalogColumn("account_id", .string, .column("account_id")),
            CatalogColumn("workspace_id", .string, .column("workspace_id")),
            CatalogColumn("cluster_id", .string, .column("cluster_id")),
            CatalogColumn("cluster_name", .string, .column("cluster_name")),
            CatalogColumn("owned_by", .string, .column("owned_by")),
            CatalogColumn("create_time", .timestamp, .column("create_time")),
            CatalogColumn("delete_time", .timestamp, .column("delete_time")),
            CatalogColumn("driver_node_type", .string, .column("driver_node_type")),
            CatalogColumn("worker_node_type", .string, .column("worker_node_type")),
            CatalogColumn("worker_count", .bigint, .column("worker_count")),
            CatalogColumn("min_autoscale_workers", .bigint, .column("min_autoscale_workers")),
            CatalogColumn("max_autoscale_workers", .bigint, .column("max_autoscale_workers")),
            CatalogColumn("auto_termination_minutes", .bigint, .column("auto_termination_minutes")),
            CatalogColumn("enable_elastic_disk", .boolean, .column("enable_elastic_disk")),
            CatalogColumn("tags", .map(.string, .string), .column("tags")),
            CatalogColumn("cluster_source", .string, .column("cluster_source")),
            CatalogColumn("init_scripts", .array(.string), .column("init_scripts")),
            CatalogColumn("driver_instance_pool_id", .string, .column("driver_instance_pool_id")),
            CatalogColumn("worker_instance_pool_id", .string, .column("worker_instance_pool_id")),
            CatalogColumn("dbr_version", .string, .column("dbr_version")),
            CatalogColumn("change_time", .timestamp, .column("change_time")),
            CatalogColumn("change_date", .date, .dateOfTimestamp(column: "change_date", timestampColumn: "change_time")),
        ],
        scopeColumn: "workspace_id",
        // Migration 007's indexes.
        indexes: [["workspace_id", "change_time"], ["cluster_id", "change_time"]],
        comment: "Compute configurations: one row per change of a cluster's configuration")

    /// `system.lakeflow.jobs` (reference §3): one row per change of a job (its creation, here), over `job_changes`
    /// (migration 008).
    public static let lakeflowJobs = CatalogTable(
        name: ["system", "lakeflow", "jobs"],
        storage: "job_changes",
        columns: [
            CatalogColumn("account_id", .string, .column("account_id")),
            CatalogColumn("workspace_id", .string, .column("workspace_id")),
            CatalogColumn("job_id", .string, .column("job_id")),
            CatalogColumn("name", .string, .column("name")),
            CatalogColumn("description", .string, .column("description")),
            CatalogColumn("creator_id", .string, .column("creator_id")),
            CatalogColumn("tags", .map(.string, .string), .column("tags")),
            CatalogColumn("change_time", .timestamp, .column("change_time")),
            CatalogColumn("delete_time", .timestamp, .column("delete_time")),
            CatalogColumn("run_as", .string, .column("run_as")),
        ],
        scopeColumn: "workspace_id",
        indexes: [["workspace_id", "change_time"]],
        comment: "Jobs: one row per change of a job")

    /// `system.lakeflow.job_run_timeline` (reference §3): each run cut into clock-hour slices (sum them per run);
    /// `result_state` and `termination_code` are on the last slice of an ended run, null while it runs. Over
    /// `job_run_slices` (migration 008).
    public static let lakeflowJobRunTimeline = CatalogTable(
        name: ["system", "lakeflow", "job_run_timeline"],
        storage: "job_run_slices",
        columns: [
            CatalogColumn("account_id", .string, .column("account_id")),
            CatalogColumn("workspace_id", .string, .column("workspace_id")),
            CatalogColumn("job_id", .string, .column("job_id")),
            CatalogColumn("run_id", .string, .column("run_id")),
            CatalogColumn("period_start_time", .timestamp, .column("period_start_time")),
            CatalogColumn("period_end_time", .timestamp, .column("period_end_time")),
            CatalogColumn("trigger_type", .string, .column("trigger_type")),
            CatalogColumn("run_type", .string, .column("run_type")),
            CatalogColumn("run_name", .string, .column("run_name")),
            CatalogColumn("compute_ids", .array(.string), .column("compute_ids")),
            CatalogColumn("result_state", .string, .column("result_state")),
            CatalogColumn("termination_code", .string, .column("termination_code")),
            CatalogColumn("job_parameters", .map(.string, .string), .column("job_parameters")),
        ],
        scopeColumn: "workspace_id",
        indexes: [["run_id", "period_start_time"], ["workspace_id", "period_start_time"], ["job_id", "period_start_time"]],
        comment: "Job runs: each run in clock-hour slices, with its result on the last")

    /// `system.vigil.app_logs`: app log lines (Vigil's own table; Databricks keeps app logs outside system tables), over
    /// `app_log_lines` in `logs.sqlite`. A reader sees only the lines of apps it may use.
    public static let vigilAppLogs = CatalogTable(
        name: ["system", "vigil", "app_logs"],
        storage: "app_log_lines",
        columns: [
            CatalogColumn("app_name", .string, .column("app_name")),
            CatalogColumn("timestamp", .timestamp, .column("ts")),
            CatalogColumn("source", .string, .column("source")),
            CatalogColumn("stream", .string, .column("stream")),
            CatalogColumn("level", .string, .column("level")),
            CatalogColumn("message", .string, .column("message")),
            CatalogColumn("fields", .map(.string, .string), .column("fields")),
        ],
        appScopeColumn: "app_key",
        indexes: [["app_key", "ts"]],
        comment: "App log lines: what apps wrote to stdout and stderr, shipped by vigil run, Loki or OTLP")

    /// `system.vigil.alert_history`: every detection alert and its state (Vigil's own table), over `alert_history`
    /// (migrations 009 and 010). The state is the latest: TRIGGERED, SILENCED, ACKNOWLEDGED or RESOLVED; each
    /// transition is also an audit event (`vigil`/`alertTriggered`, `alertSilenced`, `acknowledgeAlert`, `alertResolved`).
    public static let vigilAlertHistory = CatalogTable(
        name: ["system", "vigil", "alert_history"],
        storage: "alert_history",
        columns: [
            CatalogColumn("alert_id", .bigint, .column("alert_id")),
            CatalogColumn("workspace_id", .string, .column("workspace_id")),
            CatalogColumn("rule_id", .string, .column("rule_id")),
            CatalogColumn("title", .string, .column("title")),
            CatalogColumn("level", .string, .column("level")),
            CatalogColumn("type", .string, .column("kind")),
            CatalogColumn("state", .string, .column("state")),
            CatalogColumn("fired_time", .timestamp, .column("fired_time")),
            CatalogColumn("event_time", .timestamp, .column("event_time")),
            CatalogColumn("resolved_time", .timestamp, .column("resolved_time")),
            CatalogColumn("acknowledged_by", .string, .column("acknowledged_by")),
            CatalogColumn("acknowledged_time", .timestamp, .column("acknowledged_time")),
            CatalogColumn("silenced_by", .string, .column("silenced_by")),
            CatalogColumn("count", .bigint, .column("count")),
            CatalogColumn("group_values", .map(.string, .string), .column("group_values")),
            CatalogColumn("event_ids", .array(.string), .column("event_ids")),
            CatalogColumn("notify", .array(.string), .column("notify")),
        ],
        scopeColumn: "workspace_id",
        // Migrations 009 and 010's indexes.
        indexes: [["rule_id", "alert_id"], ["fired_time"], ["state", "fired_time"]],
        comment: "Detection alerts: one row per alert, with its latest state")
}
