import Foundation
import GRDB
import VigilCore
import VigilDetection
import VigilNotify
import VigilStore

/// A stored metric alarm: its definition and where its evaluation stands.
public struct StoredMetricAlarm: Sendable {
    public var definition: MetricAlarmDefinition
    public var state: AlarmEvaluator.State
    public var stateReason: String
    public var stateUpdatedMillis: Int64
    public var lastEvaluatedMillis: Int64?
    public var openAlertID: Int64?

    public var json: JSONValue {
        guard case .object(var members) = definition.json else { return definition.json }
        members += [
            JSONMember("state", .string(state.rawValue)), JSONMember("state_reason", .string(stateReason)),
            JSONMember("state_updated_time", .string(Timestamp.formatRFC3339(millis: stateUpdatedMillis))),
        ]
        if let last = lastEvaluatedMillis { members.append(JSONMember("last_evaluated_time", .string(Timestamp.formatRFC3339(millis: last)))) }
        return .object(members)
    }
}

/// Metric alarms in `metric_alarms` (migration 012); an ALARM period is an `alert_history` row of kind `metric_alarm`.
public struct MetricAlarmStore: Sendable {
    public let detections: DetectionStore
    public let minimumPeriodSeconds: Int
    /// Samples Vigil's own /metrics for `vigil_metrics` alarms.
    public let sampler: VigilMetricSampler
    public var database: VigilDatabase { detections.database }
    public var clock: any WallClock { detections.clock }

    public init(detections: DetectionStore, minimumPeriodSeconds: Int = 10) {
        self.detections = detections
        self.minimumPeriodSeconds = minimumPeriodSeconds
        self.sampler = VigilMetricSampler(database: detections.database)
    }

    public static func notFound(_ name: String) -> VigilError { VigilError(.notFound, "metric alarm \(name.prefix(64)) does not exist") }

    /// Creates the alarm, or replaces its definition (keeping its state), as PutMetricAlarm does.
    public func put(_ definition: MetricAlarmDefinition, by userName: String) async throws -> StoredMetricAlarm {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO metric_alarms(alarm_name, definition, state, state_reason, state_updated_time, created_by, create_time, update_time)
                VALUES (?, ?, 'INSUFFICIENT_DATA', 'Unchecked: the alarm was created', ?, ?, ?, ?)
                ON CONFLICT(alarm_name) DO UPDATE SET definition = excluded.definition, update_time = excluded.update_time
                """, arguments: [definition.name, JSONWriter.text(of: definition.json), now, userName, now, now])
            guard let stored = try Self.alarm(db, name: definition.name, minimum: 1) else { throw Self.notFound(definition.name) }
            return stored
        }
    }

    public func delete(name: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM metric_alarms WHERE alarm_name = ?", arguments: [name])
            guard db.changesCount == 1 else { throw Self.notFound(name) }
        }
    }

    public func alarm(name: String) async throws -> StoredMetricAlarm? {
        try await database.pool.read { db in try Self.alarm(db, name: name, minimum: 1) }
    }

    public func all() async throws -> [StoredMetricAlarm] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM metric_alarms ORDER BY alarm_name").compactMap { Self.decode($0, minimum: 1) }
        }
    }

    /// The evaluation range's datapoints, oldest first: one per period, nil for a period without data. Periods are
    /// aligned to the epoch, and the range ends with the last complete period before `now`.
    public func datapoints(_ definition: MetricAlarmDefinition, now: Int64) async throws -> [(Int64, Double?)] {
        let period = Int64(definition.periodSeconds) * 1000
        let end = now / period * period
        let start = end - Int64(definition.evaluator.rangePeriods) * period
        func aggregate(_ column: String) -> String {
            switch definition.statistic {
            case .sampleCount: "count(\(column))"
            case .average: "avg(\(column))"
            case .sum: "sum(\(column))"
            case .minimum: "min(\(column))"
            case .maximum: "max(\(column))"
            }
        }
        let (table, time, value): (String, String, String)
        switch definition.source {
        case .auditEvents: (table, time, value) = ("audit_events", "event_time", "count(*)")
        case .nodeTimeline: (table, time, value) = ("node_timeline", "start_time", aggregate(definition.column ?? "cpu_user_percent"))
        case .vigilMetrics: (table, time, value) = ("vigil_metric_samples", "sample_time", aggregate("value"))
        }
        var sql = "SELECT (\(time) - ?) / ? AS bucket, \(value) AS value FROM \(table) WHERE \(time) >= ? AND \(time) < ?"
        var arguments: [DatabaseValue] = [start.databaseValue, period.databaseValue, start.databaseValue, end.databaseValue]
        if definition.source == .vigilMetrics {
            // Every series of the name whose labels match the filter: a period's statistic is over all of them.
            sql += " AND name = ?"
            arguments.append((definition.metricName ?? "").databaseValue)
            for (label, text) in definition.filter {
                sql += " AND json_extract(labels, ?) = ?"
                arguments += ["$.\(label)".databaseValue, text.databaseValue]
            }
        } else {
            let columns = MetricAlarmDefinition.filters[definition.source] ?? [:]
            for (key, text) in definition.filter {
                guard let column = columns[key] else { continue }
                sql += " AND \(column) = ?"
                arguments.append(text.databaseValue)
            }
        }
        sql += " GROUP BY bucket"
        // Sendable captures and result: anything else picks GRDB's blocking read, which would hold a cooperative
        // thread while SQLite works.
        let (text, bound) = (sql, arguments)
        let rows = try await database.pool.read { db in
            try Row.fetchAll(db, sql: text, arguments: StatementArguments(bound)).map { row -> (Int64, Double?) in (row["bucket"], row["value"]) }
        }
        var values = [Double?](repeating: nil, count: definition.evaluator.rangePeriods)
        for (bucket, value) in rows {
            if bucket >= 0, bucket < values.count, let value, !(definition.statistic == .sampleCount && value == 0) { values[Int(bucket)] = value }
        }
        return values.enumerated().map { (start + Int64($0.offset) * period, $0.element) }
    }

    /// Stores an evaluation. Entering ALARM opens an alert (notified, or SILENCED); leaving it resolves the alert with
    /// resolved notifications. Answers the alerts that changed, to be audited.
    public func record(_ stored: StoredMetricAlarm, next: AlarmEvaluator.State, reason: String, lastValue: Double?, workspaceID: String?) async throws -> [AlertRecord] {
        let now = clock.nowMillis()
        let detections = detections
        let definition = stored.definition
        return try await database.pool.write { db -> [AlertRecord] in
            guard let current = try Self.alarm(db, name: definition.name, minimum: 1) else { return [] }
            var openID = current.openAlertID
            var changed: [AlertRecord] = []
            if next == .alarm, openID == nil {
                let group = [DetectionHit.GroupValue(field: definition.column ?? "events", value: lastValue.map(MetricAlarmDefinition.format))]
                let (record, unknown) = try detections.open(
                    db, ruleID: definition.name, workspaceID: workspaceID, title: definition.description ?? definition.name, level: definition.level,
                    kind: "metric_alarm", eventMillis: now, group: group, eventIDs: [], count: 1, notify: definition.notify,
                    references: detections.routing.references(notify: definition.notify, level: definition.level),
                    silences: try SilenceStore.active(db, now: now), now: now)
                if !unknown.isEmpty { detections.unroutable(unknown, record.alertID) }
                openID = record.alertID
                changed.append(record)
            } else if next != .alarm, let open = openID {
                if let record = try DetectionStore.alert(db, id: open), record.state != "RESOLVED" {
                    changed.append(try detections.resolve(db, record, now: now, notify: true))
                }
                openID = nil
            }
            let stateChanged = current.state != next
            try db.execute(sql: """
                UPDATE metric_alarms SET state = ?, state_reason = CASE WHEN ? THEN ? ELSE state_reason END,
                state_updated_time = CASE WHEN ? THEN ? ELSE state_updated_time END, last_evaluated_time = ?, open_alert_id = ? WHERE alarm_name = ?
                """, arguments: [next.rawValue, stateChanged, reason, stateChanged, now, now, openID, definition.name])
            return changed
        }
    }

    static func alarm(_ db: Database, name: String, minimum: Int) throws -> StoredMetricAlarm? {
        try Row.fetchOne(db, sql: "SELECT * FROM metric_alarms WHERE alarm_name = ?", arguments: [name]).flatMap { decode($0, minimum: minimum) }
    }

    static func decode(_ row: Row, minimum: Int) -> StoredMetricAlarm? {
        guard let json = try? JSONParser.parse(row["definition"] as String),
              let definition = try? MetricAlarmDefinition.decode(json, minimumPeriodSeconds: minimum) else { return nil }
        return StoredMetricAlarm(definition: definition, state: AlarmEvaluator.State(rawValue: row["state"]) ?? .insufficientData,
                                 stateReason: row["state_reason"], stateUpdatedMillis: row["state_updated_time"],
                                 lastEvaluatedMillis: row["last_evaluated_time"], openAlertID: row["open_alert_id"])
    }
}
