import Synchronization
import Testing
@testable import VigilSQL

/// `information_schema` tables are computed: the statement's source supplies their rows, which reach the backend
/// as one bound argument.
@Suite("Computed tables")
struct ComputedTableTests {
    /// Fixed rows for `table_privileges`, counting how often it is asked.
    final class Rows: ComputedTableSource {
        let asked = Mutex(0)

        func rows(of table: CatalogTable) throws(SQLError) -> [[SQLValue]] {
            asked.withLock { $0 += 1 }
            return [
                [.text("admins"), .text("o'brien@x.com"), .text("system"), .text("access"), .text("audit"), .text("SELECT"), .text("NO"), .text("NONE")],
                [.text("admins"), .text("auditors"), .text("system"), .text("access"), .text("audit"), .text("MODIFY"), .text("NO"), .text("NONE")],
            ]
        }
    }

    @Test("rows are one bound argument, asked for once however often the statement reads the table")
    func rowsAreOneArgument() throws {
        let source = Rows()
        let compiled = try SQLCompiler().compile(
            """
            SELECT a.grantee FROM system.information_schema.table_privileges a
            JOIN information_schema.table_privileges b ON a.grantee = b.grantee WHERE a.privilege_type = 'SELECT'
            """, now: 0, computedTables: source)
        #expect(source.asked.withLock { $0 } == 1)
        #expect(!compiled.sql.contains("o'brien"))
        #expect(!compiled.sql.contains("auditors"))
        #expect(compiled.sql.contains("json_each(?)"))
        guard case .text(let json)? = compiled.arguments.first else {
            Issue.record("first argument is not the rows: \(compiled.arguments)")
            return
        }
        #expect(json.hasPrefix(#"[["admins","o'brien@x.com","system","access","audit","SELECT","NO","NONE"],"#))
        #expect(compiled.columns.map(\.name) == ["grantee"])
    }

    @Test("the catalog lists computed tables but never gives them to the connection's authorizer")
    func notStorage() {
        let storage = Catalog.system.storageTables
        #expect(Set(storage) == ["audit_events", "node_timeline", "app_log_lines", "cluster_changes", "job_changes", "job_run_slices", "alert_history", "node_timeline_hourly"])
        #expect(Catalog.system.table(named: ["information_schema", "tables"])?.isComputed == true)
    }
}
