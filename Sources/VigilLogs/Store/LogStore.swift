import GRDB
import VigilCore

/// App log lines in `logs.sqlite`: appended a push at a time (one transaction, all or nothing), read newest first,
/// deleted by age and when their app is gone.
public struct LogStore: Sendable {
    public let database: LogDatabase

    /// A reader's search looks at most this many of an app's newest lines (so one search costs a bounded scan).
    public static let maxScannedLines = 1_000_000

    public init(database: LogDatabase) {
        self.database = database
    }

    public enum AppendResult: Sendable, Equatable {
        /// Stored, with their ids.
        case stored([StoredLogLine])
        /// A push with this batch key (`Idempotency-Key`) was stored already: nothing was stored again.
        case duplicate(lines: Int)
    }

    /// Appends `lines` of app `appKey` in one transaction. With `batchKey`, a second push of the same key stores
    /// nothing and answers `.duplicate`: a client that lost an answer can resend without doubling lines.
    public func append(_ lines: [LogLine], appKey: Int64, appName: String, batchKey: String?, receivedMillis: Int64) async throws -> AppendResult {
        try await database.pool.write { db in
            if let batchKey {
                try db.execute(sql: "INSERT OR IGNORE INTO app_log_batches(app_key, batch_key, received, lines) VALUES (?, ?, ?, ?)",
                               arguments: [appKey, batchKey, receivedMillis, lines.count])
                if db.changesCount == 0 {
                    let count = try Int.fetchOne(db, sql: "SELECT lines FROM app_log_batches WHERE app_key = ? AND batch_key = ?",
                                                 arguments: [appKey, batchKey]) ?? 0
                    return .duplicate(lines: count)
                }
            }
            return .stored(try LineInsert.run(lines, appKey: appKey, appName: appName, db: db))
        }
    }

    /// The newest `limit` lines of the app that match `filter`, oldest first (by time, then arrival).
    public func tail(appKey: Int64, limit: Int, filter: LogFilter = LogFilter()) async throws -> [StoredLogLine] {
        guard limit > 0 else { return [] }
        return try await database.pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = [appKey, Self.maxScannedLines]
            if let source = filter.source {
                conditions.append("source = ?")
                arguments += [source.rawValue]
            }
            if let level = filter.level {
                conditions.append("level = ?")
                arguments += [level]
            }
            if !filter.search.isEmpty {
                conditions.append(#"message LIKE ? ESCAPE '\'"#)
                arguments += [filter.likePattern]
            }
            arguments += [limit]
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM (
                    SELECT id, app_key, ts, source, stream, level, message, fields FROM app_log_lines
                    WHERE app_key = ? ORDER BY ts DESC, id DESC LIMIT ?
                ) \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")) ORDER BY ts DESC, id DESC LIMIT ?
                """, arguments: arguments)
            return rows.reversed().map(Self.line)
        }
    }

    /// The newest messages of `appKey` that fit in `maxBytes` (a line break between each), oldest first, and whether
    /// older ones were left out: read newest first through a cursor, so a huge output costs at most `maxBytes`.
    public func newestMessages(appKey: Int64, maxBytes: Int) async throws -> (messages: [String], truncated: Bool) {
        try await database.pool.read { db in
            var kept: [String] = []
            var bytes = 0
            let cursor = try String.fetchCursor(db, sql: "SELECT message FROM app_log_lines WHERE app_key = ? ORDER BY ts DESC, id DESC",
                                                arguments: [appKey])
            while let message = try cursor.next() {
                let size = message.utf8.count + 1
                if bytes + size > maxBytes { return (kept.reversed(), true) }
                bytes += size
                kept.append(message)
            }
            return (kept.reversed(), false)
        }
    }

    /// How many lines the app has.
    public func count(appKey: Int64) async throws -> Int {
        try await database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM app_log_lines WHERE app_key = ?", arguments: [appKey]) ?? 0
        }
    }

    /// The app keys that have lines or batch keys stored.
    public func storedAppKeys() async throws -> Set<Int64> {
        try await database.pool.read { db in
            Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT app_key FROM app_log_lines UNION SELECT DISTINCT app_key FROM app_log_batches"))
        }
    }

    /// Deletes, for each of `keys`, the lines (and batch keys) older than its cutoff: its own in `cutoffs`, or
    /// `defaultCutoff` when its entry is nil; a positive key missing from `cutoffs` is a deleted app's, and everything of
    /// it goes (a negative one is a job run's output, kept for `defaultCutoff`). At most `batch` rows a transaction, so the writer is never held for long. Returns the lines deleted.
    ///
    /// `keys` must be read before `cutoffs` (the apps that exist): an app created in between is then in `cutoffs`
    /// but not in `keys`, and keeps its lines.
    public func sweep(keys: Set<Int64>, defaultCutoff: Int64, cutoffs: [Int64: Int64?], batch: Int = 10_000) async throws -> Int {
        var deleted = 0
        for key in keys.sorted() {
            let cutoff: Int64 =
                switch cutoffs[key] {
                // The app is gone: every line. Negative keys are job runs' output (`-run_id`): the default retention.
                case nil: key < 0 ? defaultCutoff : Int64.max
                case .some(nil): defaultCutoff
                case .some(.some(let own)): own
                }
            while true {
                let count = try await database.pool.write { db in
                    try db.execute(sql: """
                        DELETE FROM app_log_lines WHERE id IN (
                            SELECT id FROM app_log_lines WHERE app_key = ? AND ts < ? ORDER BY ts LIMIT ?)
                        """, arguments: [key, cutoff, batch])
                    return db.changesCount
                }
                deleted += count
                if count < batch { break }
            }
            // An app's batch keys live as long as its lines: a resend older than that is not expected.
            try await database.pool.write { db in
                try db.execute(sql: "DELETE FROM app_log_batches WHERE app_key = ? AND received < ?", arguments: [key, cutoff])
            }
        }
        return deleted
    }

    static func line(_ row: Row) -> StoredLogLine {
        StoredLogLine(
            id: row["id"], appKey: row["app_key"],
            line: LogLine(
                timestampMillis: row["ts"], source: LogSource(rawValue: row["source"]) ?? .app,
                stream: LogStreamName(rawValue: row["stream"]) ?? .stdout, level: row["level"], message: row["message"],
                fieldsJSON: row["fields"]))
    }
}
