import GRDB

/// Metric alarms (CloudWatch semantics over node_timeline and audit event counts): the definition as written, its
/// state and why, and the alert_history row of its current ALARM period.
enum Migration012MetricAlarms {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE metric_alarms (
                alarm_name TEXT PRIMARY KEY,
                definition TEXT NOT NULL,
                state TEXT NOT NULL,
                state_reason TEXT NOT NULL,
                state_updated_time INTEGER NOT NULL,
                last_evaluated_time INTEGER,
                open_alert_id INTEGER,
                created_by TEXT NOT NULL,
                create_time INTEGER NOT NULL,
                update_time INTEGER NOT NULL
            );
            """)
    }
}
