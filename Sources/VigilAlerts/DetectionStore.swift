import GRDB
import VigilCore
import VigilDetection
import VigilNotify
import VigilStore

/// A rule object as the API keeps it: the YAML as sent (one or more Sigma documents) and who changed it when.
public struct DetectionRuleText: Sendable, Equatable {
    public var id: String
    public var yaml: String
    public var createdBy: String
    public var createdMillis: Int64
    public var updatedBy: String
    public var updatedMillis: Int64
}

/// One firing, as `alert_history` keeps it.
public struct AlertRecord: Sendable, Equatable {
    public var alertID: Int64
    public var ruleID: String
    public var workspaceID: String?
    public var title: String
    public var level: String
    public var kind: String
    public var state: String
    public var firedMillis: Int64
    public var eventMillis: Int64
    public var group: [DetectionHit.GroupValue]
    public var eventIDs: [String]
    public var count: Int
    public var notify: [String]
    /// When it resolved (no longer TRIGGERED), if it has.
    public var resolvedMillis: Int64? = nil
    public var acknowledgedBy: String? = nil
    public var acknowledgedMillis: Int64? = nil
    /// The silence that kept it from notifying anyone (state SILENCED).
    public var silencedBy: String? = nil
}

/// An alert's states: TRIGGERED (notified), SILENCED (a silence matched; no one notified), ACKNOWLEDGED (someone
/// took it), RESOLVED (its time passed).
public enum AlertState {
    public static let open = ["TRIGGERED", "SILENCED", "ACKNOWLEDGED"]
}

/// API-managed detection rules and the alert history (migration 009).
public struct DetectionStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock
    /// Which destinations hear of a firing.
    public let routing: NotificationRouting
    /// Where a notification links to for an alert id.
    public let link: @Sendable (Int64) -> String
    /// A detection alert resolves once this long has passed since it fired (a correlation that fires again raises a
    /// new alert): resolved notifications tell receivers the incident is over.
    public let resolveAfterMillis: Int64
    /// Told of references that name no destination.
    public let unroutable: @Sendable ([String], Int64) -> Void

    public init(database: VigilDatabase, clock: any WallClock, routing: NotificationRouting = .init(),
                link: @escaping @Sendable (Int64) -> String = { "/api/2.0/vigil/alerts/\($0)" }, resolveAfterMillis: Int64 = 15 * 60_000,
                unroutable: @escaping @Sendable ([String], Int64) -> Void = { _, _ in }) {
        self.database = database
        self.clock = clock
        self.routing = routing
        self.link = link
        self.resolveAfterMillis = resolveAfterMillis
        self.unroutable = unroutable
    }

    public static func notFound(_ id: String) -> VigilError {
        VigilError(.notFound, "detection rule \(id.prefix(128)) does not exist")
    }

    public func create(id: String, yaml: String, by userName: String) async throws -> DetectionRuleText {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM detection_rules WHERE id = ?", arguments: [id]) != nil {
                throw VigilError(.resourceAlreadyExists, "a detection rule with id \(id.prefix(128)) already exists; update it with PUT")
            }
            try db.execute(sql: "INSERT INTO detection_rules(id, yaml, created_by, created_time, updated_by, updated_time) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, yaml, userName, now, userName, now])
            return DetectionRuleText(id: id, yaml: yaml, createdBy: userName, createdMillis: now, updatedBy: userName, updatedMillis: now)
        }
    }

    public func update(id: String, yaml: String, by userName: String) async throws -> DetectionRuleText {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            try db.execute(sql: "UPDATE detection_rules SET yaml = ?, updated_by = ?, updated_time = ? WHERE id = ?", arguments: [yaml, userName, now, id])
            guard db.changesCount == 1, let rule = try Self.rule(db, id: id) else { throw Self.notFound(id) }
            return rule
        }
    }

    public func delete(id: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM detection_rules WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw Self.notFound(id) }
        }
    }

    public func rule(id: String) async throws -> DetectionRuleText? {
        try await database.pool.read { db in try Self.rule(db, id: id) }
    }

    public func all() async throws -> [DetectionRuleText] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM detection_rules ORDER BY id").map(Self.decode)
        }
    }

    static func rule(_ db: Database, id: String) throws -> DetectionRuleText? {
        try Row.fetchOne(db, sql: "SELECT * FROM detection_rules WHERE id = ?", arguments: [id]).map(Self.decode)
    }

    static func decode(_ row: Row) -> DetectionRuleText {
        DetectionRuleText(id: row["id"], yaml: row["yaml"], createdBy: row["created_by"], createdMillis: row["created_time"],
                          updatedBy: row["updated_by"], updatedMillis: row["updated_time"])
    }

    // MARK: Alert history

    /// Stores the firings of one evaluation pass in one transaction, with their notifications queued in the same
    /// transaction (an alert is never stored without them), and answers them with their ids.
    public func record(_ hits: [DetectionHit]) async throws -> [AlertRecord] {
        let now = clock.nowMillis()
        let (records, missing) = try await database.pool.write { db -> ([AlertRecord], [(Int64, [String])]) in
            var records: [AlertRecord] = []
            var missing: [(Int64, [String])] = []
            let silences = try SilenceStore.active(db, now: now)
            for hit in hits {
                let (record, unknown) = try open(
                    db, ruleID: hit.ruleID, workspaceID: hit.workspaceID, title: hit.title, level: hit.level.rawValue, kind: hit.kind,
                    eventMillis: hit.timeMillis, group: hit.group, eventIDs: hit.eventIDs, count: hit.count, notify: hit.notify,
                    references: routing.references(notify: hit.notify, level: hit.level.rawValue), silences: silences, now: now)
                records.append(record)
                if !unknown.isEmpty { missing.append((record.alertID, unknown)) }
            }
            return (records, missing)
        }
        for (alertID, references) in missing { unroutable(references, alertID) }
        return records
    }

    /// Stores one new alert; when an active silence matches its labels it is SILENCED and no one is told, else its
    /// firing notifications are queued for `references`. Answers the record and the references that named no destination.
    public func open(_ db: Database, ruleID: String, workspaceID: String?, title: String, level: String, kind: String, eventMillis: Int64,
                     group: [DetectionHit.GroupValue], eventIDs: [String], count: Int, notify: [String], references: [String],
                     silences: [Silence], now: Int64) throws -> (AlertRecord, [String]) {
        let groupText = JSONWriter.text(of: .object(group.map { JSONMember($0.field, $0.value.map(JSONValue.string) ?? .null) }))
        try db.execute(sql: """
            INSERT INTO alert_history(rule_id, workspace_id, title, level, kind, state, fired_time, event_time, group_values, event_ids, count, notify)
            VALUES (?, ?, ?, ?, ?, 'TRIGGERED', ?, ?, ?, ?, ?, ?)
            """, arguments: [ruleID, workspaceID, title, level, kind, now, eventMillis, groupText,
                             JSONWriter.text(of: .array(eventIDs.map(JSONValue.string))), count, JSONWriter.text(of: .array(notify.map(JSONValue.string)))])
        var record = AlertRecord(alertID: db.lastInsertedRowID, ruleID: ruleID, workspaceID: workspaceID, title: title, level: level, kind: kind,
                                 state: "TRIGGERED", firedMillis: now, eventMillis: eventMillis, group: group, eventIDs: eventIDs, count: count, notify: notify)
        let notice = self.notice(record, status: .firing)
        let labels = notice.labels
        if let silence = silences.first(where: { $0.matches(labels) }) {
            // Silenced: kept and audited, notified to no one.
            try db.execute(sql: "UPDATE alert_history SET state = 'SILENCED', silenced_by = ? WHERE alert_id = ?", arguments: [silence.id, record.alertID])
            record.state = "SILENCED"
            record.silencedBy = silence.id
            return (record, [])
        }
        return (record, try NotificationOutbox.enqueue(db, notice, references: references, now: now, grouping: routing.grouping))
    }

    /// What a notification says of `alert`: a firing one carries when it will resolve unless something changes
    /// (for a repeat sent `at` a later time, counted from then).
    public func notice(_ alert: AlertRecord, status: AlertNotice.Status, at sent: Int64? = nil) -> AlertNotice {
        AlertNotice(status: status, alertID: alert.alertID, ruleID: alert.ruleID, title: alert.title, level: alert.level, workspaceID: alert.workspaceID,
                    group: alert.group.map { AlertNotice.Label($0.field, $0.value ?? "") }, count: alert.count, eventIDs: alert.eventIDs,
                    startsMillis: alert.firedMillis,
                    // A detection resolves on time; a SQL alert or metric alarm when its evaluation says so, told to
                    // Alertmanager by a resolved notice (a day is the bound if Vigil is gone meanwhile).
                    endsMillis: status == .resolved ? alert.resolvedMillis
                        : ["sql_alert", "metric_alarm"].contains(alert.kind) ? max(alert.firedMillis, sent ?? 0) + 86_400_000 : alert.firedMillis + resolveAfterMillis,
                    link: link(alert.alertID))
    }

    /// Someone took the alert: TRIGGERED or SILENCED becomes ACKNOWLEDGED (it still resolves on time).
    public func acknowledge(id: Int64, by userName: String) async throws -> AlertRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            guard var alert = try Row.fetchOne(db, sql: "SELECT * FROM alert_history WHERE alert_id = ?", arguments: [id]).map(Self.alert) else {
                throw VigilError(.notFound, "alert \(id) does not exist")
            }
            guard alert.state == "TRIGGERED" || alert.state == "SILENCED" else {
                throw VigilError(.invalidState, "alert \(id) is \(alert.state); only a TRIGGERED or SILENCED alert can be acknowledged")
            }
            try db.execute(sql: "UPDATE alert_history SET state = 'ACKNOWLEDGED', acknowledged_by = ?, acknowledged_time = ? WHERE alert_id = ?",
                           arguments: [userName, now, id])
            alert.state = "ACKNOWLEDGED"
            alert.acknowledgedBy = userName
            alert.acknowledgedMillis = now
            return alert
        }
    }

    /// Queues again the firing notices of alerts still TRIGGERED once `repeat_interval` has passed since they were
    /// last told (`--notify-repeat-interval`), unless a silence made since matches them; answers how many. The scan
    /// reads; only a repeat to queue takes the writer (the sequencer's).
    public func enqueueRepeats() async throws -> Int {
        let grouping = routing.grouping
        guard grouping.repeatIntervalMillis > 0 else { return 0 }
        let now = clock.nowMillis()
        let due = try await database.pool.read { db in try NotificationOutbox.repeatsDue(db, grouping: grouping, now: now) }
        guard !due.isEmpty else { return 0 }
        return try await database.pool.write { db in
            let silences = try SilenceStore.active(db, now: now)
            return try NotificationOutbox.enqueueRepeats(db, due, grouping: grouping, now: now) { id in
                guard let alert = try Self.alert(db, id: id), alert.state == "TRIGGERED" else { return nil }
                let repeated = notice(alert, status: .firing, at: now)
                return silences.contains { $0.matches(repeated.labels) } ? nil : repeated
            }
        }
    }

    /// Resolves the open alerts (TRIGGERED, SILENCED, ACKNOWLEDGED) that fired at least `resolveAfterMillis` ago, and queues their resolved
    /// notifications for the destinations their firing went to; answers them.
    public func resolveDue(limit: Int = 500) async throws -> [AlertRecord] {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            let due = try Row.fetchAll(db, sql: """
                SELECT * FROM alert_history WHERE state IN ('TRIGGERED', 'SILENCED', 'ACKNOWLEDGED') AND kind NOT IN ('sql_alert', 'metric_alarm') AND fired_time <= ?
                ORDER BY alert_id LIMIT ?
                """, arguments: [now - resolveAfterMillis, limit]).map(Self.alert)
            return try due.map { try resolve(db, $0, now: now, notify: true) }
        }
    }

    /// Marks `alert` RESOLVED and, with `notify`, queues resolved notifications for every destination its firing went to.
    public func resolve(_ db: Database, _ alert: AlertRecord, now: Int64, notify: Bool) throws -> AlertRecord {
        var alert = alert
        try db.execute(sql: "UPDATE alert_history SET state = 'RESOLVED', resolved_time = ? WHERE alert_id = ?", arguments: [now, alert.alertID])
        alert.state = "RESOLVED"
        alert.resolvedMillis = now
        let destinations = try String.fetchAll(db, sql: "SELECT DISTINCT destination_id FROM notification_outbox WHERE alert_id = ? AND status = 'firing'",
                                               arguments: [alert.alertID])
        // A firing notice still waiting would arrive after the resolution and reopen the incident at the receiver.
        try db.execute(sql: """
            UPDATE notification_outbox SET state = 'dropped', last_error = 'superseded by the alert''s resolution', finished_time = ?
            WHERE alert_id = ? AND status = 'firing' AND state = 'pending'
            """, arguments: [now, alert.alertID])
        if notify, !destinations.isEmpty {
            try NotificationOutbox.enqueue(db, notice(alert, status: .resolved), references: destinations, now: now, grouping: routing.grouping)
        }
        return alert
    }

    public static func alert(_ db: Database, id: Int64) throws -> AlertRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM alert_history WHERE alert_id = ?", arguments: [id]).map(alert)
    }

    public func alert(id: Int64) async throws -> AlertRecord? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM alert_history WHERE alert_id = ?", arguments: [id]).map(Self.alert)
        }
    }

    /// Newest first; `before` is the last page's smallest alert id.
    public func history(ruleID: String?, state: String? = nil, before: Int64?, limit: Int) async throws -> [AlertRecord] {
        try await database.pool.read { db in
            var sql = "SELECT * FROM alert_history WHERE 1 = 1"
            var arguments: StatementArguments = []
            if let state {
                sql += " AND state = ?"
                arguments += [state]
            }
            if let ruleID {
                sql += " AND rule_id = ?"
                arguments += [ruleID]
            }
            if let before {
                sql += " AND alert_id < ?"
                arguments += [before]
            }
            sql += " ORDER BY alert_id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.alert)
        }
    }

    static func alert(_ row: Row) -> AlertRecord {
        func strings(_ text: String) -> [String] {
            guard case .array(let items)? = try? JSONParser.parse(text) else { return [] }
            return items.compactMap { if case .string(let value) = $0 { value } else { nil } }
        }
        var group: [DetectionHit.GroupValue] = []
        if case .object(let members)? = try? JSONParser.parse(row["group_values"] as String) {
            group = members.map { member in
                if case .string(let value) = member.value { return DetectionHit.GroupValue(field: member.key, value: value) }
                return DetectionHit.GroupValue(field: member.key, value: nil)
            }
        }
        return AlertRecord(alertID: row["alert_id"], ruleID: row["rule_id"], workspaceID: row["workspace_id"], title: row["title"], level: row["level"], kind: row["kind"],
                           state: row["state"], firedMillis: row["fired_time"], eventMillis: row["event_time"], group: group,
                           eventIDs: strings(row["event_ids"]), count: row["count"], notify: strings(row["notify"]), resolvedMillis: row["resolved_time"],
                           acknowledgedBy: row["acknowledged_by"], acknowledgedMillis: row["acknowledged_time"], silencedBy: row["silenced_by"])
    }
}
