import GRDB

/// Forwarding of the audit log to SIEMs and cloud logs: per destination, the last seq sent (or skipped by its
/// filter). At least once: the cursor moves after the receiver took the batch.
enum Migration016Forwarding {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE forward_destinations (
                name TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                forwarded_seq INTEGER NOT NULL DEFAULT -1,
                last_forward_time INTEGER,
                created_time INTEGER NOT NULL
            );
            """)
    }
}
