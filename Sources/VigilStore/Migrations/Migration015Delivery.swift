import GRDB

/// Delivery of the audit log to object storage: per destination, the last delivered seq, the batch being
/// uploaded (redone exactly after a crash, so a file is never written with other contents under its name), the
/// digest being written (likewise), and the head of the digest chain; every delivered file with its hash and seq
/// ranges, and the digest that lists it.
enum Migration015Delivery {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE delivery_destinations (
                name TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                delivered_seq INTEGER NOT NULL DEFAULT -1,
                pending_first INTEGER,
                pending_last INTEGER,
                last_delivery_time INTEGER,
                digest_pending_time INTEGER,
                digest_pending_upto INTEGER,
                digest_object TEXT,
                digest_hash TEXT,
                digest_signature TEXT,
                digest_time INTEGER,
                created_time INTEGER NOT NULL
            );
            CREATE TABLE delivery_files (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                object_key TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                first_seq INTEGER NOT NULL,
                last_seq INTEGER NOT NULL,
                seq_ranges TEXT NOT NULL,
                event_count INTEGER NOT NULL,
                oldest_event_time INTEGER NOT NULL,
                newest_event_time INTEGER NOT NULL,
                delivered_time INTEGER NOT NULL,
                digest_object TEXT,
                UNIQUE (name, object_key)
            );
            CREATE INDEX delivery_files_undigested ON delivery_files(name, id) WHERE digest_object IS NULL;
            """)
    }
}
