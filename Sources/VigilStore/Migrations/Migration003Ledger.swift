import GRDB

/// The tamper-evident ledger: one leaf hash per event (leaf index = seq), the tree's compact range (one row,
/// updated in the same transaction as the events), signed checkpoints, and every checkpoint key ever used.
enum Migration003Ledger {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger_leaves (
                seq INTEGER PRIMARY KEY,
                leaf_hash BLOB NOT NULL
            );
            CREATE TABLE ledger_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                tree_size INTEGER NOT NULL,
                compact_range BLOB NOT NULL
            );
            CREATE TABLE checkpoints (
                id INTEGER PRIMARY KEY,
                tree_size INTEGER NOT NULL,
                timestamp INTEGER NOT NULL,
                key_id TEXT NOT NULL,
                note TEXT NOT NULL
            );
            CREATE INDEX checkpoints_size ON checkpoints(tree_size, timestamp);
            CREATE TABLE ledger_keys (
                key_id TEXT PRIMARY KEY,
                verifier_key TEXT NOT NULL,
                created_time INTEGER NOT NULL,
                retired_time INTEGER
            );
            """)
    }
}
