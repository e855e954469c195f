import GRDB
import Testing
import VigilCore
import VigilStore
import VigilTesting
@testable import VigilNotify

/// Alertmanager's group_by, group_wait, group_interval and repeat_interval for Vigil's own destinations: the pure
/// rules, one message per group, and the outbox keeping them in a real SQLite file.
struct GroupingTests {
    static func notice(_ id: Int64, rule: String = "brute-force", status: AlertNotice.Status = .firing, ip: String = "198.51.100.7") -> AlertNotice {
        var notice = NoticeRenderingTests.firing
        notice.alertID = id
        notice.ruleID = rule
        notice.status = status
        notice.group = [.init("source_ip_address", ip)]
        return notice
    }

    @Test("the group key: every label with '...', the chosen labels sorted, or one group for an empty list")
    func keys() throws {
        let (a, b) = (Self.notice(1), Self.notice(2, ip: "203.0.113.1"))
        let alone = NotificationGrouping()
        #expect(alone.key(a) != alone.key(b))
        #expect(alone.key(a).contains(#"vigil_alert_id="1""#))
        let byRule = NotificationGrouping(groupBy: ["severity", "alertname"])
        #expect(byRule.key(a) == #"{}:{alertname="brute-force", severity="high"}"#)
        #expect(byRule.key(a) == byRule.key(b))
        #expect(byRule.key(a) != byRule.key(Self.notice(3, rule: "secret-read")))
        #expect(byRule.labels(a).map(\.name) == ["alertname", "severity"])
        // A label an alert lacks is left out, as Alertmanager does.
        #expect(NotificationGrouping(groupBy: ["alertname", "cluster"]).key(a) == #"{}:{alertname="brute-force"}"#)
        let one = NotificationGrouping(groupBy: [])
        #expect(one.key(a) == "{}:{}")
        #expect(one.key(a) == one.key(Self.notice(3, rule: "secret-read")))
        // Quotes in values cannot merge two groups.
        #expect(byRule.key(Self.notice(4, rule: #"a", severity="high"#)) != byRule.key(Self.notice(5, rule: "a")))
    }

    @Test("--notify-group-by: '...', a list, empty; a name Alertmanager refuses is refused by name")
    func parse() throws {
        #expect(try NotificationGrouping.parseGroupBy("...") == nil)
        #expect(try NotificationGrouping.parseGroupBy(" alertname , severity ") == ["alertname", "severity"])
        #expect(try NotificationGrouping.parseGroupBy("") == [])
        for bad in ["user_identity.email", "9lives", "a-b"] {
            #expect(throws: VigilError.self) { try NotificationGrouping.parseGroupBy(bad) }
        }
    }

    @Test("first attempt: a new firing waits group_wait, joins a pending message, waits out the group's interval; a resolution does not wait for company")
    func timing() {
        let grouping = NotificationGrouping(groupBy: ["alertname"], groupWaitMillis: 30_000, groupIntervalMillis: 300_000)
        let now: Int64 = 1_000_000
        #expect(grouping.firstAttempt(now: now, status: .firing, pending: nil, lastSent: nil) == now + 30_000)
        #expect(grouping.firstAttempt(now: now, status: .firing, pending: now + 12_000, lastSent: nil) == now + 12_000)
        // A pending message already due: now.
        #expect(grouping.firstAttempt(now: now, status: .firing, pending: now - 5, lastSent: nil) == now)
        #expect(grouping.firstAttempt(now: now, status: .firing, pending: nil, lastSent: now - 100_000) == now + 200_000)
        #expect(grouping.firstAttempt(now: now, status: .resolved, pending: nil, lastSent: now - 100_000) == now + 200_000)
        // The interval has passed: the group is new again for a firing, immediate for a resolution.
        #expect(grouping.firstAttempt(now: now, status: .firing, pending: nil, lastSent: now - 300_000) == now + 30_000)
        #expect(grouping.firstAttempt(now: now, status: .resolved, pending: nil, lastSent: now - 300_000) == now)
        #expect(grouping.firstAttempt(now: now, status: .resolved, pending: nil, lastSent: nil) == now)
        // Defaults: at once.
        #expect(NotificationGrouping().firstAttempt(now: now, status: .firing, pending: nil, lastSent: now - 1) == now)
    }

    @Test("defaults: each alert alone, at once, repeated every 4 hours (the repeat's edges are in outboxRepeats)")
    func defaults() {
        #expect(NotificationGrouping().repeatIntervalMillis == 4 * 3_600_000)
    }

    static func item(_ id: Int64, destination: String, group: String) -> OutboxItem {
        OutboxItem(notificationID: id, destinationID: destination, groupKey: group, alertID: id, notice: notice(id), state: .pending, attempts: 0,
                   nextAttemptMillis: 0, lastError: nil, createdMillis: 0, finishedMillis: nil)
    }

    @Test("due notifications become messages: one per destination and group, in queue order, at most max_alerts each")
    func messages() {
        let items = [Self.item(1, destination: "d1", group: "g"), Self.item(2, destination: "d2", group: "g"), Self.item(3, destination: "d1", group: "h"),
                     Self.item(4, destination: "d1", group: "g"), Self.item(5, destination: "d1", group: "g")]
        let messages = NotificationService.messages(items, maxAlerts: 2)
        #expect(messages.map { $0.map(\.notificationID) } == [[1, 4], [2], [3], [5]])
        #expect(NotificationService.messages(items, maxAlerts: 100).map { $0.map(\.notificationID) } == [[1, 4, 5], [2], [3]])
        // A retried message stays as it failed: fresh rows of its group go apart.
        var retried = items
        for index in [0, 3] {
            retried[index].attempts = 2
            retried[index].nextAttemptMillis = 500
        }
        #expect(NotificationService.messages(retried, maxAlerts: 100).map { $0.map(\.notificationID) } == [[1, 4], [2], [3], [5]])
    }

    @Test("a group's message: firing while any alert fires, common labels and annotations, one block per alert in Slack and mail")
    func rendering() throws {
        let grouping = NotificationGrouping(groupBy: ["alertname"])
        let notices = [Self.notice(1), Self.notice(2, status: .resolved, ip: "203.0.113.1")]
        let body = try JSONParser.parse(NoticeRendering.webhook(notices, grouping: grouping, receiver: "hook", externalURL: "http://vigil"))
        #expect(body["status"] == .string("firing"))
        #expect(body["groupKey"] == .string(#"{}:{alertname="brute-force"}"#))
        #expect(body["groupLabels"] == .object([JSONMember("alertname", .string("brute-force"))]))
        #expect(body["commonLabels"]?["severity"] == .string("high"))
        #expect(body["commonLabels"]?["vigil_alert_id"] == nil)
        #expect(body["commonLabels"]?["source_ip_address"] == nil)
        #expect(body["commonAnnotations"]?["summary"] == .string("Brute force <script>"))
        #expect(body["commonAnnotations"]?["description"] == nil)
        #expect(body["alerts"]?[1]?["status"] == .string("resolved"))
        let resolved = try JSONParser.parse(NoticeRendering.webhook(notices.map { var n = $0; n.status = .resolved; return n }, grouping: grouping,
                                                                    receiver: "hook", externalURL: "http://vigil"))
        #expect(resolved["status"] == .string("resolved"))
        guard case .array(let posted) = try JSONParser.parse(NoticeRendering.alertmanager(notices)) else { Issue.record("not an array"); return }
        #expect(posted.count == 2)
        guard case .string(let text)? = try JSONParser.parse(NoticeRendering.slack(notices))["text"] else { Issue.record("no text"); return }
        #expect(text.hasPrefix(":rotating_light: FIRING 2 alerts (1 firing, 1 resolved)\n"))
        #expect(text.contains("<http://vigil/api/2.0/vigil/alerts/42|alert 2>"))
        let (subject, mail) = NoticeRendering.email(notices)
        #expect(subject == "[Vigil] FIRING:1 2 alerts: Brute force <script>")
        #expect(mail.contains("Alert:     1\r\n"))
        #expect(mail.contains("\r\n----\r\n"))
        #expect(mail.contains("Alert:     2\r\n"))
    }

    static func openDatabase(_ folder: TemporaryDirectory) async throws -> (VigilDatabase, Destination) {
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let store = DestinationStore(database: database, clock: ManualWallClock(millis: 0))
        let hook = try await store.create(displayName: "hook", config: .webhook(url: "https://h.example", username: nil, password: nil, signingSecret: nil), by: "admin")
        return (database, hook)
    }

    @Test("the outbox keeps the timing: a group's notices share one time, a delivered group waits its interval, others are not held")
    func outboxTiming() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (database, hook) = try await Self.openDatabase(folder)
        let grouping = NotificationGrouping(groupBy: ["alertname"], groupWaitMillis: 30_000, groupIntervalMillis: 300_000)
        let t: Int64 = 1_000_000
        try await database.pool.write { db in
            try NotificationOutbox.enqueue(db, Self.notice(1), references: ["hook"], now: t, grouping: grouping)
            try NotificationOutbox.enqueue(db, Self.notice(2), references: ["hook"], now: t + 10_000, grouping: grouping)
            try NotificationOutbox.enqueue(db, Self.notice(3, rule: "secret-read"), references: ["hook"], now: t + 10_000, grouping: grouping)
        }
        #expect(try await database.pool.read { db in try NotificationOutbox.due(db, now: t + 29_999, limit: 10).items }.isEmpty)
        let due = try await database.pool.read { db in try NotificationOutbox.due(db, now: t + 30_000, limit: 10).items }
        #expect(due.map(\.alertID) == [1, 2])
        #expect(Set(due.map(\.groupKey)).count == 1)
        try await database.pool.write { db in
            for item in due { try NotificationOutbox.finish(db, id: item.notificationID, state: .delivered, attempts: 1, error: nil, now: t + 31_000) }
            // Within the group's interval: held until it ends.
            try NotificationOutbox.enqueue(db, Self.notice(4), references: [hook.id], now: t + 60_000, grouping: grouping)
            try NotificationOutbox.enqueue(db, Self.notice(1, status: .resolved), references: [hook.id], now: t + 70_000, grouping: grouping)
        }
        #expect(try await database.pool.read { db in try NotificationOutbox.due(db, now: t + 330_999, limit: 10).items }.map(\.alertID) == [3])
        #expect(try await database.pool.read { db in try NotificationOutbox.due(db, now: t + 331_000, limit: 10).items }.map(\.alertID) == [3, 4, 1])
    }

    static func trigger(_ db: Database, alertID: Int64, state: String = "TRIGGERED") throws {
        try db.execute(sql: """
            INSERT INTO alert_history(alert_id, rule_id, title, level, kind, state, fired_time, event_time, group_values, event_ids, count, notify)
            VALUES (?, 'brute-force', 't', 'high', 'detection', ?, 0, 0, '{}', '[]', 1, '[]')
            """, arguments: [alertID, state])
    }

    @Test("repeats: a TRIGGERED alert told again after the interval, once; not while pending, not once acknowledged")
    func outboxRepeats() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (database, hook) = try await Self.openDatabase(folder)
        let grouping = NotificationGrouping(repeatIntervalMillis: 60_000)
        let t: Int64 = 1_000_000
        try await database.pool.write { db in
            for id: Int64 in [1, 2] {
                try Self.trigger(db, alertID: id)
                try NotificationOutbox.enqueue(db, Self.notice(id), references: [hook.id], now: t, grouping: grouping)
            }
        }
        let builder: @Sendable (Int64) throws -> AlertNotice? = { id in
            var notice = Self.notice(id)
            notice.endsMillis = 99
            return notice
        }
        @Sendable func repeats(_ now: Int64, _ grouping: NotificationGrouping = grouping) async throws -> Int {
            try await database.pool.write { db in
                try NotificationOutbox.enqueueRepeats(db, try NotificationOutbox.repeatsDue(db, grouping: grouping, now: now), grouping: grouping, now: now, notice: builder)
            }
        }
        // Still pending: nothing to repeat, even past the interval.
        #expect(try await repeats(t + 60_000) == 0)
        let first = try await database.pool.read { db in try NotificationOutbox.due(db, now: t, limit: 10).items }
        try await database.pool.write { db in
            for item in first { try NotificationOutbox.finish(db, id: item.notificationID, state: .delivered, attempts: 1, error: nil, now: t + 100) }
        }
        #expect(try await repeats(t + 59_999) == 0)
        #expect(try await repeats(t + 60_000) == 2)
        #expect(try await repeats(t + 200_000) == 0)
        let repeated = try await database.pool.read { db in try NotificationOutbox.due(db, now: t + 60_000, limit: 10).items }
        #expect(repeated.map(\.alertID) == [1, 2])
        #expect(repeated.allSatisfy { $0.notice.endsMillis == 99 })
        try await database.pool.write { db in
            for item in repeated { try NotificationOutbox.finish(db, id: item.notificationID, state: .delivered, attempts: 1, error: nil, now: t + 60_100) }
            try db.execute(sql: "UPDATE alert_history SET state = 'ACKNOWLEDGED' WHERE alert_id = 1")
        }
        #expect(try await repeats(t + 120_000) == 1)
        // 0 never repeats.
        #expect(try await repeats(t + 999_000, NotificationGrouping(repeatIntervalMillis: 0)) == 0)
        // A destination deleted since: nothing to repeat to, and nothing counted.
        let pending = try await database.pool.read { db in try NotificationOutbox.due(db, now: t + 120_000, limit: 10).items }
        try await database.pool.write { db in
            for item in pending { try NotificationOutbox.finish(db, id: item.notificationID, state: .delivered, attempts: 1, error: nil, now: t + 120_000) }
            try db.execute(sql: "DELETE FROM notification_destinations WHERE id = ?", arguments: [hook.id])
        }
        #expect(try await database.pool.read { db in try NotificationOutbox.repeatsDue(db, grouping: grouping, now: t + 999_000) }.isEmpty)
    }
}
