import GRDB

/// The outbox learns each notification's group (Alertmanager's group key under `--notify-group-by`), so notices of
/// one group due together leave as one message and a group's interval can be kept. Rows queued before this
/// migration are each their own group, as they were.
enum Migration013NotificationGroups {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE notification_outbox ADD COLUMN group_key TEXT NOT NULL DEFAULT '';
            UPDATE notification_outbox SET group_key = 'notification:' || notification_id;
            CREATE INDEX notification_outbox_group ON notification_outbox(destination_id, group_key, state);
            """)
    }
}
