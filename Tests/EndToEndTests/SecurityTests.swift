import Foundation
import GRDB
import Testing
import VigilCore
import VigilServer
import VigilStore
import VigilTesting

@Suite("Authentication and self-audit")
struct SecurityTests {
    @Test("every endpoint but /health and the host metadata answers 401 without a valid token")
    func everythingNeedsAToken() async throws {
        try await LiveServer.run { server in
            #expect(try await server.request(.GET, "/health", token: .none).status == 200)
            #expect(try await server.request(.GET, "/.well-known/databricks-config", token: .none).status == 200)
            let guarded: [(HTTPMethodName, String)] = [
                (.GET, "/api/2.0/audit/events"), (.POST, "/api/2.0/audit/events"), (.GET, "/api/2.0/audit/events/x"),
                (.POST, "/api/2.0/token/create"), (.GET, "/api/2.0/token/list"), (.POST, "/api/2.0/token/delete"),
                (.GET, "/metrics"), (.GET, "/no/such/path"),
            ]
            for (method, path) in guarded {
                for token in [TokenChoice.none, .value("dapi00000000000000000000000000000000"), .value("")] {
                    let reply = try await server.request(method.nio, path, token: token)
                    #expect(reply.status == 401, "\(method) \(path)")
                    #expect(try reply.json()["error_code"] == .string("UNAUTHENTICATED"))
                }
            }
        }
    }

    @Test("failed authentication is audited as accounts/tokenLogin with 401, source IP and user agent")
    func failedLoginsAreAudited() async throws {
        try await LiveServer.run { server in
            _ = try await server.request(.GET, "/api/2.0/audit/events", token: .value("dapiwrong"), headers: [("User-Agent", "probe/1.0")])
            let reply = try await server.request(.GET, "/api/2.0/audit/events?action_name=tokenLogin&status_code=401")
            guard case .array(let events)? = try reply.json()["events"] else { Issue.record("no events"); return }
            #expect(events.count == 1)
            #expect(events.first?["service_name"] == .string("accounts"))
            #expect(events.first?["source_ip_address"] == .string("127.0.0.1"))
            #expect(events.first?["user_agent"] == .string("probe/1.0"))
        }
    }

    @Test("reads of audit data are themselves audited with the caller and filters")
    func readsAreAudited() async throws {
        try await LiveServer.run { server in
            _ = try await server.request(.GET, "/api/2.0/audit/events?user=someone@example.com")
            // A NUL smuggled into a query value must not corrupt the audit record (or the ledger).
            _ = try await server.request(.GET, "/api/2.0/audit/events?user=a%00b")
            let reply = try await server.request(.GET, "/api/2.0/audit/events?action_name=listAuditEvents&order=asc")
            guard case .array(let events)? = try reply.json()["events"], let first = events.first else { Issue.record("no events"); return }
            #expect(first["user_identity"]?["email"] == .string("admin"))
            #expect(first["request_params"]?["user"] == .string("someone@example.com"))
            #expect(first["response"]?["status_code"] == .number("200"))
            #expect(events.contains { $0["request_params"]?["user"] == .string("a\u{FFFD}b") })
            let verify = try await LedgerVerifier(database: server.application.database, keys: []).verify()
            #expect(verify.invalidLeafCount == 0, "\(verify.problems)")
        }
    }

    @Test("a request whose audit record cannot be written fails with 503 (fail-closed)")
    func failClosed() async throws {
        try await LiveServer.run { server in
            // Make the store refuse the self-audit record of listing events, as a full disk would.
            let database = try DatabaseQueue(path: server.application.database.path)
            try await database.write { db in
                try db.execute(sql: """
                    CREATE TRIGGER refuse_list BEFORE INSERT ON audit_events WHEN NEW.action_name = 'listAuditEvents'
                    BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;
                    """)
            }
            let reply = try await server.request(.GET, "/api/2.0/audit/events")
            #expect(reply.status == 503)
            #expect(try reply.json()["error_code"] == .string("TEMPORARILY_UNAVAILABLE"))
            #expect(!reply.text.contains("\"events\""))
        }
    }

    @Test("a token never appears in logs, audit events or responses other than its creation")
    func tokensStaySecret() async throws {
        let logs = CapturedLogs()
        try await LiveServer.run(logger: logs.logger()) { server in
            let created = try await server.request(.POST, "/api/2.0/token/create", json: #"{"comment":"ci","lifetime_seconds":3600}"#)
            #expect(created.status == 200)
            guard case .string(let token)? = try created.json()["token_value"],
                  case .string(let tokenID)? = try created.json()["token_info"]?["token_id"] else {
                Issue.record("no token in \(created.text)"); return
            }
            let listed = try await server.request(.GET, "/api/2.0/token/list", token: .value(token))
            #expect(listed.status == 200 && listed.text.contains(tokenID) && !listed.text.contains(token))
            _ = try await server.request(.GET, "/api/2.0/audit/events", token: .value(token + "x"))
            let audit = try await server.request(.GET, "/api/2.0/audit/events?page_size=1000")
            let metrics = try await server.request(.GET, "/metrics")
            for text in [audit.text, metrics.text] + logs.all {
                #expect(!text.contains(token))
                #expect(!text.contains(server.adminToken))
            }
            #expect(audit.text.contains("generateDbToken"))
            let revoked = try await server.request(.POST, "/api/2.0/token/delete", json: #"{"token_id":"\#(tokenID)"}"#)
            #expect(revoked.status == 200 && revoked.text == "{}")
            #expect(try await server.request(.GET, "/api/2.0/token/list", token: .value(token)).status == 401)
        }
    }

    @Test("the first start writes the admin token to a 0600 file; a later start does not replace it")
    func adminBootstrap() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var configuration = VigilConfiguration(dataDirectory: folder.path)
        configuration.adminToken = nil
        do {
            let first = try await VigilApplication(configuration: configuration)
            let token = try #require(first.generatedAdminToken)
            let attributes = try FileManager.default.attributesOfItem(atPath: folder.file("admin-token"))
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(try String(contentsOfFile: folder.file("admin-token"), encoding: .utf8) == token.revealedValue + "\n")
            // While the first holds the data folder, a second cannot open it.
            await #expect(throws: VigilError.self) { _ = try await VigilApplication(configuration: configuration) }
        }
        let second = try await VigilApplication(configuration: configuration)
        #expect(second.generatedAdminToken == nil)
    }

    @Test("/metrics serves every family with HELP and TYPE")
    func metricsExposition() async throws {
        try await LiveServer.run { server in
            _ = try await server.request(.POST, "/api/2.0/audit/events", json: #"[{"service_name":"a"}]"#)
            let reply = try await server.request(.GET, "/metrics")
            #expect(reply.status == 200)
            let text = reply.text
            for family in ["vigil_ingest_events_accepted_total", "vigil_ingest_events_duplicate_total",
                           "vigil_ingest_events_rejected_total", "vigil_sequencer_commit_duration_seconds",
                           "vigil_sequencer_batch_events", "vigil_sequencer_queue_events", "vigil_http_request_duration_seconds"] {
                #expect(text.contains("# HELP \(family) "), "\(family)")
                #expect(text.contains("# TYPE \(family) "), "\(family)")
            }
            #expect(text.contains(#"vigil_ingest_events_rejected_total{reason="missing_action_name"} 1"#))
        }
    }
}

enum HTTPMethodName: String {
    case GET, POST
}
