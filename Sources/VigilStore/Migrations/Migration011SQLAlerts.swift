import GRDB

/// SQL alerts in the Databricks Alerts V2 shape: the definition as written (JSON), its owner (whose access the
/// query runs with), its state and schedule. A TRIGGERED period is an `alert_history` row (kind `sql_alert`), so its
/// notifications, silences and audit events are those of every alert.
enum Migration011SQLAlerts {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE sql_alerts (
                id TEXT PRIMARY KEY,
                definition TEXT NOT NULL,
                owner_user_name TEXT NOT NULL,
                lifecycle_state TEXT NOT NULL,
                state TEXT NOT NULL,
                last_evaluated_time INTEGER,
                last_error TEXT,
                last_value TEXT,
                next_run_time INTEGER,
                open_alert_id INTEGER,
                last_firing_notice_time INTEGER,
                create_time INTEGER NOT NULL,
                update_time INTEGER NOT NULL,
                trash_time INTEGER
            );
            CREATE INDEX sql_alerts_due ON sql_alerts(lifecycle_state, next_run_time);
            CREATE INDEX sql_alerts_owner ON sql_alerts(owner_user_name, id);
            """)
    }
}
