import Testing
@testable import VigilSQL

@Suite("Compiler")
struct CompilerTests {
    let compiler = SQLCompiler()
    /// 2026-11-20T12:00:00Z
    let now: Int64 = 1_795_176_000_000

    @Test("every literal is a bound argument, never text in the emitted SQL")
    func literalsAreBound() throws {
        let compiled = try compiler.compile(
            "SELECT 'O''Reilly; DROP TABLE x' AS s FROM system.access.audit WHERE action_name = 'changeAppsAcl' AND response.status_code = 403",
            now: now)
        #expect(!compiled.sql.contains("changeAppsAcl"))
        #expect(!compiled.sql.contains("DROP"))
        #expect(!compiled.sql.contains("403"))
        #expect(compiled.arguments.contains(.text("changeAppsAcl")))
        #expect(compiled.arguments.contains(.integer(403)))
    }

    @Test("current_date() - 30 and - INTERVAL 30 DAYS are the same DATE, folded into an event_time range")
    func dateArithmeticFolds() throws {
        let a = try compiler.compile("SELECT event_id FROM system.access.audit WHERE event_date >= current_date() - 30", now: now)
        let b = try compiler.compile("SELECT event_id FROM system.access.audit WHERE event_date >= current_date() - INTERVAL 30 DAYS", now: now)
        #expect(a.sql == b.sql)
        #expect(a.arguments == b.arguments)
        // 2026-10-21T00:00:00Z, the first instant of the day 30 days before 2026-11-20.
        #expect(a.arguments == [.integer(1_792_540_800_000)])
        #expect(a.sql.contains("\"event_time\" >= ?"))
    }

    @Test("output columns carry Spark's names and types")
    func columnNamesAndTypes() throws {
        let compiled = try compiler.compile(
            """
            SELECT user_identity.email, request_params.app, request_params['k'], count(*) AS n, lower(action_name),
              response, event_date, datediff(current_date(), event_date)
            FROM system.access.audit GROUP BY 1, 2, 3, 5, 6, 7, 8
            """, now: now)
        #expect(compiled.columns.map(\.name) == [
            "email", "app", "request_params[k]", "n", "lower(action_name)", "response", "event_date",
            "datediff(current_date(), event_date)",
        ])
        #expect(compiled.columns.map(\.type.description) == [
            "STRING", "STRING", "STRING", "BIGINT", "STRING", "STRUCT<status_code: INT, error_message: STRING, result: STRING>",
            "DATE", "INT",
        ])
    }

    @Test("a statement can only name catalog tables, so internal tables never appear in the SQL")
    func onlyCatalogTables() throws {
        let compiled = try compiler.compile("SELECT * FROM system.access.audit a JOIN system.access.audit b ON a.event_id = b.request_id", now: now)
        #expect(compiled.sql.contains("\"audit_events\""))
        for table in ["tokens", "principals", "ledger", "vigil_meta", "sqlite_"] {
            #expect(!compiled.sql.contains(table))
        }
    }

    @Test("GROUP BY walks an index only when the index covers the query; otherwise it sorts (the + marker)")
    func groupingPlan() throws {
        let covered = try compiler.compile("SELECT action_name, count(*) FROM system.access.audit GROUP BY action_name", now: now)
        #expect(covered.sql.contains("GROUP BY t1.\"action_name\""))
        let uncovered = try compiler.compile(
            "SELECT service_name, avg(response.status_code) FROM system.access.audit GROUP BY service_name", now: now)
        #expect(uncovered.sql.contains("GROUP BY +t1.\"service_name\""))
        // node_timeline's own plan (what runs where its hourly rollup cannot answer, as for a filter on a measure): the
        // per-node usage index covers both, but only grouping by instance_id can walk it.
        let base = SQLCompiler(useRollups: false)
        let byNode = try base.compile(
            "SELECT instance_id, avg(cpu_user_percent) FROM system.compute.node_timeline WHERE start_time >= current_timestamp() - INTERVAL 30 DAYS GROUP BY instance_id",
            now: now)
        #expect(byNode.sql.contains("GROUP BY t1.\"instance_id\""), "\(byNode.sql)")
        let byCluster = try base.compile(
            "SELECT cluster_id, date_trunc('DAY', start_time), max(mem_used_percent) FROM system.compute.node_timeline GROUP BY 1, 2", now: now)
        #expect(byCluster.sql.contains("GROUP BY +t1.\"cluster_id\""), "\(byCluster.sql)")
        // Led by instance_id, the usage index cannot give (instance_id, cluster_id) order: sorted.
        let byNodeAndCluster = try base.compile(
            "SELECT instance_id, cluster_id, max(mem_used_percent) FROM system.compute.node_timeline GROUP BY instance_id, cluster_id", now: now)
        #expect(byNodeAndCluster.sql.contains("GROUP BY +t1.\"instance_id\", +t1.\"cluster_id\""), "\(byNodeAndCluster.sql)")
    }
}
