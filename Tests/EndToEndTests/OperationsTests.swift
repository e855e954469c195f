import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import VigilCore
import VigilTesting

/// Running Vigil as an operator does: one server per data folder, a busy port said in one line, start-up and
/// shutdown in the log, and an interrupted ingest that says how to go on.
@Suite("Operations")
struct OperationsTests {
    @Test("a second server on the same data folder refuses to start and names the first one's pid")
    func dataFolderLock() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let first = try await ServeProcess(dataDirectory: folder.path)
        let second = try await CommandRunner.run(["serve", "--data-dir", folder.path, "--port", "0"])
        #expect(second.status == 1)
        #expect(second.stderr == "vigil: the data folder \(folder.path) is in use by another vigil serve (pid \(first.processIdentifier)); stop it or choose another --data-dir\n",
                "\(second.stderr)")
        #expect(try await first.stop() == 0)
        // Once the first has stopped, the folder is free again.
        let again = try await ServeProcess(dataDirectory: folder.path)
        #expect(try await again.stop() == 0)
    }

    @Test("a busy port is one line naming the address")
    func busyPort() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let first = try await ServeProcess(dataDirectory: folder.file("a"))
        let second = try await CommandRunner.run(["serve", "--data-dir", folder.file("b"), "--port", "\(first.port)"])
        #expect(second.status == 1)
        #expect(second.stderr == "vigil: cannot listen on 127.0.0.1:\(first.port): the address is already in use (another vigil serve, or another program); stop it or choose another --port\n",
                "\(second.stderr)")
        try await first.stop()
    }

    @Test("start-up logs the address, the data folder and the tree size; shutdown logs what it drained")
    func lifecycleLog() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let serve = try await ServeProcess(dataDirectory: folder.path)
        let token = try String(contentsOfFile: folder.file("admin-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let ingest = try await CommandRunner.run(
            ["events", "ingest", "-"], environment: ["VIGIL_HOST": serve.baseURL, "VIGIL_TOKEN": token],
            stdin: Data(#"{"service_name":"a","action_name":"b","event_time":"2026-01-01T00:00:00Z"}"#.utf8))
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(try await serve.stop() == 0)
        let log = serve.stderr
        let listening = try #require(log.split(separator: "\n").first { $0.contains("Vigil is listening") })
        #expect(listening.contains("data_dir=\(folder.path)"))
        #expect(listening.contains("tree_size=0"))
        #expect(listening.contains("url=http://127.0.0.1:\(serve.port)"))
        #expect(log.contains("Vigil is shutting down"))
        let stopped = try #require(log.split(separator: "\n").first { $0.contains("Vigil stopped") })
        // The ingest and its audit record.
        #expect(stopped.contains("tree_size=2"), "\(stopped)")
        #expect(stopped.contains("drained_events="))
    }

    @Test("an ingest cut off by a server stop says how much was stored and how to resume; resuming stores the rest once")
    func interruptedIngest() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let end = SystemWallClock().nowMillis()
        let count = 60_000
        let lines = (0..<count).map { EventFixtures.tableJSON($0, endMillis: end) }.joined(separator: "\n")
        try lines.write(toFile: folder.file("events.ndjson"), atomically: true, encoding: .utf8)
        let data = folder.file("data")
        let serve = try await ServeProcess(dataDirectory: data)
        let token = try String(contentsOfFile: data + "/admin-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ["VIGIL_HOST": serve.baseURL, "VIGIL_TOKEN": token]
        async let ingest = CommandRunner.run(["events", "ingest", folder.file("events.ndjson"), "--batch-size", "200"], environment: environment)
        // Stop the server once the ingest has stored some events (however slow this machine is to start it).
        try await AppLogsTests.eventually {
            var request = HTTPClientRequest(url: serve.baseURL + "/metrics")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await LiveServer.client.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
            let accepted = text.split(separator: "\n").first { $0.hasPrefix("vigil_ingest_events_accepted_total ") }
            return (accepted?.split(separator: " ").last.flatMap { Double($0) } ?? 0) > 0
        }
        try await serve.stop()
        let cut = try await ingest
        #expect(cut.status == 1, "the ingest finished before the server stopped: \(cut.stdout)")
        let stopped = try #require(cut.stderr.range(of: #"stopped after ([0-9]+) events"#, options: .regularExpression).map { cut.stderr[$0] })
        let done = try #require(Int(stopped.split(separator: " ")[2]))
        #expect(cut.stderr.contains("resume with --skip \(done)"), "\(cut.stderr)")

        let restarted = try await ServeProcess(dataDirectory: data)
        let resumed = try await CommandRunner.run(
            ["events", "ingest", folder.file("events.ndjson"), "--batch-size", "5000", "--skip", "\(done)"],
            environment: ["VIGIL_HOST": restarted.baseURL, "VIGIL_TOKEN": token])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("\(count - done) events read after skipping \(done)"), "\(resumed.stdout)")
        let counted = try await CommandRunner.run(
            ["sql", "SELECT count(*), count(DISTINCT event_id) FROM system.access.audit WHERE request_id LIKE 'ServiceMain-%'", "--output", "csv"],
            environment: ["VIGIL_HOST": restarted.baseURL, "VIGIL_TOKEN": token])
        #expect(counted.stdout.hasSuffix("\(count),\(count)\r\n"), "\(counted.stdout)")
        try await restarted.stop()
    }

    @Test("the access review calls no principal younger than its window dormant, and names service principals by display name and id")
    func accessReview() async throws {
        try await LiveServer.run { server in
            _ = try await server.request(.POST, "/api/2.0/preview/scim/v2/Users", json: #"{"userName":"fresh@x.com"}"#)
            _ = try await server.request(.POST, "/api/2.0/preview/scim/v2/ServicePrincipals", json: #"{"applicationId":"app-123","displayName":"log shipper"}"#)
            _ = try await server.request(.PATCH, "/api/2.0/permissions/audit-logs/all",
                                         json: #"{"access_control_list":[{"service_principal_name":"app-123","permission_level":"CAN_USE"}]}"#)
            let review = try await server.request(.GET, "/api/2.0/vigil/access-review?days=90").json()
            guard case .array(let dormant)? = review["dormant_users"] else {
                Issue.record("no dormant_users: \(review)")
                return
            }
            #expect(!dormant.contains(.string("fresh@x.com")))
            let table = try await CommandRunner.run(["access", "review", "--days", "90"], environment: CLITests.environment(server))
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("log shipper (app-123)"), "\(table.stdout)")
        }
    }
}
