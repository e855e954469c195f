import GRDB

/// Detection rules managed through the API (their Sigma YAML as sent; rules from `--rules-dir` stay in their
/// files) and the history of every firing, which the alert-history API reads.
enum Migration009Detections {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE detection_rules (
                id TEXT PRIMARY KEY,
                yaml TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_time INTEGER NOT NULL,
                updated_by TEXT NOT NULL,
                updated_time INTEGER NOT NULL
            );
            CREATE TABLE alert_history (
                alert_id INTEGER PRIMARY KEY AUTOINCREMENT,
                rule_id TEXT NOT NULL,
                workspace_id TEXT,
                title TEXT NOT NULL,
                level TEXT NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                fired_time INTEGER NOT NULL,
                event_time INTEGER NOT NULL,
                group_values TEXT NOT NULL,
                event_ids TEXT NOT NULL,
                count INTEGER NOT NULL,
                notify TEXT NOT NULL
            );
            CREATE INDEX alert_history_rule ON alert_history(rule_id, alert_id);
            CREATE INDEX alert_history_time ON alert_history(fired_time);
            """)
    }
}
