import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// App log ingest and reads against a live server: Vigil's NDJSON push, Loki and OTLP as shippers send them, the
/// limits, permissions, retention and SQL.
@Suite("App logs")
struct AppLogsTests {
    static func push(_ server: LiveServer, _ app: String, _ ndjson: String, token: TokenChoice = .admin,
                     headers: [(String, String)] = []) async throws -> HTTPExchange {
        try await server.request(.POST, "/api/2.0/vigil/apps/\(app)/logs", body: Array(ndjson.utf8), contentType: "application/x-ndjson",
                                 token: token, headers: headers)
    }

    static func messages(_ server: LiveServer, _ app: String, query: String = "tail_lines=10000", token: TokenChoice = .admin) async throws -> [String] {
        let reply = try await server.request(.GET, "/api/2.0/vigil/apps/\(app)/logs?\(query)", token: token)
        guard case .array(let lines)? = try reply.json()["lines"] else { throw VigilError(.internal, "no lines: \(reply.text)") }
        return lines.compactMap { if case .string(let text)? = $0["message"] { text } else { nil } }
    }

    static func metric(_ server: LiveServer, _ name: String) async throws -> Double {
        let text = try await server.request(.GET, "/metrics").text
        return text.split(separator: "\n").filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test("a push is stored whole and read back newest last, with search, source and level filters")
    func pushAndRead() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let reply = try await Self.push(server, "shop", """
                {"timestamp":"2026-12-02T10:00:00Z","message":"booting"}
                {"timestamp":"2026-12-02T10:00:01Z","source":"SYSTEM","message":"vigil run: started"}
                {"timestamp":"2026-12-02T10:00:02Z","stream":"stderr","message":"{\\"level\\":\\"error\\",\\"msg\\":\\"Payment failed\\",\\"order\\":42}"}
                """)
            #expect(reply.status == 200)
            #expect(try reply.json() == JSONParser.parse(#"{"accepted":3,"cut":0,"too_old":0,"duplicate":false}"#))
            #expect(try await Self.messages(server, "shop") == ["booting", "vigil run: started", #"{"level":"error","msg":"Payment failed","order":42}"#])
            #expect(try await Self.messages(server, "shop", query: "search=PAYMENT") .count == 1)
            #expect(try await Self.messages(server, "shop", query: "source=SYSTEM") == ["vigil run: started"])
            #expect(try await Self.messages(server, "shop", query: "level=ERROR").count == 1)
            #expect(try await Self.messages(server, "shop", query: "tail_lines=1").count == 1)
            let full = try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs?level=error").json()
            #expect(full["lines"].map(JSONWriter.text(of:))
                    == #"[{"timestamp":"2026-12-02T10:00:02.000Z","source":"APP","stream":"stderr","level":"ERROR","message":"{\"level\":\"error\",\"msg\":\"Payment failed\",\"order\":42}","fields":{"level":"error","msg":"Payment failed","order":"42"}}]"#)
            #expect(try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs?source=KERNEL").status == 400)
            #expect(try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs?tail_lines=0").status == 400)
            #expect(try await Self.metric(server, "vigil_app_log_lines_accepted_total") == 3)
        }
    }

    @Test("a refused push names every line, field and reason, stores nothing, and is counted")
    func refusals() async throws {
        var configuration = VigilConfiguration()
        configuration.limits.maxRequestBytes = 1 << 20
        try await LiveServer.run(configuration: configuration) { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let reply = try await Self.push(server, "shop", """
                {"message":"fine"}
                {"message":"x","stream":"stdlog"}
                {"level":"info"}
                """)
            #expect(reply.status == 400)
            let body = try reply.json()
            #expect(body["error_code"] == .string("INVALID_PARAMETER_VALUE"))
            #expect(body["details"].map(JSONWriter.text(of:))
                    == #"[{"index":1,"field":"stream","reason":"invalid_stream","message":"got 'stdlog', want stdout or stderr"},{"index":2,"field":"message","reason":"missing_message","message":"every line needs a message (a string)"}]"#)
            #expect(try await Self.messages(server, "shop").isEmpty)
            #expect(try await server.request(.GET, "/metrics").text.contains(#"vigil_app_log_lines_rejected_total{reason="invalid_stream"} 1"#))
            // An unknown app is a 404, as for every app route.
            let unknown = try await Self.push(server, "nope", #"{"message":"x"}"#)
            #expect(unknown.status == 404)
            #expect(try unknown.json()["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))
            // A body over the request limit is a 413 (the connection closes).
            let huge = String(repeating: #"{"message":"\#(String(repeating: "x", count: 1000))"}"# + "\n", count: 1_100)
            #expect(try await Self.push(server, "shop", huge).status == 413)
            #expect(try await Self.push(server, "shop", #"{"message":"x"}"#, headers: [("Idempotency-Key", "bad key!")]).status == 400)
        }
    }

    @Test("a line over --app-log-line-bytes is cut and marked, and counted")
    func cutLines() async throws {
        var configuration = VigilConfiguration()
        configuration.logLimits.maxLineBytes = 1024
        try await LiveServer.run(configuration: configuration) { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let reply = try await Self.push(server, "shop", #"{"message":"\#(String(repeating: "a", count: 5000))"}"#)
            #expect(try reply.json()["cut"] == .number("1"))
            let stored = try await Self.messages(server, "shop")
            #expect(stored == [String(repeating: "a", count: 1024) + " …[cut: 3976 more bytes]"])
            #expect(try await Self.metric(server, "vigil_app_log_lines_cut_total") == 1)
        }
    }

    @Test("a push resent with the same Idempotency-Key is stored once")
    func idempotency() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let key = [("Idempotency-Key", "run-42:7")]
            #expect(try await Self.push(server, "shop", "{\"message\":\"a\"}\n{\"message\":\"b\"}", headers: key).json()["duplicate"] == .bool(false))
            let again = try await Self.push(server, "shop", "{\"message\":\"a\"}\n{\"message\":\"b\"}", headers: key).json()
            #expect(again["duplicate"] == .bool(true) && again["accepted"] == .number("0"))
            #expect(try await Self.messages(server, "shop") == ["a", "b"])
            #expect(try await Self.metric(server, "vigil_app_log_lines_duplicate_total") == 2)
        }
    }

    @Test("past its rate an app gets 429 with Retry-After; another app is not held back")
    func rateLimit() async throws {
        var configuration = VigilConfiguration()
        configuration.logLimits.linesPerSecond = 1
        configuration.logLimits.burstLines = 3
        try await LiveServer.run(configuration: configuration) { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            _ = try await AppsAPITests.create(server, #"{"name":"other"}"#)
            // Sixty lines against a burst of three at one a second: the debt takes nearly a minute to clear, so the next
            // push is refused however slowly a loaded machine runs the test.
            let sixty = (0..<60).map { #"{"message":"\#($0)"}"# }.joined(separator: "\n")
            #expect(try await Self.push(server, "shop", sixty).status == 200)
            let limited = try await Self.push(server, "shop", #"{"message":"more"}"#)
            #expect(limited.status == 429)
            #expect(Int(limited.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            #expect(try limited.json()["error_code"] == .string("RESOURCE_EXHAUSTED"))
            #expect(try await Self.push(server, "other", #"{"message":"fine"}"#).status == 200)
            #expect(try await Self.metric(server, "vigil_app_log_pushes_limited_total") == 1)
        }
    }

    @Test("shipping needs CAN_USE on the app or the ingest permission; reading needs CAN_USE")
    func permissions() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let plain = roles.tokens["plain user"]!
            let shipper = roles.tokens["service principal"]!
            #expect(try await Self.push(server, "shop", #"{"message":"x"}"#, token: plain).status == 403)
            #expect(try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs", token: plain).status == 403)
            // The ingest permission (CAN_USE on audit-logs/all) ships to any app, but does not read.
            #expect(try await Self.push(server, "shop", #"{"message":"from the shipper"}"#, token: shipper).status == 200)
            #expect(try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs", token: shipper).status == 403)
            _ = try await server.request(.PATCH, "/api/2.0/permissions/apps/shop", json: #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_USE"}]}"#)
            #expect(try await Self.push(server, "shop", #"{"message":"from plain"}"#, token: plain).status == 200)
            #expect(try await Self.messages(server, "shop", token: plain) == ["from the shipper", "from plain"])
            // Every push is audited, with the app and the line count.
            let audit = try await server.request(.GET, "/api/2.0/audit/events?action_name=ingestAppLogs&order=asc").json()
            guard case .array(let rows)? = audit["events"] else { Issue.record("\(audit)"); return }
            #expect(rows.map { $0["response"]?["status_code"] } == [.number("403"), .number("200"), .number("200")])
            #expect(rows.last?["request_params"]?["app"] == .string("shop") && rows.last?["request_params"]?["lines"] == .string("1"))
        }
    }

    @Test("Loki pushes as Promtail and Alloy send them (gzip too): 204, lines under their app with labels as fields")
    func loki() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            _ = try await AppsAPITests.create(server, #"{"name":"billing"}"#)
            let now = SystemWallClock().nowMillis() * 1_000_000
            let body = """
                {"streams":[{"stream":{"app":"shop","job":"shop","host":"node-1","level":"warn"},
                  "values":[["\(now)","disk 91% full"],["\(now + 1_000_000)","retrying",{"trace_id":"abc","attempt":"2"}]]},
                  {"stream":{"app":"billing","stream":"stderr"},"values":[["\(now)","invoice failed"]]}]}
                """
            var uncompressed = ByteBuffer(bytes: Array(body.utf8))
            let compressed = try uncompressed.compress(with: .gzip())
            let reply = try await server.request(.POST, "/loki/api/v1/push", body: Array(compressed.readableBytesView), headers: [("Content-Encoding", "gzip")])
            #expect(reply.status == 204, "\(reply.text)")
            let shop = try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs").json()
            #expect(shop["lines"].map(JSONWriter.text(of:))?.contains(#""level":"WARN","message":"retrying","fields":{"job":"shop","host":"node-1","trace_id":"abc","attempt":"2"}"#) == true,
                    "\(shop)")
            #expect(try await Self.messages(server, "billing") == ["invoice failed"])
            // An app that does not exist, or that the caller may not ship to, is reported the same way; nothing is stored.
            let plain = roles.tokens["plain user"]!
            for (token, app) in [(TokenChoice.admin, "ghost"), (plain, "shop")] {
                let refused = try await server.request(
                    .POST, "/loki/api/v1/push", body: Array(#"{"streams":[{"stream":{"app":"\#(app)"},"values":[["\#(now)","x"]]}]}"#.utf8), token: token)
                #expect(refused.status == 400 && refused.text.contains("unknown_app"), "\(refused.text)")
            }
            #expect(try await server.request(.POST, "/loki/api/v1/push", body: [0x1F], contentType: "application/x-protobuf").status == 415)
            #expect(try await Self.messages(server, "shop").count == 2)
        }
    }

    @Test("OTLP/HTTP logs in JSON and protobuf as the OpenTelemetry SDKs send them")
    func otlp() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let nanos = SystemWallClock().nowMillis() * 1_000_000
            let json = #"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"scopeLogs":[{"scope":{"name":"checkout"},"logRecords":[{"timeUnixNano":"\#(nanos)","severityNumber":13,"severityText":"WARN","body":{"stringValue":"cart slow"},"attributes":[{"key":"cart.items","value":{"intValue":"3"}}]}]}]}]}"#
            let reply = try await server.request(.POST, "/v1/logs", json: json)
            #expect(reply.status == 200 && reply.text == "{}")
            let lines = try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs").json()
            #expect(lines["lines"].map(JSONWriter.text(of:))?.contains(#""level":"WARN","message":"cart slow","fields":{"cart.items":"3"}"#) == true)
            #expect(try await server.request(.POST, "/v1/logs", body: [0x0A, 0x05], contentType: "application/x-protobuf").status == 400)
            #expect(try await server.request(.POST, "/v1/logs", body: Array("x".utf8), contentType: "text/plain").status == 415)
        }
    }

    @Test("lines older than the retention are left out and counted; retention deletes old lines and a deleted app's")
    func retention() async throws {
        let clock = ManualWallClock(millis: SystemWallClock().nowMillis())
        var configuration = VigilConfiguration()
        configuration.logLimits.retentionMillis = 3_600_000
        configuration.logRetentionInterval = .milliseconds(50)
        try await LiveServer.run(configuration: configuration, clock: clock) { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            _ = try await AppsAPITests.create(server, #"{"name":"gone"}"#)
            let now = clock.nowMillis()
            func at(_ millis: Int64, _ message: String) -> String {
                #"{"timestamp":\#(Double(millis) / 1000),"message":"\#(message)"}"#
            }
            let reply = try await Self.push(server, "shop", [at(now - 7_200_000, "too old"), at(now - 1_800_000, "half an hour"), at(now, "now")].joined(separator: "\n"))
            #expect(try reply.json()["too_old"] == .number("1"))
            _ = try await Self.push(server, "gone", at(now, "bye"))
            #expect(try await Self.messages(server, "shop") == ["half an hour", "now"])
            #expect(try await server.request(.DELETE, "/api/2.0/apps/gone").status == 200)
            clock.advance(byMillis: 2_000_000)  // "half an hour" is now past the hour
            try await Self.eventually { try await Self.metric(server, "vigil_app_log_lines_deleted_total") >= 2 }
            #expect(try await Self.messages(server, "shop") == ["now"])
            let count = try await server.application.logDatabase.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM app_log_lines") }
            #expect(count == 1)
        }
    }

    @Test("an app's own retention overrides the server's: set, read, reset, refused without CAN_MANAGE, applied by the sweep")
    func logSettings() async throws {
        let clock = ManualWallClock(millis: SystemWallClock().nowMillis())
        var configuration = VigilConfiguration()
        configuration.logLimits.retentionMillis = 3_600_000
        configuration.logRetentionInterval = .milliseconds(50)
        try await LiveServer.run(configuration: configuration, clock: clock) { server in
            let roles = try await Roles.setUp(server)
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let settings = "/api/2.0/vigil/apps/shop/log-settings"
            #expect(try await server.request(.GET, settings).json() == JSONParser.parse(#"{"retention":"1h","retention_seconds":3600,"default":true}"#))
            let set = try await server.request(.PATCH, settings, json: #"{"retention":"2d"}"#)
            #expect(try set.json() == JSONParser.parse(#"{"retention":"2d","retention_seconds":172800,"default":false}"#))
            for body in [#"{"retention":"2 days"}"#, #"{"retention":"0d"}"#, #"{"retention":"4000d"}"#, #"{"retention":7}"#, "{}", #"{"retention":"1d","x":1}"#] {
                #expect(try await server.request(.PATCH, settings, json: body).status == 400, "\(body)")
            }
            #expect(try await server.request(.PATCH, settings, json: #"{"retention":"1d"}"#, token: roles.tokens["auditor"]!).status == 403)
            // Two days kept: a line 3 hours old is taken and stays past the server's hour.
            let now = clock.nowMillis()
            let reply = try await Self.push(server, "shop", #"{"timestamp":\#(Double(now - 3 * 3_600_000) / 1000),"message":"three hours ago"}"#)
            #expect(try reply.json()["too_old"] == .number("0"))
            clock.advance(byMillis: 1000)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.messages(server, "shop") == ["three hours ago"])
            // Back to the default: the next sweep deletes it.
            #expect(try await server.request(.PATCH, settings, json: #"{"retention":null}"#).json()["default"] == .bool(true))
            try await Self.eventually { try await Self.messages(server, "shop").isEmpty }
            let audit = try await server.request(.GET, "/api/2.0/audit/events?action_name=updateAppLogSettings&order=asc&page_size=100").json()
            guard case .array(let rows)? = audit["events"] else { Issue.record("\(audit)"); return }
            #expect(rows.compactMap { $0["request_params"]?["retention"] }.first == .string("2d"))
        }
    }

    @Test("system.vigil.app_logs answers SQL; a reader sees only the lines of apps it may use")
    func sql() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            _ = try await AppsAPITests.create(server, #"{"name":"secret"}"#)
            _ = try await Self.push(server, "shop", #"{"message":"{\"level\":\"error\",\"order\":\"42\"}"}"#)
            _ = try await Self.push(server, "secret", #"{"message":"classified"}"#)
            let statement = "SELECT app_name, level, fields['order'] AS order_id, message FROM system.vigil.app_logs ORDER BY app_name"
            let (_, admin) = try await SQLStatementTests.execute(server, statement)
            #expect(admin["result"]?["data_array"].map(JSONWriter.text(of:)) == #"[["secret",null,null,"classified"],["shop","ERROR","42","{\"level\":\"error\",\"order\":\"42\"}"]]"#)
            let auditor = roles.tokens["auditor"]!
            let (_, none) = try await SQLStatementTests.execute(server, statement, token: auditor)
            #expect(none["result"]?["data_array"] == .array([]), "\(none)")
            _ = try await server.request(.PATCH, "/api/2.0/permissions/apps/shop", json: #"{"access_control_list":[{"user_name":"auditor@x.com","permission_level":"CAN_USE"}]}"#)
            for text in [statement, "SELECT app_name, count(*) FROM system.vigil.app_logs WHERE app_name = 'secret' OR 1 = 1 GROUP BY app_name",
                         "SELECT a.app_name FROM system.vigil.app_logs a JOIN system.vigil.app_logs b ON a.message <> b.message OR a.message = b.message"] {
                let (_, some) = try await SQLStatementTests.execute(server, text, token: auditor)
                guard case .array(let rows)? = some["result"]?["data_array"] else { Issue.record("\(some)"); continue }
                #expect(!rows.isEmpty && rows.allSatisfy { !JSONWriter.text(of: $0).contains("secret") }, "\(text): \(rows)")
            }
        }
    }

    /// Polls `condition` until it holds (background work such as retention), failing after `timeout`. The timeout only
    /// bounds a failing test: the full suite runs every test at once on two cores, where a step can wait long for a CPU.
    static func eventually(timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("condition did not hold within \(timeout)")
    }
}
