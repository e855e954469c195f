import Foundation
import Testing
import VigilCore
import VigilServer
import VigilStore
import VigilTesting

/// Statements run on a bounded executor: past a principal's share or the queue they are refused with 429,
/// heavy statements leave ingest and /health answering, and kept results are bounded by age and bytes.
@Suite("SQL quotas and kept results")
struct SQLQuotaTests {
    static let slow = "SELECT count(*) FROM system.access.audit a, system.access.audit b, system.access.audit c, system.access.audit d, system.access.audit e"
    /// 51⁶ (17.6 billion) rows: minutes, never done before it is cancelled.
    static let slower = slow + ", system.access.audit f"

    static func statementID(_ response: JSONValue) -> String {
        if case .string(let id)? = response["statement_id"] { return id }
        return ""
    }

    static func metric(_ server: LiveServer, _ line: String) async throws -> Bool {
        try await server.request(.GET, "/metrics").text.split(separator: "\n").contains { $0 == line }
    }

    @Test("past a principal's share, and past the queue, a statement is refused with 429 and Retry-After, and counted")
    func refusals() async throws {
        try await SQLStatementTests.withGoldenServer(configure: {
            $0.sql.executor = .init(concurrency: 1, queueDepth: 1, perPrincipal: 2)
            $0.sql.timeout = .seconds(20)
        }) { server in
            let roles = try await Roles.setUp(server)
            let auditor = try #require(roles.tokens["auditor"])
            let (_, first) = try await SQLStatementTests.execute(server, Self.slow, extra: #""wait_timeout":"0s""#)
            let (_, second) = try await SQLStatementTests.execute(server, Self.slow, extra: #""wait_timeout":"0s""#)
            #expect(second["status"]?["state"] == .string("PENDING"), "\(second)")

            let busy = try await server.request(.POST, "/api/2.0/sql/statements", json: #"{"statement":"SELECT 1","warehouse_id":"x"}"#)
            #expect(busy.status == 429)
            #expect(busy.headers.first(name: "Retry-After") == "1")
            #expect(try busy.json()["error_code"] == .string("RESOURCE_EXHAUSTED"))
            #expect(busy.text.contains("2 statements"), "\(busy.text)")

            let full = try await server.request(
                .POST, "/api/2.0/sql/statements", json: #"{"statement":"SELECT 1","warehouse_id":"x"}"#, token: auditor)
            #expect(full.status == 429)
            #expect(full.text.contains("busy"), "\(full.text)")

            for statement in [first, second] {
                _ = try await server.request(.POST, "/api/2.0/sql/statements/\(Self.statementID(statement))/cancel", json: "{}")
            }
            // Cancelling takes effect at the running statement's next progress check.
            for _ in 0..<250 where server.application.sqlLoad != .init(running: 0, queued: 0) { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await Self.metric(server, #"vigil_sql_statements_refused_total{reason="principal_busy"} 1"#))
            #expect(try await Self.metric(server, #"vigil_sql_statements_refused_total{reason="queue_full"} 1"#))
            // A refusal is audited like any request, with its 429.
            let (_, audit) = try await SQLStatementTests.execute(
                server, "SELECT count(*) FROM system.access.audit WHERE action_name = 'commandSubmit' AND response.status_code = 429")
            #expect(SQLStatementTests.strings(audit["result"]?["data_array"]?.firstElement) == ["2"], "\(audit)")
        }
    }

    @Test("a statement that overflows fails with Spark's class, SQLSTATE and BAD_REQUEST, and is still audited with its text")
    func failedStatementAudited() async throws {
        try await SQLStatementTests.withGoldenServer { server in
            let text = "SELECT 9223372036854775807 + 1"
            let (status, response) = try await SQLStatementTests.execute(server, text)
            #expect(status == 200)
            #expect(response["status"]?["state"] == .string("FAILED"))
            #expect(response["status"]?["sql_state"] == .string("22003"))
            #expect(response["status"]?["error"]?["error_code"] == .string("BAD_REQUEST"))
            guard case .string(let message)? = response["status"]?["error"]?["message"] else {
                Issue.record("no message: \(response)")
                return
            }
            #expect(message.hasPrefix("[ARITHMETIC_OVERFLOW]"), "\(message)")
            let (_, audit) = try await SQLStatementTests.execute(
                server, "SELECT response.status_code FROM system.access.audit WHERE action_name = 'commandSubmit' AND request_params.commandText = '\(text)'")
            #expect(SQLStatementTests.strings(audit["result"]?["data_array"]?.firstElement) == ["200"], "\(audit)")
        }
    }

    @Test("eight heavy statements running leave /health and ingest answering", .timeLimit(.minutes(2)))
    func isolation() async throws {
        try await SQLStatementTests.withGoldenServer(configure: {
            $0.sql.executor = .init(concurrency: 1, queueDepth: 16, perPrincipal: 8)
            $0.sql.timeout = .seconds(600)
        }) { server in
            var ids: [String] = []
            for _ in 0..<8 {
                let (status, response) = try await SQLStatementTests.execute(server, Self.slower, extra: #""wait_timeout":"0s""#)
                #expect(status == 200)
                ids.append(Self.statementID(response))
            }
            #expect(server.application.sqlLoad == .init(running: 1, queued: 7))
            for index in 0..<20 {
                #expect(try await server.request(.GET, "/health", token: .none).status == 200)
                let event = #"{"service_name":"accounts","action_name":"login","event_time":"2026-11-20T11:00:00Z","event_id":"iso\#(index)","user_identity":{"email":"a@x.com"}}"#
                #expect(try await server.request(.POST, "/api/2.0/audit/events", json: event).status == 200)
            }
            // Twenty health checks and twenty durable ingests were answered while the six-way cross join still
            // held the SQL thread and the other seven waited: none of them waited for a statement. (No wall-clock
            // bound: a loaded machine is slow, but a request queued behind SQL would only return after all eight.)
            #expect(server.application.sqlLoad == .init(running: 1, queued: 7))
            for id in ids { _ = try await server.request(.POST, "/api/2.0/sql/statements/\(id)/cancel", json: "{}") }
        }
    }

    @Test("a finished result past its time to live answers CLOSED; its chunk is gone")
    func timeToLive() async throws {
        let clock = ManualWallClock(millis: SQLGolden.now)
        try await SQLStatementTests.withGoldenServer(configure: { $0.statements.resultTTLMillis = 60_000 }, clock: clock) { server in
            let (_, done) = try await SQLStatementTests.execute(server, "SELECT event_id FROM system.access.audit")
            let id = Self.statementID(done)
            #expect(try await server.request(.GET, "/api/2.0/sql/statements/\(id)").json()["status"]?["state"] == .string("SUCCEEDED"))
            clock.advance(byMillis: 61_000)
            let closed = try await server.request(.GET, "/api/2.0/sql/statements/\(id)").json()
            #expect(closed["status"]?["state"] == .string("CLOSED"), "\(closed)")
            #expect(closed["result"] == nil)
            let chunk = try await server.request(.GET, "/api/2.0/sql/statements/\(id)/result/chunks/0")
            #expect(chunk.status == 404)
            #expect(chunk.text.contains("CLOSED"))
            #expect(try await Self.metric(server, "vigil_sql_results_closed_total 1"))
        }
    }

    @Test("kept results stay within their byte budget: the oldest is CLOSED first")
    func byteBudget() async throws {
        try await SQLStatementTests.withGoldenServer(configure: { $0.statements.keptResultBytes = 6_000 }) { server in
            // 51 event ids of 32 characters: about 2,500 bytes kept per result.
            var ids: [String] = []
            for _ in 0..<3 {
                let (_, response) = try await SQLStatementTests.execute(server, "SELECT event_id FROM system.access.audit")
                #expect(response["status"]?["state"] == .string("SUCCEEDED"))
                ids.append(Self.statementID(response))
            }
            var states: [JSONValue?] = []
            for id in ids { states.append(try await server.request(.GET, "/api/2.0/sql/statements/\(id)").json()["status"]?["state"]) }
            #expect(states == [.string("CLOSED"), .string("SUCCEEDED"), .string("SUCCEEDED")])
            #expect(server.application.keptResultBytes <= 6_000)
        }
    }

    @Test("byte_limit cuts the rows a statement holds, and says it was truncated")
    func byteLimit() async throws {
        try await SQLStatementTests.withGoldenServer { server in
            let (_, response) = try await SQLStatementTests.execute(server, "SELECT event_id FROM system.access.audit", extra: #""byte_limit":400"#)
            #expect(response["manifest"]?["truncated"] == .bool(true))
            guard case .array(let rows)? = response["result"]?["data_array"] else {
                Issue.record("no rows: \(response)")
                return
            }
            #expect(!rows.isEmpty && rows.count < 10, "\(rows.count) rows")
        }
    }
}

extension JSONValue {
    /// The first element of an array (for single-row results).
    var firstElement: JSONValue? {
        if case .array(let items) = self { return items.first }
        return nil
    }
}
