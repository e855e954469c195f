import GRDB
import VigilCore
import VigilStore

/// One notification to deliver: a notice for one destination. Rows are written in the transaction that records the
/// alert, so a stored alert always has its notifications queued, and they outlive a restart (at least once: a crash
/// between sending and marking sends again, and receivers can tell by `X-Vigil-Delivery`).
public struct OutboxItem: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for its next attempt.
        case pending
        case delivered
        /// Given up: a permanent refusal or too many attempts.
        case failed
        /// Its destination was deleted before it could be sent.
        case dropped
    }

    public var notificationID: Int64
    public var destinationID: String
    /// Its group (`NotificationGrouping.key`): notices of one destination and group due together go as one message.
    public var groupKey: String
    public var alertID: Int64
    public var notice: AlertNotice
    public var state: State
    public var attempts: Int
    public var nextAttemptMillis: Int64
    public var lastError: String?
    public var createdMillis: Int64
    public var finishedMillis: Int64?
}

/// Which destinations hear of an alert: those its rule lists in `notify:` (ids or display names), else those
/// configured for its level (`--notify-default high=oncall`); and when, by `grouping`.
public struct NotificationRouting: Sendable {
    public var defaultsByLevel: [String: [String]]
    public var grouping: NotificationGrouping

    public init(defaultsByLevel: [String: [String]] = [:], grouping: NotificationGrouping = .init()) {
        self.defaultsByLevel = defaultsByLevel
        self.grouping = grouping
    }

    public func references(notify: [String], level: String) -> [String] {
        notify.isEmpty ? defaultsByLevel[level] ?? [] : notify
    }
}

public enum NotificationOutbox {
    /// Queues `notice` for each destination that `references` resolve to, inside the caller's transaction, at the
    /// time `grouping` allows; answers the references that name no destination (the caller counts and logs them).
    @discardableResult
    public static func enqueue(_ db: Database, _ notice: AlertNotice, references: [String], now: Int64,
                               grouping: NotificationGrouping = .init()) throws -> [String] {
        let (destinations, missing) = try DestinationStore.resolve(db, references)
        let text = JSONWriter.text(of: notice.json)
        let key = grouping.key(notice)
        for destination in destinations {
            var at = now
            if grouping.groupWaitMillis > 0 || grouping.groupIntervalMillis > 0 {
                // The group's next message (a first attempt not yet made), and when it was last told anything.
                let pending = try Int64.fetchOne(db, sql: """
                    SELECT min(next_attempt_time) FROM notification_outbox WHERE destination_id = ? AND group_key = ? AND state = 'pending' AND attempts = 0
                    """, arguments: [destination.id, key])
                let lastSent = try Int64.fetchOne(db, sql: """
                    SELECT max(finished_time) FROM notification_outbox WHERE destination_id = ? AND group_key = ? AND state = 'delivered'
                    """, arguments: [destination.id, key])
                at = grouping.firstAttempt(now: now, status: notice.status, pending: pending, lastSent: lastSent)
            }
            try db.execute(sql: """
                INSERT INTO notification_outbox(destination_id, alert_id, status, notice, state, attempts, next_attempt_time, created_time, group_key)
                VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                """, arguments: [destination.id, notice.alertID, notice.status.rawValue, text, at, now, key])
        }
        return missing
    }

    /// Pending notifications whose time has come, oldest first, and the ids of due rows whose stored notice cannot
    /// be read (a damaged row, or one written by a newer Vigil): the caller marks those failed, so they neither wait
    /// forever nor hold up the queue.
    public static func due(_ db: Database, now: Int64, limit: Int) throws -> (items: [OutboxItem], unreadable: [Int64]) {
        var items: [OutboxItem] = []
        var unreadable: [Int64] = []
        for row in try Row.fetchAll(db, sql: """
            SELECT * FROM notification_outbox WHERE state = 'pending' AND next_attempt_time <= ? ORDER BY next_attempt_time, notification_id LIMIT ?
            """, arguments: [now, limit]) {
            if let item = decode(row) { items.append(item) } else { unreadable.append(row["notification_id"]) }
        }
        return (items, unreadable)
    }

    /// Alerts still TRIGGERED whose last firing notice to a destination that still exists is `repeatInterval` old,
    /// with nothing for them pending there (read only: the caller writes when there is something to repeat).
    /// SILENCED and ACKNOWLEDGED alerts are not repeated: someone decided.
    public static func repeatsDue(_ db: Database, grouping: NotificationGrouping, now: Int64, limit: Int = 500) throws -> [(alertID: Int64, destinationID: String)] {
        guard grouping.repeatIntervalMillis > 0 else { return [] }
        return try Row.fetchAll(db, sql: """
            SELECT o.alert_id, o.destination_id, max(o.created_time) AS last_firing, sum(o.state = 'pending') AS pending
            FROM alert_history a
            JOIN notification_outbox o ON o.alert_id = a.alert_id
            JOIN notification_destinations d ON d.id = o.destination_id
            WHERE a.state = 'TRIGGERED' AND o.status = 'firing' AND o.state != 'dropped'
            GROUP BY o.alert_id, o.destination_id
            HAVING pending = 0 AND last_firing <= ?
            ORDER BY last_firing LIMIT ?
            """, arguments: [now - grouping.repeatIntervalMillis, limit]).map { ($0["alert_id"], $0["destination_id"]) }
    }

    /// Queues `notice(alert)` again for each due pair (nil skips it: the alert changed or is silenced now); answers
    /// how many were queued.
    @discardableResult
    public static func enqueueRepeats(_ db: Database, _ due: [(alertID: Int64, destinationID: String)], grouping: NotificationGrouping, now: Int64,
                                      notice: (Int64) throws -> AlertNotice?) throws -> Int {
        var queued = 0
        for (alertID, destinationID) in due {
            guard let current = try notice(alertID) else { continue }
            if try enqueue(db, current, references: [destinationID], now: now, grouping: grouping).isEmpty { queued += 1 }
        }
        return queued
    }

    /// When the next pending notification is due, if any is.
    public static func nextDue(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT min(next_attempt_time) FROM notification_outbox WHERE state = 'pending'")
    }

    /// Records an attempt's end. A row dropped while the attempt was in flight (its alert resolved, its destination
    /// deleted) keeps its drop and reason unless the attempt in fact delivered it: then the record says so.
    public static func finish(_ db: Database, id: Int64, state: OutboxItem.State, attempts: Int, error: String?, now: Int64) throws {
        try db.execute(sql: """
            UPDATE notification_outbox SET state = ?, attempts = ?, last_error = ?, finished_time = ?
            WHERE notification_id = ? AND (state = 'pending' OR ? = 'delivered')
            """, arguments: [state.rawValue, attempts, error, now, id, state.rawValue])
    }

    /// Schedules the next attempt of a row that is still pending; one dropped meanwhile stays dropped with its reason.
    public static func retry(_ db: Database, id: Int64, attempts: Int, error: String, at next: Int64) throws {
        try db.execute(sql: "UPDATE notification_outbox SET attempts = ?, last_error = ?, next_attempt_time = ? WHERE notification_id = ? AND state = 'pending'",
                       arguments: [attempts, error, next, id])
    }

    /// How many notifications are in each state (for /metrics).
    public static func counts(_ db: Database) throws -> [OutboxItem.State: Int] {
        var counts: [OutboxItem.State: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM notification_outbox GROUP BY state") {
            if let state = OutboxItem.State(rawValue: row["state"]) { counts[state] = row["n"] }
        }
        return counts
    }

    /// Newest first, optionally of one alert; `before` is the previous page's smallest id.
    public static func list(_ db: Database, alertID: Int64?, before: Int64?, limit: Int) throws -> [OutboxItem] {
        var sql = "SELECT * FROM notification_outbox WHERE 1 = 1"
        var arguments: StatementArguments = []
        if let alertID {
            sql += " AND alert_id = ?"
            arguments += [alertID]
        }
        if let before {
            sql += " AND notification_id < ?"
            arguments += [before]
        }
        sql += " ORDER BY notification_id DESC LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap(decode)
    }

    static func decode(_ row: Row) -> OutboxItem? {
        guard let parsed = try? JSONParser.parse(row["notice"] as String), let notice = AlertNotice(json: parsed),
              let state = OutboxItem.State(rawValue: row["state"])
        else { return nil }
        return OutboxItem(notificationID: row["notification_id"], destinationID: row["destination_id"], groupKey: row["group_key"],
                          alertID: row["alert_id"], notice: notice,
                          state: state, attempts: row["attempts"], nextAttemptMillis: row["next_attempt_time"], lastError: row["last_error"],
                          createdMillis: row["created_time"], finishedMillis: row["finished_time"])
    }

    public static func json(_ item: OutboxItem) -> JSONValue {
        .object([
            JSONMember("notification_id", .number(String(item.notificationID))), JSONMember("destination_id", .string(item.destinationID)),
            JSONMember("alert_id", .number(String(item.alertID))), JSONMember("status", .string(item.notice.status.rawValue)),
            JSONMember("state", .string(item.state.rawValue)), JSONMember("attempts", .number(String(item.attempts))),
            JSONMember("next_attempt_time", .string(Timestamp.formatRFC3339(millis: item.nextAttemptMillis))),
            JSONMember("last_error", item.lastError.map(JSONValue.string) ?? .null),
            JSONMember("created_time", .string(Timestamp.formatRFC3339(millis: item.createdMillis))),
            JSONMember("finished_time", item.finishedMillis.map { .string(Timestamp.formatRFC3339(millis: $0)) } ?? .null),
        ])
    }
}

/// When to try again: doubling from `base` to `cap`, at least what the receiver asked (`Retry-After`), and no more
/// attempts after `maxAttempts`.
public struct RetrySchedule: Sendable, Equatable {
    public var baseMillis: Int64
    public var capMillis: Int64
    public var maxAttempts: Int

    public init(baseMillis: Int64 = 1_000, capMillis: Int64 = 600_000, maxAttempts: Int = 20) {
        self.baseMillis = baseMillis
        self.capMillis = capMillis
        self.maxAttempts = maxAttempts
    }

    /// The delay after failed attempt number `attempts` (1 for the first), or nil when that was the last.
    public func delay(afterAttempt attempts: Int, retryAfterMillis: Int64? = nil) -> Int64? {
        guard attempts < maxAttempts else { return nil }
        let doubled = baseMillis << Int64(min(max(attempts - 1, 0), 30))
        return max(min(doubled, capMillis), min(retryAfterMillis ?? 0, capMillis))
    }
}
