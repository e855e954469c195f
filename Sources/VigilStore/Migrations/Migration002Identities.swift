import GRDB

/// Principals and their API tokens. Tokens are stored only as SHA-256 hashes of the secret.
enum Migration002Identities {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE principals (
                id INTEGER PRIMARY KEY,
                user_name TEXT NOT NULL UNIQUE,
                display_name TEXT,
                kind TEXT NOT NULL DEFAULT 'user',
                active INTEGER NOT NULL DEFAULT 1,
                created_time INTEGER NOT NULL
            );
            CREATE TABLE tokens (
                token_id TEXT PRIMARY KEY,
                principal_id INTEGER NOT NULL REFERENCES principals(id),
                token_hash BLOB NOT NULL UNIQUE,
                comment TEXT,
                creation_time INTEGER NOT NULL,
                expiry_time INTEGER NOT NULL DEFAULT -1,
                revoked_time INTEGER
            );
            CREATE INDEX tokens_principal ON tokens(principal_id);
            """)
    }
}
