import GRDB

/// Access monitoring: service principals (an application id on a principal), groups with nested groups,
/// object permissions, and the day a token was last used.
///
/// Users, service principals and groups share one id space (SCIM member values name either), so group ids are
/// allocated from the same counter as principal ids (`IdentityIDs`).
enum Migration004Access {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE principals ADD COLUMN application_id TEXT;
            ALTER TABLE principals ADD COLUMN external_id TEXT;
            CREATE UNIQUE INDEX principals_application_id ON principals(application_id) WHERE application_id IS NOT NULL;
            ALTER TABLE tokens ADD COLUMN last_used_day TEXT;
            CREATE TABLE groups (
                id INTEGER PRIMARY KEY,
                display_name TEXT NOT NULL UNIQUE,
                external_id TEXT,
                created_time INTEGER NOT NULL
            );
            CREATE TABLE group_members (
                group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
                principal_id INTEGER REFERENCES principals(id) ON DELETE CASCADE,
                member_group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
                added_time INTEGER NOT NULL,
                CHECK ((principal_id IS NULL) <> (member_group_id IS NULL))
            );
            CREATE UNIQUE INDEX group_members_unique ON group_members(group_id, coalesce(principal_id, 0), coalesce(member_group_id, 0));
            CREATE INDEX group_members_principal ON group_members(principal_id);
            CREATE INDEX group_members_member_group ON group_members(member_group_id);
            CREATE TABLE permissions (
                object_type TEXT NOT NULL,
                object_id TEXT NOT NULL,
                principal_id INTEGER REFERENCES principals(id) ON DELETE CASCADE,
                group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
                permission_level TEXT NOT NULL,
                granted_time INTEGER NOT NULL,
                CHECK ((principal_id IS NULL) <> (group_id IS NULL))
            );
            CREATE UNIQUE INDEX permissions_unique ON permissions(object_type, object_id, coalesce(principal_id, 0), coalesce(group_id, 0));
            CREATE INDEX permissions_principal ON permissions(principal_id);
            CREATE INDEX permissions_group ON permissions(group_id);
            """)
    }
}
