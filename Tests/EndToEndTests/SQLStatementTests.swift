import Foundation
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// The Statement Execution API and `vigil sql` against a live server holding the golden data set, with the
/// server clock at the golden cases' `current_date()`.
@Suite("Spark SQL over HTTP and the CLI")
struct SQLStatementTests {
    static func withGoldenServer<T: Sendable>(
        configure: @Sendable (inout VigilConfiguration) -> Void = { _ in }, clock: any WallClock = FixedWallClock(millis: SQLGolden.now),
        _ body: @Sendable (LiveServer) async throws -> T
    ) async throws -> T {
        var configuration = VigilConfiguration()
        // The data set has events later on "today" than the pinned clock.
        configuration.limits.maxFutureSkewMillis = 2 * 86_400_000
        configure(&configuration)
        return try await LiveServer.run(configuration: configuration, clock: clock) { server in
            let events = try Data(contentsOf: SQLGolden.folder.appendingPathComponent("events.ndjson"))
            let ingest = try await server.request(.POST, "/api/2.0/audit/events", body: Array(events), contentType: "application/x-ndjson")
            #expect(ingest.status == 200, "\(ingest.text)")
            return try await body(server)
        }
    }

    static func execute(
        _ server: LiveServer, _ statement: String, extra: String = "", token: TokenChoice = .admin
    ) async throws -> (Int, JSONValue) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("statement"); writer.string(statement); writer.comma()
        writer.key("warehouse_id"); writer.string("any")
        writer.endObject()
        var body = writer.string
        if !extra.isEmpty { body = String(body.dropLast()) + "," + extra + "}" }
        let response = try await server.request(.POST, "/api/2.0/sql/statements", json: body, token: token)
        return (response.status, try response.json())
    }

    static func strings(_ value: JSONValue?) -> [String?] {
        guard case .array(let items)? = value else { return [] }
        return items.map { if case .string(let text) = $0 { text } else { nil } }
    }

    @Test("both seed queries return Spark's rows, names and types in the Statement Execution API shape")
    func seedQueries() async throws {
        try await Self.withGoldenServer { server in
            for name in ["seed-a-app-permission-changes", "seed-b-app-user-api-scopes"] {
                let golden = try SQLGolden.load(name)
                let (status, response) = try await Self.execute(server, golden.sql)
                #expect(status == 200)
                #expect(response["status"]?["state"] == .string("SUCCEEDED"), "\(response)")
                guard case .array(let columns)? = response["manifest"]?["schema"]?["columns"],
                    case .array(let data)? = response["result"]?["data_array"]
                else {
                    Issue.record("no manifest or data: \(response)")
                    continue
                }
                #expect(columns.map { $0["name"] } == golden.columns.map { .string($0) })
                #expect(columns.first?["type_name"] == .string("DATE"))
                #expect(columns.first?["position"] == .number("0"))
                let rows = data.map { Self.strings($0) }
                #expect(golden.ordered ? rows == golden.rows : Set(rows.map { "\($0)" }) == Set(golden.rows.map { "\($0)" }))
                #expect(response["manifest"]?["total_row_count"] == .number(String(golden.rows.count)))
            }
        }
    }

    @Test("a failing statement is HTTP 200 with state FAILED and the position; a bad request is a 400 naming the field")
    func failures() async throws {
        try await Self.withGoldenServer { server in
            let (status, response) = try await Self.execute(server, "SELECT nope\nFROM system.access.audit")
            #expect(status == 200)
            #expect(response["status"]?["state"] == .string("FAILED"))
            guard case .string(let message)? = response["status"]?["error"]?["message"] else {
                Issue.record("no error message: \(response)")
                return
            }
            #expect(message.contains("UNRESOLVED_COLUMN"))
            #expect(message.contains("nope"))
            #expect(message.contains("line 1, pos 7"))

            let (badStatus, bad) = try await Self.execute(server, "SELECT 1", extra: #""wait_timeout":"3s""#)
            #expect(badStatus == 400)
            #expect(bad["error_code"] == .string("INVALID_PARAMETER_VALUE"))
            guard case .string(let badMessage)? = bad["message"] else { return }
            #expect(badMessage.contains("wait_timeout"))

            let missing = try await server.request(.POST, "/api/2.0/sql/statements", json: #"{"warehouse_id":"x"}"#)
            #expect(missing.status == 400)
            #expect(missing.text.contains("statement"))
            #expect(try await server.request(.GET, "/api/2.0/sql/statements/nope").status == 404)
            #expect(try await server.request(.POST, "/api/2.0/sql/statements", json: #"{"statement":"SELECT 1"}"#, token: .none).status == 401)
        }
    }

    @Test("every statement is audited as databrickssql commandSubmit with its text, and can be fetched again by id")
    func audited() async throws {
        try await Self.withGoldenServer { server in
            let text = "SELECT count(*) AS n FROM system.access.audit WHERE service_name = 'apps'"
            let (_, first) = try await Self.execute(server, text)
            guard case .string(let id)? = first["statement_id"] else {
                Issue.record("no statement_id")
                return
            }
            let again = try await server.request(.GET, "/api/2.0/sql/statements/\(id)")
            #expect(try again.json()["result"]?["data_array"] == .array([.array([.string("14")])]))
            let chunk = try await server.request(.GET, "/api/2.0/sql/statements/\(id)/result/chunks/0")
            #expect(try chunk.json()["data_array"] == .array([.array([.string("14")])]))

            let (_, audit) = try await Self.execute(
                server,
                """
                SELECT request_params.commandText, request_params.commandId, response.status_code
                FROM system.access.audit WHERE service_name = 'databrickssql' AND action_name = 'commandSubmit'
                """)
            guard case .array(let rows)? = audit["result"]?["data_array"] else {
                Issue.record("no rows: \(audit)")
                return
            }
            #expect(rows.contains(.array([.string(text), .string(id), .string("200")])), "\(rows)")
        }
    }

    @Test("row_limit truncates; on_wait_timeout CANCEL with a slow statement ends CANCELED; the server timeout ends it FAILED")
    func limits() async throws {
        try await Self.withGoldenServer(configure: { $0.sql.timeout = .seconds(6) }) { server in
            let (_, limited) = try await Self.execute(server, "SELECT event_id FROM system.access.audit", extra: #""row_limit":5"#)
            #expect(limited["manifest"]?["truncated"] == .bool(true))
            #expect(limited["manifest"]?["total_row_count"] == .number("5"))

            let slow = "SELECT count(*) FROM system.access.audit a, system.access.audit b, system.access.audit c, system.access.audit d, system.access.audit e"
            let (_, canceled) = try await Self.execute(server, slow, extra: #""wait_timeout":"0s","on_wait_timeout":"CANCEL""#)
            #expect(canceled["status"]?["state"] == .string("CANCELED"), "\(canceled)")

            let (_, pending) = try await Self.execute(server, slow, extra: #""wait_timeout":"0s""#)
            // Queued for a statement thread (PENDING) or already taken by one (RUNNING): either way not finished.
            #expect([.string("PENDING"), .string("RUNNING")].contains(pending["status"]?["state"]), "\(pending)")
            guard case .string(let id)? = pending["statement_id"] else { return }
            #expect(try await server.request(.POST, "/api/2.0/sql/statements/\(id)/cancel", json: "{}").status == 200)
            var state = JSONValue.null
            for _ in 0..<100 {
                state = try await server.request(.GET, "/api/2.0/sql/statements/\(id)").json()["status"]?["state"] ?? .null
                if state != .string("RUNNING"), state != .string("PENDING") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(state == .string("CANCELED"))
        }
    }

    @Test("vigil sql prints a table, CSV with formula cells defused, JSON, and a caret under an error")
    func cli() async throws {
        try await Self.withGoldenServer { server in
            let environment = CLITests.environment(server)
            let query = "SELECT action_name, count(*) AS n FROM system.access.audit WHERE service_name = 'apps' GROUP BY action_name ORDER BY n DESC, action_name"
            let table = try await CommandRunner.run(["sql", query], environment: environment)
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.hasPrefix("action_name"))
            #expect(table.stdout.contains("changeAppsAcl  7"))

            let csv = try await CommandRunner.run(
                ["sql", "--output", "csv"], environment: environment,
                stdin: Data("SELECT '=HYPERLINK(\"x\")' AS f, 'a,b' AS g, NULL AS h".utf8))
            #expect(csv.status == 0, "\(csv.stderr)")
            #expect(csv.stdout == "f,g,h\r\n\"'=HYPERLINK(\"\"x\"\")\",\"a,b\",\r\n")

            let json = try await CommandRunner.run(["sql", "--output", "json", "SELECT 1 AS one, NULL AS nothing"], environment: environment)
            #expect(try JSONParser.parse(json.stdout) == .array([.object([JSONMember("one", .string("1")), JSONMember("nothing", .null)])]))

            let error = try await CommandRunner.run(["sql", "SELECT action_name\nFROM system.access.audit\nWHERE nope = 1"], environment: environment)
            #expect(error.status == 1)
            #expect(error.stderr.contains("UNRESOLVED_COLUMN"))
            #expect(error.stderr.contains("  WHERE nope = 1\n        ^"), "\(error.stderr)")
        }
    }
}
