import Foundation
import GRDB
import VigilCore
import VigilStore

/// `logs.sqlite` in the data folder: app log lines and host log lines (syslog), apart from the audit ledger (`vigil.sqlite`), with a writer of
/// its own, so a flood of log lines never waits on, or delays, audit ingest.
///
/// WAL with `synchronous=NORMAL`: a commit is not fsync'd, so a line acknowledged survives a crash of Vigil (the
/// WAL is in the OS's hands) but the last moments may be lost to a power cut. Logs are operational data; audit
/// events keep `FULL`.
public final class LogDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 8
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        self.path = path
        try VigilDatabase.restrictPermissions(of: path)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw VigilError(.unavailable, "cannot open the log database \(path): \(error)", underlying: error)
        }
    }

    /// `<dataDirectory>/logs.sqlite`.
    public static func open(dataDirectory: String) throws -> LogDatabase {
        try LogDatabase(path: (dataDirectory as NSString).appendingPathComponent("logs.sqlite"))
    }

    /// The log database's own migrations (never edited once shipped).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_app_log_lines") { db in
            // `app_key` is the app's row id in vigil.sqlite (`apps.id`), never reused; `app_name` is kept for SQL
            // readers. `ts` is milliseconds since the epoch; `id` is arrival order.
            try db.execute(sql: """
                CREATE TABLE app_log_lines (
                    id INTEGER PRIMARY KEY,
                    app_key INTEGER NOT NULL,
                    app_name TEXT NOT NULL,
                    ts INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    level TEXT,
                    message TEXT NOT NULL,
                    fields TEXT
                );
                CREATE INDEX app_log_lines_app_ts ON app_log_lines(app_key, ts);
                CREATE TABLE app_log_batches (
                    app_key INTEGER NOT NULL,
                    batch_key TEXT NOT NULL,
                    received INTEGER NOT NULL,
                    lines INTEGER NOT NULL,
                    PRIMARY KEY (app_key, batch_key)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("002_host_log_lines") { db in
            // Lines a host sent to the syslog source that are not authentication events. `ts` is the message's own
            // time (the receive time when it had none or claimed the future), `received` when Vigil got it, which
            // retention goes by (a sender's clock decides nothing); `host` is what the message claims, `sender` the
            // address it came from.
            try db.execute(sql: """
                CREATE TABLE host_log_lines (
                    id INTEGER PRIMARY KEY,
                    ts INTEGER NOT NULL,
                    received INTEGER NOT NULL,
                    host TEXT,
                    app_name TEXT,
                    proc_id TEXT,
                    facility INTEGER NOT NULL,
                    severity INTEGER NOT NULL,
                    message TEXT NOT NULL,
                    sender TEXT
                );
                CREATE INDEX host_log_lines_ts ON host_log_lines(ts);
                CREATE INDEX host_log_lines_host_ts ON host_log_lines(host, ts);
                CREATE INDEX host_log_lines_received ON host_log_lines(received);
                """)
        }
        return migrator
    }
}
