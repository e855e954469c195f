import Foundation
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// Sigma rules managed by API and from `--rules-dir`, running on the committed stream: a brute force of failed
/// logins fires, is kept in the alert history and is audited as vigil/alertTriggered; bad rules are refused with
/// line and field and change nothing.
@Suite("Detections")
struct DetectionsAPITests {
    static let failedLogin = """
        title: Failed login
        id: failed_login
        logsource: {product: vigil, service: audit}
        detection:
          selection:
            action_name: login
            response.status_code: 401
          condition: selection
        """

    static let bruteForce = """
        title: Brute force from one address
        id: brute-force
        level: high
        notify: [pager]
        correlation:
          type: event_count
          rules: [failed_login]
          group-by: [source_ip_address]
          timespan: 10m
          condition: {gte: 5}
        """

    static func create(_ server: LiveServer, _ yaml: String, status: Int = 201) async throws -> JSONValue {
        let reply = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(yaml.utf8), contentType: "application/yaml")
        #expect(reply.status == status, "\(reply.text)")
        return try reply.json()
    }

    static func failedLogins(_ server: LiveServer, count: Int, ip: String, start: Int = 0) async throws {
        let now = SystemWallClock().nowMillis()
        let events = (start..<start + count).map { index in
            """
            {"service_name":"accounts","action_name":"login","event_time":"\(Timestamp.formatRFC3339(millis: now - 1000 + Int64(index)))",
             "source_ip_address":"\(ip)","user_identity":{"email":"eve@x.com"},"response":{"status_code":401},"event_id":"fail-\(ip)-\(index)"}
            """
        }
        let reply = try await server.request(.POST, "/api/2.0/audit/events", json: "[" + events.joined(separator: ",") + "]")
        #expect(reply.status == 200, "\(reply.text)")
    }

    static func alerts(_ server: LiveServer, _ query: String = "") async throws -> [JSONValue] {
        guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history" + query).json()["alerts"] else { return [] }
        return alerts
    }

    @Test("a correlation fires on committed events: alert history, the notify list, and a vigil/alertTriggered audit event")
    func firesOnIngest() async throws {
        try await LiveServer.run { server in
            let base = try await Self.create(server, Self.failedLogin)
            #expect(base["id"] == .string("failed_login"))
            let correlation = try await Self.create(server, Self.bruteForce)
            #expect(correlation["id"] == .string("brute-force"))
            #expect(correlation["rules"]?[0]?["type"] == .string("event_count"))
            // Four failures from one address and six spread over others: nothing yet.
            try await Self.failedLogins(server, count: 4, ip: "198.51.100.7")
            for index in 0..<6 { try await Self.failedLogins(server, count: 1, ip: "192.0.2.\(index)") }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.alerts(server).isEmpty)
            // The fifth from the same address fires.
            try await Self.failedLogins(server, count: 1, ip: "198.51.100.7", start: 4)
            try await AppLogsTests.eventually { try await !Self.alerts(server).isEmpty }
            let alerts = try await Self.alerts(server)
            #expect(alerts.count == 1)
            #expect(alerts.first?["rule_id"] == .string("brute-force"))
            #expect(alerts.first?["level"] == .string("high"))
            #expect(alerts.first?["count"] == .number("5"))
            #expect(alerts.first?["group"]?["source_ip_address"] == .string("198.51.100.7"))
            #expect(alerts.first?["notify"] == .array([.string("pager")]))
            guard case .array(let ids)? = alerts.first?["event_ids"] else { Issue.record("no event ids"); return }
            #expect(ids.map { JSONWriter.text(of: $0) }.sorted() == (0..<5).map { "\"fail-198.51.100.7-\($0)\"" })
            // The firing is itself on the audit log.
            try await AppLogsTests.eventually {
                guard case .array(let rows)? = try await server.request(.GET, "/api/2.0/audit/events?action_name=alertTriggered").json()["events"] else { return false }
                return rows.count == 1 && rows.first?["request_params"]?["rule_id"] == .string("brute-force")
            }
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains("vigil_detection_alerts_total 1\n"))
            #expect(metrics.contains("vigil_detection_rules 2\n"))
            // History filters by rule and pages.
            #expect(try await Self.alerts(server, "?rule_id=failed_login").isEmpty)
        }
    }

    @Test("a producer's event named vigil/alertTriggered is evaluated like any other; Vigil's own firing record is not (no loop)")
    func forgedAlertEvents() async throws {
        try await LiveServer.run { server in
            _ = try await Self.create(server, """
                title: Alert records
                id: alert-records
                level: low
                logsource: {product: vigil, service: audit}
                detection:
                  selection:
                    service_name: vigil
                    action_name: alertTriggered
                  condition: selection
                """)
            let forged = """
                [{"service_name":"vigil","action_name":"alertTriggered","event_time":"\(Timestamp.formatRFC3339(millis: SystemWallClock().nowMillis()))",
                  "event_id":"forged-1","request_params":{"rule_id":"cover-story"}}]
                """
            #expect(try await server.request(.POST, "/api/2.0/audit/events", json: forged).status == 200)
            try await AppLogsTests.eventually { try await Self.alerts(server).count == 1 }
            #expect(try await Self.alerts(server).first?["event_ids"] == .array([.string("forged-1")]))
            // Its own alertTriggered record is on the log, and fires nothing more.
            try await AppLogsTests.eventually {
                guard case .array(let rows)? = try await server.request(.GET, "/api/2.0/audit/events?action_name=alertTriggered").json()["events"] else { return false }
                return rows.count == 2
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.alerts(server).count == 1)
        }
    }

    @Test("create, get, update and delete, each refusal with its reason and nothing stored")
    func lifecycle() async throws {
        try await LiveServer.run { server in
            // Problems: the line and the field, all at once.
            let bad = try await server.request(.POST, "/api/2.0/vigil/detections",
                                               body: Array("title: T\nlogsource: {product: vigil}\ndetection:\n  s:\n    nope: 1\n  condition: s and t\n".utf8),
                                               contentType: "application/yaml")
            #expect(bad.status == 400)
            #expect(bad.text.contains("line 5: detection.s.nope"), "\(bad.text)")
            #expect(bad.text.contains("detection.condition"), "\(bad.text)")
            let json = try await server.request(.POST, "/api/2.0/vigil/detections", json: #"{"title":"x"}"#)
            #expect(json.status == 400)
            #expect(json.text.contains("Content-Type must be application/yaml"))
            // A correlation naming a rule that is not loaded.
            let orphan = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.bruteForce.utf8), contentType: "application/yaml")
            #expect(orphan.status == 400)
            #expect(orphan.text.contains("no loaded rule has the id or name 'failed_login'"), "\(orphan.text)")
            _ = try await Self.create(server, Self.failedLogin)
            _ = try await Self.create(server, Self.bruteForce)
            let again = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.bruteForce.utf8), contentType: "application/yaml")
            #expect(again.status == 409)
            let got = try await server.request(.GET, "/api/2.0/vigil/detections/brute-force").json()
            #expect(got["yaml"] == .string(Self.bruteForce))
            #expect(got["title"] == .string("Brute force from one address"))
            #expect(try await server.request(.GET, "/api/2.0/vigil/detections/ghost").status == 404)
            // Update: a new level runs at once; a rule cannot be renamed by its body.
            let raised = Self.bruteForce.replacingOccurrences(of: "level: high", with: "level: critical")
            let updated = try await server.request(.PUT, "/api/2.0/vigil/detections/brute-force", body: Array(raised.utf8), contentType: "application/yaml")
            #expect(updated.status == 200, "\(updated.text)")
            let list = try await server.request(.GET, "/api/2.0/vigil/detections").json()
            guard case .array(let rules)? = list["detections"] else { Issue.record("\(list)"); return }
            #expect(rules.first { $0["id"] == .string("brute-force") }?["level"] == .string("critical"))
            let renamed = raised.replacingOccurrences(of: "id: brute-force", with: "id: other")
            #expect(try await server.request(.PUT, "/api/2.0/vigil/detections/brute-force", body: Array(renamed.utf8), contentType: "application/yaml").status == 400)
            // The base rule cannot go while the correlation counts it.
            let early = try await server.request(.DELETE, "/api/2.0/vigil/detections/failed_login")
            #expect(early.status == 400)
            #expect(early.text.contains("failed_login"))
            #expect(try await server.request(.DELETE, "/api/2.0/vigil/detections/brute-force").status == 200)
            #expect(try await server.request(.DELETE, "/api/2.0/vigil/detections/failed_login").status == 200)
            #expect(try await server.request(.DELETE, "/api/2.0/vigil/detections/failed_login").status == 404)
            // Each change is audited with the rule's id.
            guard case .array(let rows)? = try await server.request(.GET, "/api/2.0/audit/events?service_name=vigil&page_size=500").json()["events"] else { return }
            let actions = rows.compactMap { row -> String? in
                guard case .string(let action)? = row["action_name"], action.hasSuffix("Detection") else { return nil }
                return action
            }
            #expect(actions.filter { $0 == "createDetection" }.count == 6)
            #expect(actions.filter { $0 == "deleteDetection" }.count == 4)
        }
    }

    @Test("rule changes made at once are applied one at a time: each stored rule runs, none is lost")
    func concurrentChanges() async throws {
        try await LiveServer.run { server in
            // Eight at once: as many as the test client's connection pool holds, so none waits for a connection.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let yaml = "title: Rule \(index)\nid: rule-\(index)\nlogsource: {product: vigil}\ndetection: {s: {action_name: a\(index)}, condition: s}\n"
                        return try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(yaml.utf8), contentType: "application/yaml").status
                    }
                }
                for try await status in group { #expect(status == 201) }
            }
            guard case .array(let rules)? = try await server.request(.GET, "/api/2.0/vigil/detections").json()["detections"] else { Issue.record("no list"); return }
            #expect(rules.count == 8)
        }
    }

    @Test("a backtest replays stored history through the rule and answers what would have fired")
    func backtest() async throws {
        try await LiveServer.run { server in
            try await Self.failedLogins(server, count: 12, ip: "203.0.113.9")
            _ = try await Self.create(server, Self.failedLogin)
            _ = try await Self.create(server, Self.bruteForce)
            // Created after the events: nothing fired live.
            #expect(try await Self.alerts(server).isEmpty)
            let now = SystemWallClock().nowMillis()
            let range = #"{"start_time":"\#(Timestamp.formatRFC3339(millis: now - 3_600_000))","end_time":"\#(Timestamp.formatRFC3339(millis: now + 1000))"}"#
            let result = try await server.request(.POST, "/api/2.0/vigil/detections/brute-force/backtest", json: range).json()
            guard case .array(let hits)? = result["hits"] else { Issue.record("\(result)"); return }
            #expect(hits.count == 2)
            #expect(hits.first?["group"]?["source_ip_address"] == .string("203.0.113.9"))
            #expect(result["truncated"] == .bool(false))
            let backwards = try await server.request(.POST, "/api/2.0/vigil/detections/brute-force/backtest",
                                                     json: #"{"start_time":"2026-01-02T00:00:00Z","end_time":"2026-01-01T00:00:00Z"}"#)
            #expect(backwards.status == 400)
            #expect(try await server.request(.POST, "/api/2.0/vigil/detections/brute-force/backtest", json: #"{"start_time":"2026-01-01T00:00:00Z"}"#).status == 400)
            #expect(try await server.request(.POST, "/api/2.0/vigil/detections/ghost/backtest", json: range).status == 404)
        }
    }

    @Test("--rules-dir: rules load at start, a changed file reloads, a bad file is refused and its rules keep running")
    func rulesDirectory() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = folder.file("brute.yml")
        try (Self.failedLogin + "\n---\n" + Self.bruteForce).write(toFile: file, atomically: true, encoding: .utf8)
        var configuration = VigilConfiguration()
        configuration.detections.rulesDirectory = folder.path
        configuration.detections.pollInterval = .milliseconds(100)
        try await LiveServer.run(configuration: configuration) { server in
            @Sendable func listed() async throws -> JSONValue { try await server.request(.GET, "/api/2.0/vigil/detections").json() }
            #expect(try await listed()["detections"]?[1]?["origin"] == .string("brute.yml"))
            // A broken edit: refused with file, line and field; the old rules still fire.
            try "title: Broken\nlogsource: {product: vigil}\ndetection:\n  s:\n    action_name|frob: x\n  condition: s\n".write(toFile: file, atomically: true, encoding: .utf8)
            try await AppLogsTests.eventually { try await listed()["refused_files"]?[0]?["path"] == .string("brute.yml") }
            let problems = try await listed()["refused_files"]?[0]?["problems"]?[0]
            #expect(problems == .string("brute.yml: line 5: detection.s.action_name|frob: 'frob' is not a Sigma modifier; supported: contains, startswith, endswith, all, exists, re (with i, m, s), cidr, cased, lt, lte, gt, gte, and Vigil's vigil_hours"))
            try await Self.failedLogins(server, count: 5, ip: "198.51.100.1")
            try await AppLogsTests.eventually { try await Self.alerts(server).count == 1 }
            // Fixed: the file's new rule replaces the old ones.
            try "title: Any login\nid: any-login\nlogsource: {product: vigil}\ndetection:\n  s: {action_name: login}\n  condition: s\n".write(toFile: file, atomically: true, encoding: .utf8)
            try await AppLogsTests.eventually { try await listed()["detections"]?[0]?["id"] == .string("any-login") }
            #expect(try await listed()["refused_files"] == .array([]))
        }
        // A bad file at start: the server does not start, and says why.
        try "title: T\nlevel: loud\nlogsource: {product: vigil}\ndetection: {s: {action_name: x}, condition: s}\n".write(toFile: file, atomically: true, encoding: .utf8)
        await #expect(throws: VigilError.self) {
            try await LiveServer.run(configuration: configuration) { _ in }
        }
    }
}
