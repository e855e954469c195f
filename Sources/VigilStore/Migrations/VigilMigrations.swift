import GRDB

/// Every schema change, in order. A migration that has shipped is never edited: add a new file instead.
public enum VigilMigrations {
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_audit_events", migrate: Migration001AuditEvents.migrate)
        migrator.registerMigration("002_identities", migrate: Migration002Identities.migrate)
        migrator.registerMigration("003_ledger", migrate: Migration003Ledger.migrate)
        migrator.registerMigration("004_access", migrate: Migration004Access.migrate)
        migrator.registerMigration("005_node_timeline", migrate: Migration005NodeTimeline.migrate)
        migrator.registerMigration("006_apps_and_sessions", migrate: Migration006AppsAndSessions.migrate)
        migrator.registerMigration("007_clusters", migrate: Migration007Clusters.migrate)
        migrator.registerMigration("008_jobs", migrate: Migration008Jobs.migrate)
        migrator.registerMigration("009_detections", migrate: Migration009Detections.migrate)
        migrator.registerMigration("010_notifications", migrate: Migration010Notifications.migrate)
        migrator.registerMigration("011_sql_alerts", migrate: Migration011SQLAlerts.migrate)
        migrator.registerMigration("012_metric_alarms", migrate: Migration012MetricAlarms.migrate)
        migrator.registerMigration("013_notification_groups", migrate: Migration013NotificationGroups.migrate)
        migrator.registerMigration("014_vigil_metric_samples", migrate: Migration014VigilMetricSamples.migrate)
        migrator.registerMigration("015_delivery", migrate: Migration015Delivery.migrate)
        migrator.registerMigration("016_forwarding", migrate: Migration016Forwarding.migrate)
        migrator.registerMigration("017_node_usage_index", migrate: Migration017NodeUsageIndex.migrate)
        migrator.registerMigration("018_node_timeline_hourly", migrate: Migration018NodeTimelineHourly.migrate)
        return migrator
    }
}
