import GRDB

/// The audit log: one row per event, `seq` dense from 0 (the event's leaf index in the ledger).
///
/// Structs are flattened into columns so that filters use indexes; `present_structs` keeps whether each
/// struct was null or a struct of nulls (bit 1 user_identity, 2 response, 4 identity_metadata), so the
/// stored row reproduces the canonical bytes exactly. The event's Merkle leaf hash lives in `ledger_leaves`
/// (migration 003), apart from the row it commits to, so that `vigil verify` can tell a moved row from an edited one.
enum Migration001AuditEvents {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE audit_events (
                seq INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                event_time INTEGER NOT NULL,
                event_date TEXT NOT NULL,
                account_id TEXT,
                workspace_id TEXT,
                version TEXT,
                source_ip_address TEXT,
                user_agent TEXT,
                session_id TEXT,
                user_email TEXT,
                user_subject_name TEXT,
                service_name TEXT NOT NULL,
                action_name TEXT NOT NULL,
                request_id TEXT,
                request_params TEXT,
                status_code INTEGER,
                error_message TEXT,
                result TEXT,
                audit_level TEXT,
                run_by TEXT,
                run_as TEXT,
                acting_resource TEXT,
                present_structs INTEGER NOT NULL,
                received_time INTEGER NOT NULL
            );
            CREATE INDEX audit_events_time ON audit_events(event_time);
            CREATE INDEX audit_events_user_time ON audit_events(user_email, event_time);
            CREATE INDEX audit_events_service_time ON audit_events(service_name, event_time);
            CREATE INDEX audit_events_action_time ON audit_events(action_name, event_time);
            CREATE INDEX audit_events_workspace_time ON audit_events(workspace_id, event_time);
            CREATE INDEX audit_events_ip_time ON audit_events(source_ip_address, event_time);
            CREATE INDEX audit_events_request_id ON audit_events(request_id);
            CREATE TABLE vigil_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO vigil_meta(key, value) VALUES ('install_id', lower(hex(randomblob(16))));
            """)
    }
}
