import Foundation
import Synchronization
import VigilSQL

/// Compiles and runs Spark SQL over the audit store on read-only connections, on the bounded `SQLExecutor`
/// (never on the async executor: a statement is blocking C work). Connections are kept for reuse so their page
/// caches stay warm.
public final class SQLStatementRunner: Sendable {
    public struct Limits: Sendable {
        /// A statement running longer is stopped with `STATEMENT_TIMEOUT` (time spent queued does not count).
        public var timeout: Duration
        /// At most this many rows are returned; the result says it was truncated.
        public var rowLimit: Int
        /// At most this many bytes of rows are read into memory per statement (Databricks caps INLINE results
        /// at 25 MiB); the result says it was truncated.
        public var resultBytes: Int
        /// How many statements run at once, wait, and may belong to one principal.
        public var executor: SQLExecutor.Limits

        public init(
            timeout: Duration = .seconds(30), rowLimit: Int = 100_000, resultBytes: Int = 25 << 20,
            executor: SQLExecutor.Limits = SQLExecutor.Limits()
        ) {
            self.timeout = timeout
            self.rowLimit = rowLimit
            self.resultBytes = resultBytes
            self.executor = executor
        }
    }

    /// One statement to compile and run, with what its caller may see and how much it may return.
    public struct Statement: Sendable {
        public var text: String
        /// `current_date()` and `now()`: milliseconds since the epoch.
        public var now: Int64
        public var parameters: [String: SQLValue]
        public var workspaceScope: [String]?
        /// The app keys whose log lines the caller may read; nil = every app.
        public var appScope: [Int64]?
        public var computedTables: (any ComputedTableSource)?
        public var rowLimit: Int?
        public var byteLimit: Int?

        public init(
            _ text: String, now: Int64, parameters: [String: SQLValue] = [:], workspaceScope: [String]? = nil, appScope: [Int64]? = nil,
            computedTables: (any ComputedTableSource)? = nil, rowLimit: Int? = nil, byteLimit: Int? = nil
        ) {
            self.text = text
            self.now = now
            self.parameters = parameters
            self.workspaceScope = workspaceScope
            self.appScope = appScope
            self.computedTables = computedTables
            self.rowLimit = rowLimit
            self.byteLimit = byteLimit
        }
    }

    public let compiler: SQLCompiler
    public let limits: Limits
    public let database: VigilDatabase
    public let executor: SQLExecutor
    private let path: String
    /// Other database files the statements read (`logs` → logs.sqlite), by schema name.
    private let attachments: [String: String]
    private let idle = Mutex<[ConnectionBox]>([])

    public init(database: VigilDatabase, compiler: SQLCompiler = SQLCompiler(), limits: Limits = Limits(),
                attachments: [String: String] = [:]) {
        self.path = database.path
        self.attachments = attachments
        self.database = database
        self.compiler = compiler
        self.limits = limits
        self.executor = SQLExecutor(limits: limits.executor)
    }

    /// Queues `statement` for `owner` and returns at once; `started` is called when a statement thread takes it,
    /// `completion` with its outcome (compile errors included). Refused when the executor or the owner's share
    /// of it is full.
    public func submit(
        _ statement: Statement, owner: Int64, cancellation: StatementCancellation,
        started: @escaping @Sendable () -> Void = {},
        completion: @escaping @Sendable (Result<SQLResult, SQLError>) -> Void
    ) throws(SQLExecutor.Refusal) {
        try executor.submit(owner: owner) {
            if cancellation.isCanceled {
                completion(.failure(SQLError(.canceled, "the statement was canceled before it started")))
                return
            }
            started()
            completion(self.compileAndRun(statement, cancellation: cancellation))
        }
    }

    /// Compiles and runs `text` and waits for the outcome: compile and runtime errors are `SQLError`s, and so is a
    /// refusal by the executor (`RESOURCE_EXHAUSTED`).
    public func run(
        _ text: String, now: Int64, parameters: [String: SQLValue] = [:], workspaceScope: [String]? = nil, rowLimit: Int? = nil,
        computedTables: (any ComputedTableSource)? = nil, cancellation: StatementCancellation = StatementCancellation()
    ) async throws(SQLError) -> SQLResult {
        let statement = Statement(
            text, now: now, parameters: parameters, workspaceScope: workspaceScope, computedTables: computedTables, rowLimit: rowLimit)
        let result: Result<SQLResult, SQLError> = await withCheckedContinuation { continuation in
            do throws(SQLExecutor.Refusal) {
                try submit(statement, owner: 0, cancellation: cancellation) { continuation.resume(returning: $0) }
            } catch {
                continuation.resume(returning: .failure(SQLError(.resourceExhausted, error.description)))
            }
        }
        return try result.get()
    }

    /// Runs raw SQL that did not come from the compiler (tests of the connection's own defences).
    public func runUncompiled(_ query: CompiledQuery) async -> Result<SQLResult, SQLError> {
        await withCheckedContinuation { continuation in
            do throws(SQLExecutor.Refusal) {
                try executor.submit(owner: 0) {
                    continuation.resume(returning: self.execute(query, rowLimit: self.limits.rowLimit, byteLimit: self.limits.resultBytes,
                                                                cancellation: StatementCancellation()))
                }
            } catch {
                continuation.resume(returning: .failure(SQLError(.resourceExhausted, error.description)))
            }
        }
    }

    /// Runs on a statement thread: the compiler recurses through the statement, which the thread's large stack
    /// allows at the parser's limits.
    private func compileAndRun(_ statement: Statement, cancellation: StatementCancellation) -> Result<SQLResult, SQLError> {
        let compiled: CompiledQuery
        do {
            compiled = try compiler.compile(
                statement.text, now: statement.now, parameters: statement.parameters, workspaceScope: statement.workspaceScope,
                appScope: statement.appScope,
                computedTables: statement.computedTables)
        } catch {
            return .failure(error)
        }
        let rowLimit = min(statement.rowLimit ?? limits.rowLimit, limits.rowLimit)
        let byteLimit = min(statement.byteLimit ?? limits.resultBytes, limits.resultBytes)
        return execute(compiled, rowLimit: rowLimit, byteLimit: byteLimit, cancellation: cancellation)
    }

    private func execute(_ compiled: CompiledQuery, rowLimit: Int, byteLimit: Int, cancellation: StatementCancellation) -> Result<SQLResult, SQLError> {
        let deadline = ContinuousClock.now.advanced(by: limits.timeout)
        let box: ConnectionBox
        if let reused = idle.withLock({ $0.popLast() }) {
            box = reused
        } else {
            do {
                box = ConnectionBox(try SQLiteReadConnection(path: path, readableTables: compiler.catalog.storageTables, attachments: attachments))
            } catch {
                return .failure(error)
            }
        }
        let result = Result { () throws(SQLError) in
            try box.connection.run(compiled, rowLimit: rowLimit, byteLimit: byteLimit, deadline: deadline, cancellation: cancellation)
        }
        idle.withLock { connections in
            if connections.count < max(4, limits.executor.concurrency) { connections.append(box) }
        }
        return result
    }

    /// Connections move between threads but are used by one at a time (taken from and returned to `idle`).
    private final class ConnectionBox: @unchecked Sendable {
        let connection: SQLiteReadConnection
        init(_ connection: SQLiteReadConnection) { self.connection = connection }
    }
}
