import GRDB

/// Notification destinations (the Databricks Notification Destinations API; their secrets are kept here because
/// Vigil must present them, and are never answered), the outbox of notifications to deliver at least once,
/// Alertmanager-style silences, and an alert's later states (acknowledged, silenced, resolved).
enum Migration010Notifications {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE notification_destinations (
                id TEXT PRIMARY KEY,
                display_name TEXT NOT NULL UNIQUE,
                destination_type TEXT NOT NULL,
                config TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_time INTEGER NOT NULL,
                updated_by TEXT NOT NULL,
                updated_time INTEGER NOT NULL
            );
            CREATE TABLE notification_outbox (
                notification_id INTEGER PRIMARY KEY AUTOINCREMENT,
                destination_id TEXT NOT NULL,
                alert_id INTEGER NOT NULL,
                status TEXT NOT NULL,
                notice TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_time INTEGER NOT NULL,
                last_error TEXT,
                created_time INTEGER NOT NULL,
                finished_time INTEGER
            );
            CREATE INDEX notification_outbox_due ON notification_outbox(state, next_attempt_time);
            CREATE INDEX notification_outbox_alert ON notification_outbox(alert_id);
            CREATE TABLE alert_silences (
                silence_id TEXT PRIMARY KEY,
                matchers TEXT NOT NULL,
                starts_time INTEGER NOT NULL,
                ends_time INTEGER NOT NULL,
                comment TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_time INTEGER NOT NULL
            );
            CREATE INDEX alert_silences_end ON alert_silences(ends_time);
            ALTER TABLE alert_history ADD COLUMN resolved_time INTEGER;
            ALTER TABLE alert_history ADD COLUMN acknowledged_by TEXT;
            ALTER TABLE alert_history ADD COLUMN acknowledged_time INTEGER;
            ALTER TABLE alert_history ADD COLUMN silenced_by TEXT;
            CREATE INDEX alert_history_open ON alert_history(state, fired_time);
            """)
    }
}
