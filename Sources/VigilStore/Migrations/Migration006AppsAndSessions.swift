import GRDB

/// Apps (the Databricks Apps API's registry: what an app is, who made and changed it, whether it is started) and
/// browser sessions (a cookie made from an API token at `/login`, for `/logz` and the console to come).
///
/// An app's log lines are not here: they live in `logs.sqlite`, apart from the audit ledger, keyed by `apps.id`.
/// AUTOINCREMENT makes that key never reused (plain INTEGER PRIMARY KEY hands out max(id)+1 again after the newest app
/// is deleted), so a deleted app's lines can never show under a new app, whatever its name. `log_retention_millis` is
/// an app's own retention (NULL: `--app-log-retention`).
enum Migration006AppsAndSessions {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE apps (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                uid TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL UNIQUE,
                description TEXT,
                user_api_scopes TEXT,
                resources TEXT,
                settings TEXT,
                creator TEXT NOT NULL,
                updater TEXT NOT NULL,
                create_time INTEGER NOT NULL,
                update_time INTEGER NOT NULL,
                compute_state TEXT NOT NULL,
                log_retention_millis INTEGER
            );
            CREATE TABLE browser_sessions (
                session_hash BLOB PRIMARY KEY,
                token_id TEXT NOT NULL REFERENCES tokens(token_id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_time INTEGER NOT NULL,
                expiry_time INTEGER NOT NULL
            );
            CREATE INDEX browser_sessions_token ON browser_sessions(token_id);
            """)
    }
}
