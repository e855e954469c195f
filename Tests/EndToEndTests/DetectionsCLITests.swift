import Foundation
import Testing
import VigilCore
import VigilTesting

/// `vigil detections`: the offline check an author runs before loading a rule, and the commands that manage rules
/// and read what they fired.
@Suite("vigil detections")
struct DetectionsCLITests {
    @Test("test checks a file offline: problems as file:line: field: reason with exit 1; with --events it replays them and prints what fires")
    func offline() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let bad = folder.file("bad.yml")
        try "title: T\nlogsource: {product: vigil}\ndetection:\n  selection:\n    user_identity.emial: x\n  condition: selection and filter\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await CommandRunner.run(["detections", "test", bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(bad):5: detection.selection.user_identity.emial: 'user_identity.emial' is not a column of system.access.audit"), "\(refused.stderr)")
        #expect(refused.stderr.contains("\(bad):6: detection.condition: 'filter' is not a search identifier"), "\(refused.stderr)")

        let rules = folder.file("brute.yml")
        try DetectionsAPITests.failedLogin.appending("\n---\n").appending(DetectionsAPITests.bruteForce).write(toFile: rules, atomically: true, encoding: .utf8)
        let events = folder.file("events.ndjson")
        let lines = (0..<6).map { index in
            #"{"service_name":"accounts","action_name":"login","event_time":"2026-11-01T10:00:0\#(index)Z","source_ip_address":"198.51.100.7","response":{"status_code":401},"event_id":"e\#(index)"}"#
        }
        try lines.joined(separator: "\n").write(toFile: events, atomically: true, encoding: .utf8)
        let replayed = try await CommandRunner.run(["detections", "test", rules, "--events", events])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout.contains("2 rules load: failed_login, brute-force"), "\(replayed.stdout)")
        #expect(replayed.stdout.contains("line 5: brute-force (high) Brute force from one address; count 5; source_ip_address=198.51.100.7"), "\(replayed.stdout)")
        #expect(replayed.stdout.hasSuffix("1 alert\n"), "\(replayed.stdout)")
        // An event that is not one names its line.
        try "{\"action_name\":\"login\"}".write(toFile: events, atomically: true, encoding: .utf8)
        let broken = try await CommandRunner.run(["detections", "test", rules, "--events", events])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("events.ndjson:1: service_name"), "\(broken.stderr)")
    }

    @Test("create, list, history and delete against a server")
    func online() async throws {
        try await LiveServer.run { server in
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let environment = ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
            let base = folder.file("base.yml")
            try DetectionsAPITests.failedLogin.write(toFile: base, atomically: true, encoding: .utf8)
            let created = try await CommandRunner.run(["detections", "create", base], environment: environment)
            #expect(created.status == 0, "\(created.stderr)")
            #expect(created.stdout == "failed_login\n")
            let again = try await CommandRunner.run(["detections", "create", base], environment: environment)
            #expect(again.status == 1)
            #expect(again.stderr.contains("already exists"), "\(again.stderr)")
            let correlation = folder.file("brute.yml")
            try DetectionsAPITests.bruteForce.write(toFile: correlation, atomically: true, encoding: .utf8)
            #expect(try await CommandRunner.run(["detections", "create", correlation], environment: environment).status == 0)
            let list = try await CommandRunner.run(["detections", "list"], environment: environment)
            #expect(list.stdout.contains("brute-force"), "\(list.stdout)")
            #expect(list.stdout.contains("event_count"))
            try await DetectionsAPITests.failedLogins(server, count: 5, ip: "203.0.113.50")
            try await AppLogsTests.eventually { try await !DetectionsAPITests.alerts(server).isEmpty }
            let history = try await CommandRunner.run(["detections", "history", "--output", "ndjson"], environment: environment)
            let alert = try JSONParser.parse(Array(history.stdout.split(separator: "\n").first.map { Array($0.utf8) } ?? []))
            #expect(alert["rule_id"] == .string("brute-force"))
            #expect(alert["group"]?["source_ip_address"] == .string("203.0.113.50"))
            #expect(try await CommandRunner.run(["detections", "delete", "brute-force"], environment: environment).status == 0)
            let gone = try await CommandRunner.run(["detections", "delete", "brute-force"], environment: environment)
            #expect(gone.status == 1)
            #expect(gone.stderr.contains("does not exist"), "\(gone.stderr)")
        }
    }
}
