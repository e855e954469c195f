import Foundation
import GRDB
import VigilCore
import VigilDetection
import VigilNotify
import VigilStore

/// One stored SQL alert: its definition as written and what Vigil keeps of its runs.
public struct StoredSQLAlert: Sendable {
    public var id: String
    public var definition: JSONValue
    public var ownerUserName: String
    public var lifecycleState: String
    public var state: SQLAlertState
    public var lastEvaluatedMillis: Int64?
    public var lastError: String?
    public var lastValue: String?
    public var nextRunMillis: Int64?
    public var openAlertID: Int64?
    public var lastFiringNoticeMillis: Int64?
    public var createdMillis: Int64
    public var updatedMillis: Int64

    /// The Alerts V2 answer: the definition with the output fields.
    public var json: JSONValue {
        guard case .object(var members) = definition else { return definition }
        var evaluation: [JSONMember] = []
        if case .object(let given)? = definition["evaluation"] { evaluation = given }
        evaluation.removeAll { $0.key == "state" || $0.key == "last_evaluated_at" }
        evaluation.append(JSONMember("state", .string(state.rawValue)))
        if let last = lastEvaluatedMillis { evaluation.append(JSONMember("last_evaluated_at", .string(Timestamp.formatRFC3339(millis: last)))) }
        members.removeAll { $0.key == "evaluation" || $0.key == "run_as" || $0.key == "run_as_user_name" }
        members.insert(JSONMember("id", .string(id)), at: 0)
        members += [
            JSONMember("evaluation", .object(evaluation)),
            JSONMember("owner_user_name", .string(ownerUserName)),
            JSONMember("run_as", .object([JSONMember("user_name", .string(ownerUserName))])),
            JSONMember("effective_run_as", .object([JSONMember("user_name", .string(ownerUserName))])),
            JSONMember("run_as_user_name", .string(ownerUserName)),
            JSONMember("lifecycle_state", .string(lifecycleState)),
            JSONMember("create_time", .string(Timestamp.formatRFC3339(millis: createdMillis))),
            JSONMember("update_time", .string(Timestamp.formatRFC3339(millis: updatedMillis))),
        ]
        if let lastError { members.append(JSONMember("vigil_last_error", .string(lastError))) }
        return .object(members)
    }
}

/// SQL alerts in `sql_alerts` (migration 011); a TRIGGERED period is an `alert_history` row of kind `sql_alert`.
public struct SQLAlertStore: Sendable {
    public let detections: DetectionStore
    public var database: VigilDatabase { detections.database }
    public var clock: any WallClock { detections.clock }

    public init(detections: DetectionStore) {
        self.detections = detections
    }

    public static func notFound(_ id: String) -> VigilError { VigilError(.notFound, "alert \(id.prefix(64)) does not exist") }

    public func create(_ definition: SQLAlertDefinition, owner: String) async throws -> StoredSQLAlert {
        let now = clock.nowMillis()
        let id = UUID().uuidString.lowercased()
        let next = definition.paused ? nil : definition.cron.next(after: now, in: definition.timeZone)
        try await database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO sql_alerts(id, definition, owner_user_name, lifecycle_state, state, next_run_time, create_time, update_time)
                VALUES (?, ?, ?, 'ACTIVE', 'UNKNOWN', ?, ?, ?)
                """, arguments: [id, JSONWriter.text(of: definition.json), owner, next, now, now])
        }
        return StoredSQLAlert(id: id, definition: definition.json, ownerUserName: owner, lifecycleState: "ACTIVE", state: .unknown,
                              nextRunMillis: next, createdMillis: now, updatedMillis: now)
    }

    public func update(id: String, _ definition: SQLAlertDefinition) async throws -> StoredSQLAlert {
        let now = clock.nowMillis()
        let next = definition.paused ? nil : definition.cron.next(after: now, in: definition.timeZone)
        return try await database.pool.write { db in
            try db.execute(sql: "UPDATE sql_alerts SET definition = ?, next_run_time = ?, update_time = ? WHERE id = ? AND lifecycle_state = 'ACTIVE'",
                           arguments: [JSONWriter.text(of: definition.json), next, now, id])
            guard db.changesCount == 1, let stored = try Self.alert(db, id: id) else { throw Self.notFound(id) }
            return stored
        }
    }

    /// Moves it to the trash (DELETED, not run, not listed) or, with `purge`, removes it.
    public func trash(id: String, purge: Bool) async throws {
        let now = clock.nowMillis()
        let detections = detections
        try await database.pool.write { db in
            // A TRIGGERED period ends with the alert (resolved, and told so where the firing went).
            if let current = try Self.alert(db, id: id), current.lifecycleState == "ACTIVE", let open = current.openAlertID,
               let record = try DetectionStore.alert(db, id: open), record.state != "RESOLVED" {
                _ = try detections.resolve(db, record, now: now, notify: true)
                try db.execute(sql: "UPDATE sql_alerts SET open_alert_id = NULL WHERE id = ?", arguments: [id])
            }
            if purge {
                try db.execute(sql: "DELETE FROM sql_alerts WHERE id = ?", arguments: [id])
            } else {
                try db.execute(sql: "UPDATE sql_alerts SET lifecycle_state = 'DELETED', trash_time = ?, next_run_time = NULL WHERE id = ? AND lifecycle_state = 'ACTIVE'",
                               arguments: [now, id])
            }
            guard db.changesCount == 1 else { throw Self.notFound(id) }
        }
    }

    public func alert(id: String) async throws -> StoredSQLAlert? {
        try await database.pool.read { db in try Self.alert(db, id: id) }
    }

    /// ACTIVE alerts in id order after `after`, of `owner` (nil: everyone's).
    public func list(owner: String?, after: String?, limit: Int) async throws -> [StoredSQLAlert] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM sql_alerts WHERE lifecycle_state = 'ACTIVE' AND (? IS NULL OR owner_user_name = ?) AND id > ? ORDER BY id LIMIT ?
                """, arguments: [owner, owner, after ?? "", limit]).compactMap(Self.decode)
        }
    }

    /// ACTIVE, unpaused alerts whose next run has come.
    public func due(limit: Int) async throws -> [StoredSQLAlert] {
        let now = clock.nowMillis()
        return try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sql_alerts WHERE lifecycle_state = 'ACTIVE' AND next_run_time <= ? ORDER BY next_run_time LIMIT ?",
                             arguments: [now, limit]).compactMap(Self.decode)
        }
    }

    /// Stores one evaluation: the new state and next run, and the alert history it makes. Entering TRIGGERED opens a
    /// history row (its firing notifications queued, or SILENCED); staying TRIGGERED past `retrigger_seconds` notifies
    /// again; returning to OK resolves the row (resolved notifications with `notify_on_ok`). Answers the history
    /// rows that changed, to be audited.
    public func record(_ stored: StoredSQLAlert, _ evaluated: SQLAlertDefinition, outcome: SQLAlertCondition.Outcome) async throws -> [AlertRecord] {
        let now = clock.nowMillis()
        let detections = detections
        return try await database.pool.write { db -> [AlertRecord] in
            guard let current = try Self.alert(db, id: stored.id), current.lifecycleState == "ACTIVE" else { return [] }
            // The definition as it is now: a PATCH (a pause, new subscriptions) made while the query ran is kept.
            let definition = (try? SQLAlertDefinition.decode(current.definition)) ?? evaluated
            let next = definition.paused ? nil : definition.cron.next(after: now, in: definition.timeZone)
            // What to send follows whether a TRIGGERED period is open, not the last state: an ERROR in between (a busy
            // executor) neither fires again nor swallows the resolution.
            let previous: SQLAlertState = current.openAlertID != nil ? .triggered : (current.state == .triggered ? .ok : current.state)
            let decision = SQLAlertCondition.notice(previous: previous, next: outcome.state, lastFiringNoticeMillis: current.lastFiringNoticeMillis,
                                                    now: now, retriggerSeconds: definition.retriggerSeconds, notifyOnOK: definition.notifyOnOK)
            var openID = current.openAlertID
            var lastNotice = current.lastFiringNoticeMillis
            var changed: [AlertRecord] = []
            let group = [DetectionHit.GroupValue(field: definition.condition.source.column, value: outcome.value)]
            if outcome.state == .triggered, openID == nil {
                let (record, unknown) = try detections.open(
                    // No workspace: the value was computed with the owner's scope, so only readers of every workspace see the row.
                    db, ruleID: stored.id, workspaceID: nil, title: definition.customSummary ?? definition.displayName, level: "medium", kind: "sql_alert",
                    eventMillis: now, group: group, eventIDs: [], count: 1, notify: definition.subscriptions, references: definition.subscriptions,
                    silences: try SilenceStore.active(db, now: now), now: now)
                if !unknown.isEmpty { detections.unroutable(unknown, record.alertID) }
                openID = record.alertID
                lastNotice = now
                changed.append(record)
            } else if outcome.state == .triggered, decision == .firing, let open = openID, let record = try DetectionStore.alert(db, id: open), record.state == "TRIGGERED" {
                // Still TRIGGERED after retrigger_seconds: tell them again.
                try NotificationOutbox.enqueue(db, detections.notice(record, status: .firing, at: now), references: definition.subscriptions, now: now,
                                                grouping: detections.routing.grouping)
                lastNotice = now
            } else if outcome.state == .ok, let open = openID {
                if let record = try DetectionStore.alert(db, id: open), record.state != "RESOLVED" {
                    changed.append(try detections.resolve(db, record, now: now, notify: decision == .resolved))
                }
                openID = nil
            }
            try db.execute(sql: """
                UPDATE sql_alerts SET state = ?, last_evaluated_time = ?, last_error = ?, last_value = ?, next_run_time = ?, open_alert_id = ?,
                last_firing_notice_time = ? WHERE id = ?
                """, arguments: [outcome.state.rawValue, now, outcome.error, outcome.value, next, openID, lastNotice, stored.id])
            return changed
        }
    }

    static func alert(_ db: Database, id: String) throws -> StoredSQLAlert? {
        try Row.fetchOne(db, sql: "SELECT * FROM sql_alerts WHERE id = ?", arguments: [id]).flatMap(decode)
    }

    static func decode(_ row: Row) -> StoredSQLAlert? {
        guard let definition = try? JSONParser.parse(row["definition"] as String) else { return nil }
        return StoredSQLAlert(id: row["id"], definition: definition, ownerUserName: row["owner_user_name"], lifecycleState: row["lifecycle_state"],
                              state: SQLAlertState(rawValue: row["state"]) ?? .unknown, lastEvaluatedMillis: row["last_evaluated_time"],
                              lastError: row["last_error"], lastValue: row["last_value"], nextRunMillis: row["next_run_time"],
                              openAlertID: row["open_alert_id"], lastFiringNoticeMillis: row["last_firing_notice_time"],
                              createdMillis: row["create_time"], updatedMillis: row["update_time"])
    }
}
