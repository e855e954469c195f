import ArgumentParser
import VigilServer
import VigilStore
import VigilAPI

/// `vigil serve`'s limits for Spark SQL: how long and how much one statement may take, how many run at once,
/// and how long results are kept.
struct ServeSQLOptions: ParsableArguments {
    @Option(name: .customLong("sql-timeout"), help: "Seconds a SQL statement may run before it is stopped.")
    var timeout: Int = 30

    @Option(name: .customLong("sql-row-limit"), help: "Most rows a SQL statement returns; more are cut and reported as truncated.")
    var rowLimit: Int = 100_000

    @Option(name: .customLong("sql-result-bytes"), help: "Most bytes of rows one statement holds (Databricks' INLINE cap is 25 MiB); more are cut and reported as truncated.")
    var resultBytes: Int = 25 << 20

    @Option(name: .customLong("sql-concurrency"), help: "Statements running at once on the SQL executor (default: cores − 1, at least 1).")
    var concurrency: Int = SQLExecutor.Limits().concurrency

    @Option(name: .customLong("sql-queue"), help: "Statements waiting for an executor thread; past it new statements get 429.")
    var queue: Int = SQLExecutor.Limits().queueDepth

    @Option(name: .customLong("sql-per-principal"), help: "Statements one principal may have queued or running; past it 429.")
    var perPrincipal: Int = SQLExecutor.Limits().perPrincipal

    @Option(name: .customLong("sql-result-ttl"), help: "Seconds a finished statement's result is kept for GET; after that it is CLOSED.")
    var resultTTL: Int = 3600

    @Option(name: .customLong("sql-kept-result-bytes"), help: "Bytes all kept results may hold together; the oldest are CLOSED past it.")
    var keptResultBytes: Int = 256 << 20

    func validate() throws {
        guard timeout > 0, rowLimit > 0, resultBytes > 0 else {
            throw ValidationError("--sql-timeout, --sql-row-limit and --sql-result-bytes must be positive")
        }
        guard concurrency > 0, queue >= 0, perPrincipal > 0 else {
            throw ValidationError("--sql-concurrency and --sql-per-principal must be positive and --sql-queue at least 0")
        }
        guard resultTTL >= 0, keptResultBytes >= 0 else {
            throw ValidationError("--sql-result-ttl and --sql-kept-result-bytes must be at least 0")
        }
    }

    func apply(to configuration: inout VigilConfiguration) {
        configuration.sql = SQLStatementRunner.Limits(
            timeout: .seconds(timeout), rowLimit: rowLimit, resultBytes: resultBytes,
            executor: SQLExecutor.Limits(concurrency: concurrency, queueDepth: queue, perPrincipal: perPrincipal))
        configuration.statements = StatementRegistry.Limits(keptResultBytes: keptResultBytes, resultTTLMillis: Int64(resultTTL) * 1000)
    }
}
