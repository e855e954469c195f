import Testing
@testable import VigilSQL

/// Anything outside the read-only dialect is refused with a message and the line and column of the offending
/// token, never silently changed.
@Suite("Refusals")
struct RefusalTests {
    struct Refusal: Sendable, CustomStringConvertible {
        var sql: String
        var code: SQLError.Code
        var line: Int
        var column: Int
        var mentions: String
        var description: String { sql }
    }

    static let refusals: [Refusal] = [
        Refusal(sql: "DROP TABLE audit_events", code: .unsupported, line: 1, column: 1, mentions: "DROP"),
        Refusal(sql: "DELETE FROM system.access.audit", code: .unsupported, line: 1, column: 1, mentions: "DELETE"),
        Refusal(sql: "INSERT INTO x VALUES (1)", code: .unsupported, line: 1, column: 1, mentions: "INSERT"),
        Refusal(sql: "UPDATE audit_events SET a = 1", code: .unsupported, line: 1, column: 1, mentions: "UPDATE"),
        Refusal(sql: "CREATE TABLE t (a INT)", code: .unsupported, line: 1, column: 1, mentions: "CREATE"),
        Refusal(sql: "ATTACH DATABASE 'x' AS y", code: .unsupported, line: 1, column: 1, mentions: "ATTACH"),
        Refusal(sql: "PRAGMA table_info(tokens)", code: .unsupported, line: 1, column: 1, mentions: "PRAGMA"),
        Refusal(sql: "SELECT 1;\nDELETE FROM t", code: .unsupported, line: 2, column: 1, mentions: "one statement"),
        Refusal(sql: "SELECT *\nFROM tokens", code: .tableNotFound, line: 2, column: 6, mentions: "tokens"),
        Refusal(sql: "SELECT * FROM sqlite_master", code: .tableNotFound, line: 1, column: 15, mentions: "sqlite_master"),
        Refusal(sql: "SELECT * FROM main.audit_events", code: .tableNotFound, line: 1, column: 15, mentions: "main.audit_events"),
        Refusal(sql: "SELECT no_such_column FROM system.access.audit", code: .columnNotFound, line: 1, column: 8, mentions: "no_such_column"),
        Refusal(sql: "SELECT user_identity.phone FROM system.access.audit", code: .fieldNotFound, line: 1, column: 22, mentions: "phone"),
        Refusal(sql: "SELECT load_extension('x') FROM system.access.audit", code: .functionNotFound, line: 1, column: 8, mentions: "load_extension"),
        Refusal(sql: "SELECT sqlite_version()", code: .functionNotFound, line: 1, column: 8, mentions: "sqlite_version"),
        Refusal(sql: "SELECT action_name, count(*) FROM system.access.audit", code: .invalidGrouping, line: 1, column: 1, mentions: "GROUP BY"),
        Refusal(sql: "SELECT * FROM system.access.audit WHERE count(*) > 1", code: .invalidGrouping, line: 1, column: 41, mentions: "not allowed"),
        Refusal(sql: "SELECT event_time + 'x' FROM system.access.audit", code: .typeMismatch, line: 1, column: 19, mentions: "TIMESTAMP"),
        Refusal(sql: "SELECT from_json(request_params.acl, 'array<strct<a:int>>') FROM system.access.audit", code: .syntax, line: 1, column: 38, mentions: "strct"),
        Refusal(sql: "SELECT a FROM\n  system.access.audit WHERE (", code: .syntax, line: 2, column: 30, mentions: "end of input"),
        Refusal(sql: "SELECT 'unterminated", code: .syntax, line: 1, column: 8, mentions: "unterminated"),
        Refusal(sql: "SELECT * FROM system.access.audit WHERE action_name = ?", code: .unsupported, line: 1, column: 55, mentions: "?"),
        Refusal(sql: "WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r", code: .unsupported, line: 1, column: 6, mentions: "RECURSIVE"),
        Refusal(sql: "SELECT current_date() - INTERVAL 1 MONTH", code: .unsupported, line: 1, column: 36, mentions: "year-month"),
        Refusal(sql: "SELECT explode(array_col) + 1 FROM system.access.audit", code: .unsupported, line: 1, column: 8, mentions: "explode"),
        Refusal(sql: "SELECT CAST('abc' AS INT)", code: .castInvalidInput, line: 1, column: 8, mentions: "abc"),
        Refusal(sql: "SELECT event_id FROM system.access.audit a JOIN system.access.audit b ON a.event_id = b.event_id", code: .ambiguous, line: 1, column: 8, mentions: "ambiguous"),
        // information_schema rows come from the caller's view of Vigil's grants: a compile without one cannot read them.
        Refusal(sql: """
            SELECT DISTINCT(grantee) AS `ACCESSIBLE BY` FROM system.information_schema.table_privileges
            WHERE table_schema = 'access' AND table_name = 'audit'
            """, code: .tableNotFound, line: 1, column: 50, mentions: "not available"),
        // System tables Vigil does not serve are refused by name, at the table.
        Refusal(sql: "SELECT * FROM system.information_schema.columns", code: .tableNotFound, line: 1, column: 15, mentions: "system.information_schema.columns"),
        Refusal(sql: "SELECT warehouse_id\nFROM system.compute.warehouses", code: .tableNotFound, line: 2, column: 6, mentions: "system.compute.warehouses"),
        Refusal(sql: "SELECT nope FROM system.compute.node_timeline", code: .columnNotFound, line: 1, column: 8, mentions: "cpu_user_percent"),
    ]

    @Test("refused with code, message and position", arguments: refusals)
    func refused(_ refusal: Refusal) {
        do {
            let compiled = try SQLCompiler().compile(refusal.sql, now: 0)
            Issue.record("compiled to \(compiled.sql)")
        } catch {
            #expect(error.code == refusal.code, "\(error)")
            #expect(error.position?.line == refusal.line, "\(error)")
            #expect(error.position?.column == refusal.column, "\(error)")
            #expect(error.message.contains(refusal.mentions), "\(error)")
        }
    }

    @Test("hostile nesting is an error, not a stack overflow")
    func deepNesting() {
        for text in [
            "SELECT " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000),
            "SELECT " + String(repeating: "- ", count: 100_000) + "1",
            "SELECT " + String(repeating: "NOT ", count: 100_000) + "TRUE",
            String(repeating: "SELECT * FROM (", count: 10_000) + "SELECT 1" + String(repeating: ")", count: 10_000),
        ] {
            #expect(throws: SQLError.self) { _ = try Parser.parse(text) }
        }
        #expect(throws: Never.self) { _ = try Parser.parse("SELECT " + String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50)) }
    }
}
