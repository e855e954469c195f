import GRDB
import VigilCore

/// One line a host sent to the syslog source that is not an authentication event (those become audit events).
public struct HostLogLine: Sendable, Equatable {
    /// The message's own time, or when it was received if it had none (ms since the epoch).
    public var timestampMillis: Int64
    public var receivedMillis: Int64
    /// HOSTNAME as the message names it: the sender's claim.
    public var host: String?
    /// APP-NAME (RFC 5424) or TAG (RFC 3164).
    public var appName: String?
    public var procID: String?
    /// 0 (kern) to 23 (local7).
    public var facility: Int
    /// 0 (emerg) to 7 (debug).
    public var severity: Int
    public var message: String
    /// The address the message came from (what the network says, unlike `host`).
    public var sender: String?

    public init(timestampMillis: Int64, receivedMillis: Int64, host: String?, appName: String?, procID: String?, facility: Int,
                severity: Int, message: String, sender: String?) {
        self.timestampMillis = timestampMillis
        self.receivedMillis = receivedMillis
        self.host = host
        self.appName = appName
        self.procID = procID
        self.facility = facility
        self.severity = severity
        self.message = message
        self.sender = sender
    }

    /// RFC 5424's severity names, by number.
    public static let severityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
    /// RFC 5424's facility names, by number (the names rsyslog and logger use).
    public static let facilityNames = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
                                       "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4",
                                       "local5", "local6", "local7"]

    /// A severity by name (`err`, `warning`; `error` and `warn` too) or number, or nil.
    public static func severity(named text: String) -> Int? {
        let lowered = text.lowercased()
        if let number = Int(lowered), (0...7).contains(number) { return number }
        switch lowered {
        case "error": return 3
        case "warn": return 4
        case "emergency", "panic": return 0
        case "critical": return 2
        default: return severityNames.firstIndex(of: lowered)
        }
    }
}

/// Which host lines a reader wants. Empty parts match everything.
public struct HostLogQuery: Sendable, Equatable {
    public var host: String?
    public var appName: String?
    /// Lines this severe or more (a lower number): `4` is warning and above.
    public var maxSeverity: Int?
    /// A case-insensitive substring of the message (ASCII letters folded, as SQLite's LIKE folds them).
    public var search: String = ""
    /// `[start, end)` on the line's time, ms since the epoch.
    public var startMillis: Int64?
    public var endMillis: Int64?
    public var limit: Int = 100

    public init() {}
}

/// Host log lines in `logs.sqlite` (table `host_log_lines`): appended in transactions of at most 1,000 lines (so app
/// log ingest never waits long for the writer), read newest first, deleted by receive time with the app log retention.
public struct HostLogStore: Sendable {
    public let database: LogDatabase

    public init(database: LogDatabase) {
        self.database = database
    }

    /// Stores `lines`, 1,000 a transaction.
    public func append(_ lines: [HostLogLine]) async throws {
        for start in stride(from: 0, to: lines.count, by: 1000) {
            let chunk = lines[start..<min(start + 1000, lines.count)]
            try await database.pool.write { db in
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO host_log_lines(ts, received, host, app_name, proc_id, facility, severity, message, sender)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for line in chunk {
                    try statement.execute(arguments: [line.timestampMillis, line.receivedMillis, line.host, line.appName, line.procID,
                                                      line.facility, line.severity, line.message, line.sender])
                }
            }
        }
    }

    /// Most message bytes one read answers with; past it the answer stops early and says more matched.
    public static let maxAnswerBytes = 16 << 20

    /// The newest `query.limit` lines that match, newest first (by time, then arrival), and whether more matched (or
    /// the answer reached `maxAnswerBytes` of messages).
    public func lines(_ query: HostLogQuery) async throws -> (lines: [HostLogLine], more: Bool) {
        guard query.limit > 0 else { return ([], false) }
        return try await database.pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let host = query.host {
                conditions.append("host = ?")
                arguments += [host]
            }
            if let appName = query.appName {
                conditions.append("app_name = ?")
                arguments += [appName]
            }
            if let maxSeverity = query.maxSeverity {
                conditions.append("severity <= ?")
                arguments += [maxSeverity]
            }
            if !query.search.isEmpty {
                conditions.append(#"message LIKE ? ESCAPE '\'"#)
                arguments += [LogFilter(search: query.search).likePattern]
            }
            if let start = query.startMillis {
                conditions.append("ts >= ?")
                arguments += [start]
            }
            if let end = query.endMillis {
                conditions.append("ts < ?")
                arguments += [end]
            }
            arguments += [query.limit + 1]
            let rows = try Row.fetchAll(db, sql: """
                SELECT ts, received, host, app_name, proc_id, facility, severity, message, sender FROM host_log_lines
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")) ORDER BY ts DESC, id DESC LIMIT ?
                """, arguments: arguments)
            var lines: [HostLogLine] = []
            var bytes = 0
            for row in rows.prefix(query.limit) {
                let line = HostLogLine(
                    timestampMillis: row["ts"], receivedMillis: row["received"], host: row["host"], appName: row["app_name"],
                    procID: row["proc_id"], facility: row["facility"], severity: row["severity"], message: row["message"], sender: row["sender"])
                bytes += line.message.utf8.count
                if bytes > Self.maxAnswerBytes, !lines.isEmpty { return (lines, true) }
                lines.append(line)
            }
            return (lines, rows.count > query.limit)
        }
    }

    /// How many lines are stored.
    public func count() async throws -> Int {
        try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM host_log_lines") ?? 0 }
    }

    /// Deletes lines received before `cutoff` (the receive time, never the time a sender claims: a line dated in
    /// the far future would otherwise stay for ever), at most `batch` a transaction; returns how many.
    public func sweep(receivedBefore cutoff: Int64, batch: Int = 10_000) async throws -> Int {
        var deleted = 0
        while true {
            let count = try await database.pool.write { db in
                try db.execute(sql: "DELETE FROM host_log_lines WHERE id IN (SELECT id FROM host_log_lines WHERE received < ? ORDER BY received LIMIT ?)",
                               arguments: [cutoff, batch])
                return db.changesCount
            }
            deleted += count
            if count < batch { return deleted }
        }
    }
}
