import Foundation
import GRDBSQLite
import Synchronization
import VigilSQL

/// A read-only SQLite connection for compiled Spark SQL, opened with the C API rather than GRDB so that it can
/// own its authorizer: the authorizer lets a statement read only the catalog's storage tables, so tokens, keys
/// and ledger tables stay unreachable whatever the SQL text, and refuses every write, PRAGMA and ATTACH.
final class SQLiteReadConnection {
    private let handle: OpaquePointer
    private let authorizer: Authorizer
    private let progress = Progress()
    /// The longest string or blob a statement may build (SQLITE_LIMIT_LENGTH).
    static let maxValueBytes: Int32 = 16 << 20
    /// The longest compiled SQL text SQLite will prepare.
    static let maxCompiledBytes: Int32 = 32 << 20

    /// - attachments: other database files whose catalog tables statements may read, by schema name (`logs` →
    ///   `logs.sqlite` for `system.vigil.app_logs`). A file that cannot be attached leaves its tables unreadable.
    init(path: String, readableTables: Set<String>, attachments: [String: String] = [:]) throws(SQLError) {
        var pointer: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard code == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(code)"
            if let pointer { sqlite3_close_v2(pointer) }
            throw SQLError(.runtime, "cannot open the database for SQL: \(message)")
        }
        handle = pointer
        sqlite3_busy_timeout(handle, 5000)
        // Large scans (aggregations over the whole log) read through the OS page cache instead of copying pages,
        // and big GROUP BY sorts use a second thread. (A 64 MiB page cache on top made the per-service summary
        // 1.36 s instead of 0.91 s: with mmap, reads do not need it and sorts paid for it.)
        // Sorts and temporary tables of a big statement spill to files instead of growing the heap, its page
        // cache is capped, and no single value (a json_group_array, a concat) may pass 16 MiB: the memory one
        // statement can take is bounded whatever its text.
        sqlite3_exec(
            handle, "PRAGMA mmap_size = 1073741824; PRAGMA threads = 2; PRAGMA temp_store = FILE; PRAGMA cache_size = -16384",
            nil, nil, nil)
        sqlite3_limit(handle, SQLITE_LIMIT_LENGTH, Self.maxValueBytes)
        sqlite3_limit(handle, SQLITE_LIMIT_SQL_LENGTH, Self.maxCompiledBytes)
        sqlite3_limit(handle, SQLITE_LIMIT_VARIABLE_NUMBER, Int32(SQLiteEmitter.maxArguments))
        sqlite3_extended_result_codes(handle, 1)
        let progress = progress
        SparkFunctionSet.register(on: handle, interrupted: { progress.shouldInterrupt() })
        // Attach before the authorizer exists (it refuses ATTACH); attached files open read-only, as the main one.
        for (schema, file) in attachments.sorted(by: { $0.key < $1.key }) where schema.allSatisfy({ $0.isLetter || $0 == "_" }) {
            var attach: OpaquePointer?
            if sqlite3_prepare_v2(handle, "ATTACH DATABASE ?1 AS \(schema)", -1, &attach, nil) == SQLITE_OK, let attach {
                sqlite3_bind_text(attach, 1, file, -1, SQLiteText.transient)
                sqlite3_step(attach)
                sqlite3_finalize(attach)
                sqlite3_exec(handle, "SELECT count(*) FROM \(schema).sqlite_master", nil, nil, nil)
            }
        }
        // Load the schema before the authorizer exists: loading reads sqlite_master, which statements may not.
        sqlite3_exec(handle, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        authorizer = Authorizer(readableTables: readableTables)
        sqlite3_set_authorizer(
            handle,
            { context, action, first, second, _, _ in
                guard let context else { return SQLITE_DENY }
                let authorizer = Unmanaged<Authorizer>.fromOpaque(context).takeUnretainedValue()
                return authorizer.decide(
                    action: action, first: first.map { String(cString: $0) }, second: second.map { String(cString: $0) })
            }, Unmanaged.passUnretained(authorizer).toOpaque())
        sqlite3_progress_handler(
            handle, 2000,
            { context in
                guard let context else { return 0 }
                return Unmanaged<Progress>.fromOpaque(context).takeUnretainedValue().shouldInterrupt() ? 1 : 0
            }, Unmanaged.passUnretained(progress).toOpaque())
    }

    deinit {
        sqlite3_progress_handler(handle, 0, nil, nil)
        sqlite3_set_authorizer(handle, nil, nil)
        sqlite3_close_v2(handle)
    }

    /// Runs a compiled query, stopping after `rowLimit` rows (reported as truncated) or at `deadline`.
    func run(
        _ query: CompiledQuery, rowLimit: Int, byteLimit: Int, deadline: ContinuousClock.Instant, cancellation: StatementCancellation
    ) throws(SQLError) -> SQLResult {
        progress.arm(deadline: deadline, cancellation: cancellation)
        defer { progress.disarm() }
        var statement: OpaquePointer?
        let prepareCode = sqlite3_prepare_v3(handle, query.sql, -1, 0, &statement, nil)
        guard prepareCode == SQLITE_OK, let statement else {
            throw error(code: prepareCode, during: "compiling")
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_stmt_readonly(statement) != 0 else {
            throw SQLError(.unsupported, "the compiled statement is not read-only")
        }
        for (offset, value) in query.arguments.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, index)
            case .integer(let number): sqlite3_bind_int64(statement, index, number)
            case .real(let number): sqlite3_bind_double(statement, index, number)
            case .text(let text): sqlite3_bind_text(statement, index, text, -1, SQLiteText.transient)
            }
        }
        let columnCount = Int(sqlite3_column_count(statement))
        guard columnCount == query.columns.count else {
            throw SQLError(.internalError, "the statement returned \(columnCount) columns, want \(query.columns.count)")
        }
        let types = query.columns.map(\.type)
        var rows: [[SQLValue]] = []
        var bytes = 0
        var truncated = false
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code: code, during: "running") }
            if rows.count == rowLimit {
                truncated = true
                break
            }
            var row: [SQLValue] = []
            row.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                let value = try ResultCheck.checked(SQLiteText.value(statement, Int32(column)), as: types[column])
                bytes += value.estimatedBytes
                row.append(value)
            }
            rows.append(row)
            // The statement's memory: what it has read so far is bounded, whatever its row count.
            if bytes > byteLimit {
                truncated = true
                break
            }
        }
        return SQLResult(columns: query.columns, rows: rows, truncated: truncated, byteCount: bytes)
    }

    private func error(code: Int32, during phase: String) -> SQLError {
        switch progress.reason {
        case .deadline: return SQLError(.timeout, "the statement ran past its time limit and was stopped")
        case .canceled: return SQLError(.canceled, "the statement was canceled")
        case nil: break
        }
        let message = String(cString: sqlite3_errmsg(handle))
        if code & 0xFF == SQLITE_AUTH {
            return SQLError(.unsupported, "the statement tried to reach data outside the catalog")
        }
        return EngineErrors.translate(message, code: code)
    }

    /// What the authorizer allows: SELECT, reading catalog tables and the compiler's CTEs, calling functions,
    /// and the json_each table-valued function that `explode` becomes. Everything else is denied.
    private final class Authorizer {
        let readableTables: Set<String>
        static let deniedFunctions: Set<String> = ["load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"]

        /// The compiler names its CTEs `cte1`, `cte2`...; reading one reads only what its own query may read.
        static func isCompilerCTE(_ name: String) -> Bool {
            name.hasPrefix("cte") && name.count > 3 && name.dropFirst(3).allSatisfy(\.isNumber)
        }

        init(readableTables: Set<String>) {
            self.readableTables = readableTables
        }

        func decide(action: Int32, first: String?, second: String?) -> Int32 {
            switch action {
            case SQLITE_SELECT:
                return SQLITE_OK
            case SQLITE_READ:
                guard let table = first else { return SQLITE_DENY }
                if readableTables.contains(table) || table == "json_each" || Self.isCompilerCTE(table) { return SQLITE_OK }
                // Declaring json_each's columns reads the schema table's rowid; no schema text is exposed.
                if table == "sqlite_master", second == "ROWID" { return SQLITE_OK }
                return SQLITE_DENY
            case SQLITE_FUNCTION:
                guard let name = second?.lowercased() else { return SQLITE_DENY }
                return Self.deniedFunctions.contains(name) ? SQLITE_DENY : SQLITE_OK
            case SQLITE_UPDATE where first == "sqlite_master" || first == "sqlite_temp_master":
                // SQLite asks this while declaring a virtual table's columns (json_each) and loading the schema;
                // nothing can be written anyway: the connection is read-only and every statement is checked
                // with sqlite3_stmt_readonly.
                return SQLITE_OK
            default:
                return SQLITE_DENY
            }
        }
    }

    /// Interrupts a running statement at its deadline or when it is canceled.
    private final class Progress: @unchecked Sendable {
        enum Reason { case deadline, canceled }
        private var deadline: ContinuousClock.Instant?
        private var cancellation: StatementCancellation?
        private(set) var reason: Reason?

        func arm(deadline: ContinuousClock.Instant, cancellation: StatementCancellation) {
            self.deadline = deadline
            self.cancellation = cancellation
            reason = nil
        }

        func disarm() {
            deadline = nil
            cancellation = nil
        }

        func shouldInterrupt() -> Bool {
            if cancellation?.isCanceled == true {
                reason = .canceled
                return true
            }
            if let deadline, ContinuousClock.now >= deadline {
                reason = .deadline
                return true
            }
            return false
        }
    }
}

/// Set from another task to stop a running statement at its next progress check.
public final class StatementCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCanceled: Bool { flag.load(ordering: .relaxed) }
}

/// Rows of a finished statement, with the compiler's column names and types.
public struct SQLResult: Sendable {
    public var columns: [OutputColumn]
    public var rows: [[SQLValue]]
    /// The row or byte limit stopped the statement before its last row.
    public var truncated: Bool
    /// The approximate memory the rows hold (what kept results are accounted by).
    public var byteCount: Int

    public init(columns: [OutputColumn], rows: [[SQLValue]], truncated: Bool, byteCount: Int? = nil) {
        self.columns = columns
        self.rows = rows
        self.truncated = truncated
        self.byteCount = byteCount ?? rows.reduce(0) { total, row in row.reduce(total) { $0 + $1.estimatedBytes } }
    }
}

extension SQLValue {
    /// What a value costs in a kept result, roughly: its payload plus the enum's own size.
    var estimatedBytes: Int {
        switch self {
        case .text(let text): 16 + text.utf8.count
        default: 16
        }
    }
}

enum SQLiteText {
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
        case SQLITE_NULL: return .null
        default:
            guard let text = sqlite3_column_text(statement, column) else { return .null }
            return .text(String(cString: text))
        }
    }
}
