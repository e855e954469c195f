import GRDB
import GRDBSQLite
import VigilCore

/// Inserts a push's lines with SQLite's own binding calls: GRDB's `StatementArguments` boxes every value of every
/// line in an existential, which was a tenth of the server's time when ingesting log lines.
enum LineInsert {
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func run(_ lines: [LogLine], appKey: Int64, appName: String, db: Database) throws -> [StoredLogLine] {
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the connection is closed") }
        var handle: OpaquePointer?
        let sql = "INSERT INTO app_log_lines(app_key, app_name, ts, source, stream, level, message, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        guard sqlite3_prepare_v2(connection, sql, -1, &handle, nil) == SQLITE_OK, let statement = handle else {
            throw error(connection)
        }
        defer { sqlite3_finalize(statement) }
        var stored: [StoredLogLine] = []
        stored.reserveCapacity(lines.count)
        sqlite3_bind_int64(statement, 1, appKey)
        bind(statement, 2, appName)
        for line in lines {
            sqlite3_bind_int64(statement, 3, line.timestampMillis)
            bind(statement, 4, line.source.rawValue)
            bind(statement, 5, line.stream.rawValue)
            bind(statement, 6, line.level)
            bind(statement, 7, line.message)
            bind(statement, 8, line.fieldsJSON)
            guard sqlite3_step(statement) == SQLITE_DONE else { throw error(connection) }
            sqlite3_reset(statement)
            stored.append(StoredLogLine(id: sqlite3_last_insert_rowid(connection), appKey: appKey, line: line))
        }
        return stored
    }

    private static func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
        // With the length in bytes, not -1: the text is stored whole whatever it holds.
        if let text { sqlite3_bind_text(statement, index, text, Int32(text.utf8.count), transient) } else { sqlite3_bind_null(statement, index) }
    }

    private static func error(_ connection: OpaquePointer) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)), message: String(cString: sqlite3_errmsg(connection)))
    }
}
