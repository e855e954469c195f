import Foundation
import Synchronization
import VigilSQL

/// Compiles and runs Spark SQL over the audit store on read-only connections, off the async executor (a
/// statement is blocking C work). Connections are kept for reuse so their page caches stay warm.
public final class SQLStatementRunner: Sendable {
    public struct Limits: Sendable {
        /// A statement running longer is stopped with `STATEMENT_TIMEOUT`.
        public var timeout: Duration
        /// At most this many rows are returned; the result says it was truncated.
        public var rowLimit: Int

        public init(timeout: Duration = .seconds(30), rowLimit: Int = 100_000) {
            self.timeout = timeout
            self.rowLimit = rowLimit
        }
    }

    public let compiler: SQLCompiler
    public let limits: Limits
    public let database: VigilDatabase
    private let path: String
    private let idle = Mutex<[ConnectionBox]>([])
    private let queue = DispatchQueue(label: "vigil.sql", attributes: .concurrent)

    public init(database: VigilDatabase, compiler: SQLCompiler = SQLCompiler(), limits: Limits = Limits()) {
        self.path = database.path
        self.database = database
        self.compiler = compiler
        self.limits = limits
    }

    /// Compiles `text` at `now` (milliseconds since the epoch) and runs it. Compile errors and runtime errors
    /// are `SQLError`s. `computedTables` supplies `information_schema` rows (see `InformationSchema`).
    public func run(
        _ text: String, now: Int64, parameters: [String: SQLValue] = [:], rowLimit: Int? = nil,
        computedTables: (any ComputedTableSource)? = nil, cancellation: StatementCancellation = StatementCancellation()
    ) async throws(SQLError) -> SQLResult {
        let compiled = try compiler.compile(text, now: now, parameters: parameters, computedTables: computedTables)
        let result: Result<SQLResult, SQLError> = await withCheckedContinuation { continuation in
            start(compiled, rowLimit: rowLimit, cancellation: cancellation) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Runs an already compiled statement on a background thread and calls `completion` with its outcome; the
    /// statement stops at the time limit or when `cancellation` is set.
    public func start(
        _ compiled: CompiledQuery, rowLimit: Int?, cancellation: StatementCancellation,
        completion: @escaping @Sendable (Result<SQLResult, SQLError>) -> Void
    ) {
        let limit = min(rowLimit ?? limits.rowLimit, limits.rowLimit)
        let deadline = ContinuousClock.now.advanced(by: limits.timeout)
        queue.async {
            completion(self.runBlocking(compiled, rowLimit: limit, deadline: deadline, cancellation: cancellation))
        }
    }

    private func runBlocking(
        _ compiled: CompiledQuery, rowLimit: Int, deadline: ContinuousClock.Instant, cancellation: StatementCancellation
    ) -> Result<SQLResult, SQLError> {
        let box: ConnectionBox
        if let reused = idle.withLock({ $0.popLast() }) {
            box = reused
        } else {
            do {
                box = ConnectionBox(try SQLiteReadConnection(path: path, readableTables: compiler.catalog.storageTables))
            } catch {
                return .failure(error)
            }
        }
        let result = Result { () throws(SQLError) in
            try box.connection.run(compiled, rowLimit: rowLimit, deadline: deadline, cancellation: cancellation)
        }
        idle.withLock { connections in
            if connections.count < 4 { connections.append(box) }
        }
        return result
    }

    /// Connections move between threads but are used by one at a time (taken from and returned to `idle`).
    private final class ConnectionBox: @unchecked Sendable {
        let connection: SQLiteReadConnection
        init(_ connection: SQLiteReadConnection) { self.connection = connection }
    }
}
