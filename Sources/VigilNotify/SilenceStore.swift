import Foundation
import GRDB
import VigilCore
import VigilStore

/// Silences in `alert_silences` (migration 010).
public enum SilenceStore {
    public static func create(_ db: Database, _ silence: Silence) throws {
        try db.execute(sql: """
            INSERT INTO alert_silences(silence_id, matchers, starts_time, ends_time, comment, created_by, created_time) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [silence.id, JSONWriter.text(of: .array(silence.matchers.map(\.json))), silence.startsMillis, silence.endsMillis,
                             silence.comment, silence.createdBy, silence.createdMillis])
    }

    /// Ends a silence now (Alertmanager's DELETE expires, it does not forget).
    public static func expire(_ db: Database, id: String, now: Int64) throws {
        guard let silence = try silence(db, id: id) else { throw VigilError(.notFound, "silence \(id.prefix(64)) does not exist") }
        guard silence.status(at: now) != .expired else { throw VigilError(.invalidState, "silence \(id.prefix(64)) has already expired") }
        try db.execute(sql: "UPDATE alert_silences SET ends_time = ?, starts_time = min(starts_time, ?) WHERE silence_id = ?", arguments: [now, now, id])
    }

    public static func silence(_ db: Database, id: String) throws -> Silence? {
        try Row.fetchOne(db, sql: "SELECT * FROM alert_silences WHERE silence_id = ?", arguments: [id]).flatMap(decode)
    }

    /// Newest first; expired ones too when `includeExpired`.
    public static func list(_ db: Database, now: Int64, includeExpired: Bool) throws -> [Silence] {
        try Row.fetchAll(db, sql: "SELECT * FROM alert_silences WHERE ends_time > ? ORDER BY created_time DESC, silence_id LIMIT 1000",
                         arguments: [includeExpired ? Int64.min : now]).compactMap(decode)
    }

    /// The silences in force at `now`.
    public static func active(_ db: Database, now: Int64) throws -> [Silence] {
        try Row.fetchAll(db, sql: "SELECT * FROM alert_silences WHERE starts_time <= ? AND ends_time > ?", arguments: [now, now]).compactMap(decode)
    }

    static func decode(_ row: Row) -> Silence? {
        guard case .array(let items)? = try? JSONParser.parse(row["matchers"] as String) else { return nil }
        let matchers = items.compactMap { item -> Silence.Matcher? in
            guard case .string(let name)? = item["name"], case .string(let value)? = item["value"],
                  case .bool(let isRegex)? = item["isRegex"], case .bool(let isEqual)? = item["isEqual"] else { return nil }
            return Silence.Matcher(name: name, value: value, isRegex: isRegex, isEqual: isEqual)
        }
        return Silence(id: row["silence_id"], matchers: matchers, startsMillis: row["starts_time"], endsMillis: row["ends_time"],
                       comment: row["comment"], createdBy: row["created_by"], createdMillis: row["created_time"])
    }
}
