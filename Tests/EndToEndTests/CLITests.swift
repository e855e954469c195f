import Foundation
import Testing
import VigilCore
import VigilTesting

@Suite("vigil command line")
struct CLITests {
    static func environment(_ server: LiveServer) -> [String: String] {
        ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
    }

    @Test("events ingest sends a file in batches and prints a summary; events list and get read them back")
    func ingestListGet() async throws {
        try await LiveServer.run { server in
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let end = SystemWallClock().nowMillis()
            let lines = (0..<25).map { EventFixtures.tableJSON($0, endMillis: end) }.joined(separator: "\n")
            try lines.write(toFile: folder.file("events.ndjson"), atomically: true, encoding: .utf8)
            let ingest = try await CommandRunner.run(["events", "ingest", folder.file("events.ndjson"), "--batch-size", "10"],
                                                     environment: Self.environment(server))
            #expect(ingest.status == 0, "\(ingest.stderr)")
            #expect(ingest.stdout.contains("25 events read: 25 stored, 0 duplicates, 0 refused"))

            // A JSON array from stdin works too; its events were already stored, so they come back as duplicates.
            let array = "[" + (0..<25).map { EventFixtures.tableJSON($0, endMillis: end) }.joined(separator: ",\n") + "]"
            let again = try await CommandRunner.run(["events", "ingest", "-"], environment: Self.environment(server), stdin: Data(array.utf8))
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("25 events read: 0 stored, 25 duplicates, 0 refused"))

            let list = try await CommandRunner.run(["events", "list", "--service-name", "clusters", "--output", "json", "--limit", "3"],
                                                   environment: Self.environment(server))
            #expect(list.status == 0, "\(list.stderr)")
            guard case .array(let events) = try JSONParser.parse(list.stdout) else { Issue.record("not an array"); return }
            #expect(events.count == 3)

            let id = EventFixtures.event(4, endMillis: end).eventID
            let get = try await CommandRunner.run(["events", "get", id], environment: Self.environment(server))
            #expect(get.status == 0)
            #expect(get.stdout.contains(id))
        }
    }

    @Test("node-timeline ingest sends rows in batches, names a refused row, and vigil sql reads them back")
    func nodeTimelineIngest() async throws {
        try await LiveServer.run { server in
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let end = SystemWallClock().nowMillis()
            let rows = (0..<12).map { ComputeAndInformationSchemaTests.row($0, end: end).replacingOccurrences(of: "\n", with: "") }
            try rows.joined(separator: "\n").write(toFile: folder.file("nodes.ndjson"), atomically: true, encoding: .utf8)
            let environment = Self.environment(server)
            let ingest = try await CommandRunner.run(["node-timeline", "ingest", folder.file("nodes.ndjson"), "--batch-size", "5"], environment: environment)
            #expect(ingest.status == 0, "\(ingest.stderr)")
            #expect(ingest.stdout.contains("12 rows read: 12 stored, 0 duplicates, 0 refused"))

            let bad = #"{"cluster_id":"c","instance_id":"i","start_time":"2024-01-01T00:00:00Z","end_time":"2023-01-01T00:00:00Z"}"#
            let refused = try await CommandRunner.run(["node-timeline", "ingest", "-"], environment: environment, stdin: Data(bad.utf8))
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("row 0: end_time: invalid_interval"), "\(refused.stderr)")
            #expect(refused.stdout.contains("1 row read: 0 stored, 0 duplicates, 1 refused"))

            let sql = try await CommandRunner.run(
                ["sql", "SELECT instance_id, count(*) AS samples FROM system.compute.node_timeline GROUP BY 1 ORDER BY 1", "--output", "csv"],
                environment: environment)
            #expect(sql.status == 0, "\(sql.stderr)")
            #expect(sql.stdout == "instance_id,samples\r\ni-0,6\r\ni-1,6\r\n")
        }
    }

    @Test("the table view shows control characters and ANSI escapes escaped, never raw")
    func escapesHostileValues() async throws {
        try await LiveServer.run { server in
            let hostile = #"[{"service_name":"evil\u001b[2J\u001b]0;pwned\u0007","action_name":"x\nFAKE LINE","event_time":"2024-01-01T00:00:00Z","user_identity":{"email":"\u202eadmin"}}]"#
            #expect(try await server.request(.POST, "/api/2.0/audit/events", json: hostile).status == 200)
            let list = try await CommandRunner.run(["events", "list", "--start-time", "2024-01-01T00:00:00Z", "--end-time", "2024-01-02T00:00:00Z"],
                                                   environment: Self.environment(server))
            #expect(list.status == 0)
            #expect(!list.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
            #expect(list.stdout.contains(#"evil\u{1b}[2J"#))
            #expect(list.stdout.split(separator: "\n").count == 2)  // header + one row: the newline did not split the row
        }
    }

    @Test("tokens create, list and revoke")
    func tokens() async throws {
        try await LiveServer.run { server in
            let created = try await CommandRunner.run(["tokens", "create", "--comment", "cli-test", "--lifetime-seconds", "600"],
                                                      environment: Self.environment(server))
            #expect(created.status == 0, "\(created.stderr)")
            guard case .string(let tokenID)? = try JSONParser.parse(created.stdout)["token_info"]?["token_id"] else {
                Issue.record("no token id"); return
            }
            let listed = try await CommandRunner.run(["tokens", "list"], environment: Self.environment(server))
            #expect(listed.stdout.contains(tokenID) && listed.stdout.contains("cli-test"))
            let revoked = try await CommandRunner.run(["tokens", "revoke", tokenID], environment: Self.environment(server))
            #expect(revoked.status == 0)
            let again = try await CommandRunner.run(["tokens", "revoke", tokenID], environment: Self.environment(server))
            #expect(again.status == 1)
            #expect(again.stderr.contains("RESOURCE_DOES_NOT_EXIST"))
        }
    }

    @Test("exit status 2 for usage errors, 1 for failures", arguments: [
        (["events", "list", "--order", "sideways"], Int32(2)),
        (["events", "list", "--no-such-flag"], Int32(2)),
        (["events"], Int32(0)),
        (["frobnicate"], Int32(2)),
    ])
    func usageErrors(_ arguments: [String], _ status: Int32) async throws {
        let result = try await CommandRunner.run(arguments, environment: ["VIGIL_HOST": "http://127.0.0.1:9", "VIGIL_TOKEN": "x"])
        #expect(result.status == status, "\(result.stderr)")
    }

    @Test("an unreachable server or a refused token is a failure with exit status 1")
    func failures() async throws {
        let unreachable = try await CommandRunner.run(["events", "list"], environment: ["VIGIL_HOST": "http://127.0.0.1:9", "VIGIL_TOKEN": "x"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot connect to http://127.0.0.1:9: connection refused — is vigil serve running?"), "\(unreachable.stderr)")
        try await LiveServer.run { server in
            let refused = try await CommandRunner.run(["events", "list"], environment: ["DATABRICKS_HOST": server.baseURL, "DATABRICKS_TOKEN": "dapiwrong"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("UNAUTHENTICATED"))
        }
    }
}
