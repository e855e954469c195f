import Testing
import VigilSQL
import VigilStore
import VigilTesting

/// Defence in depth under the compiler: even SQL text that did not come from the compiler cannot read internal
/// tables, write, attach or change settings on the SQL connection, and a runaway statement stops at its limit.
@Suite("SQL connection safety")
struct SQLConnectionSafetyTests {
    static let forbidden = [
        "SELECT * FROM tokens", "SELECT * FROM principals", "SELECT * FROM ledger_keys", "SELECT * FROM sqlite_master",
        "DELETE FROM audit_events", "UPDATE audit_events SET action_name = 'x'", "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA query_only = 0", "CREATE TABLE stolen AS SELECT * FROM tokens",
        "SELECT (SELECT token_hash FROM tokens LIMIT 1) FROM audit_events",
    ]

    @Test("raw SQL outside the catalog is refused by the connection itself", arguments: forbidden)
    func refused(_ sql: String) async throws {
        try await withGoldenDatabase { runner, _ in
            let outcome = await run(runner, CompiledQuery(sql: sql, arguments: [], columns: []))
            guard case .failure(let error) = outcome else {
                Issue.record("\(sql) ran")
                return
            }
            #expect(error.code == .unsupported || error.code == .internalError, "\(error)")
        }
    }

    @Test("a statement past its time limit stops with STATEMENT_TIMEOUT")
    func timeout() async throws {
        try await withDatabase { database in
            let sequencer = Sequencer(database: database)
            try await running(sequencer) {
                _ = try await sequencer.submit(try SQLGolden.events().map { PreparedEvent($0, receivedMillis: SQLGolden.now) })
            }
            let runner = SQLStatementRunner(database: database, limits: .init(timeout: .milliseconds(200), rowLimit: 10))
            let sql = "SELECT count(*) FROM system.access.audit a, system.access.audit b, system.access.audit c, system.access.audit d, system.access.audit e"
            do throws(SQLError) {
                _ = try await runner.run(sql, now: SQLGolden.now)
                Issue.record("the statement finished")
            } catch {
                #expect(error.code == .timeout, "\(error)")
            }
        }
    }

    @Test("a catastrophically backtracking regex stops at the time limit instead of running on inside one row")
    func regexTimeout() async throws {
        try await withDatabase { database in
            let runner = SQLStatementRunner(database: database, limits: .init(timeout: .milliseconds(300), rowLimit: 10))
            // (a+)+b against 40 a's and a c backtracks for far longer than any test run.
            for function in ["'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac' RLIKE '(a+)+b'",
                             "regexp_replace('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac', '(a+)+b', 'x')"] {
                do throws(SQLError) {
                    _ = try await runner.run("SELECT \(function)", now: SQLGolden.now)
                    Issue.record("the statement finished")
                } catch {
                    #expect(error.code == .timeout, "\(error)")
                }
            }
        }
    }

    @Test("the row limit cuts the result and says so")
    func rowLimit() async throws {
        try await withGoldenDatabase { runner, _ in
            let result = try await runner.run("SELECT event_id FROM system.access.audit", now: SQLGolden.now, rowLimit: 7)
            #expect(result.rows.count == 7)
            #expect(result.truncated)
            let all = try await runner.run("SELECT event_id FROM system.access.audit", now: SQLGolden.now)
            #expect(all.rows.count == 51)
            #expect(!all.truncated)
        }
    }

    @Test("Spark runtime errors surface as SQL errors, not crashes or silent NULLs")
    func runtimeErrors() async throws {
        try await withGoldenDatabase { runner, _ in
            for sql in [
                "SELECT response.status_code / 0 FROM system.access.audit",
                "SELECT CAST(action_name AS INT) FROM system.access.audit",
                "SELECT action_name RLIKE '(' FROM system.access.audit",
            ] {
                await #expect(throws: SQLError.self, "\(sql)") { _ = try await runner.run(sql, now: SQLGolden.now) }
            }
        }
    }

    private func run(_ runner: SQLStatementRunner, _ query: CompiledQuery) async -> Result<SQLResult, SQLError> {
        await runner.runUncompiled(query)
    }
}
