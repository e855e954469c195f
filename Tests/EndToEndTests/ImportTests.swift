import Foundation
import Testing
import VigilCore
import VigilTesting

/// `vigil import databricks-delivery` against a real server, on files shaped as Databricks delivers them.
@Suite("Import of Databricks deliveries")
struct ImportTests {
    /// Lines as Databricks writes them: camelCase, epoch-ms timestamp, shardName, nulls, MAX_LOG_MESSAGE_LENGTH.
    static func line(_ n: Int, workspace: String?) -> String {
        let org = workspace.map { #""orgId":"\#($0)","# } ?? ""
        return #"{"version":"2.0","auditLevel":"\#(workspace == nil ? "ACCOUNT_LEVEL" : "WORKSPACE_LEVEL")","timestamp":\#(1_699_999_000_000 + n),\#(org)"shardName":"test-shard","accountId":"a1b2c3","sourceIPAddress":"10.0.0.\#(n)","userAgent":"Mozilla/5.0","sessionId":"s\#(n)","userIdentity":{"email":"user\#(n)@example.com","subjectName":null},"serviceName":"accounts","actionName":"login","requestId":"req-\#(n)","requestParams":{"user":"user\#(n)@example.com"},"response":{"statusCode":200,"errorMessage":null,"result":null},"MAX_LOG_MESSAGE_LENGTH":16384}"#
    }

    @Test("imports every file once: a second run skips them, a grown file adds only its new line, a lost state file stores nothing twice")
    func idempotent() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let source = folder.file("delivery")
        let workspaceFile = source + "/workspaceId=1234/date=2023-11-14/auditlogs_abc.json"
        let accountFile = source + "/workspaceId=0/date=2023-11-14/auditlogs_def.json"
        try FileManager.default.createDirectory(atPath: source + "/workspaceId=1234/date=2023-11-14", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: source + "/workspaceId=0/date=2023-11-14", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: source + "/_digests/2023/11/14", withIntermediateDirectories: true)
        try ((0..<3).map { Self.line($0, workspace: "1234") }.joined(separator: "\n") + "\n").write(toFile: workspaceFile, atomically: true, encoding: .utf8)
        try ((3..<5).map { Self.line($0, workspace: nil) }.joined(separator: "\n") + "\n").write(toFile: accountFile, atomically: true, encoding: .utf8)
        try "{}".write(toFile: source + "/_digests/2023/11/14/vigil-digest_x.json", atomically: true, encoding: .utf8)
        try "notes".write(toFile: source + "/README.txt", atomically: true, encoding: .utf8)
        try await LiveServer.run { server in
            let environment = ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
            let state = folder.file("state.json")
            func importing() async throws -> CommandRunner.Result {
                try await CommandRunner.run(["import", "databricks-delivery", "--source", source, "--state", state], environment: environment)
            }
            var result = try await importing()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("2 file(s): 5 events read, 5 stored, 0 duplicates, 0 refused"), "\(result.stdout)")
            let page = try await server.request(.GET, "/api/2.0/audit/events?service_name=accounts&page_size=100").json()
            guard case .array(let events)? = page["events"] else { Issue.record("\(page)"); return }
            #expect(events.count == 5)
            #expect(events.contains { $0["workspace_id"] == .string("1234") && $0["user_identity"]?["email"] == .string("user0@example.com") })
            #expect(events.contains { $0["audit_level"] == .string("ACCOUNT_LEVEL") && $0["workspace_id"] == .null })

            result = try await importing()
            #expect(result.stdout.contains("2 file(s) (2 already imported, skipped): 0 events read, 0 stored"), "\(result.stdout)")

            try (try String(contentsOfFile: workspaceFile, encoding: .utf8) + Self.line(9, workspace: "1234") + "\n")
                .write(toFile: workspaceFile, atomically: true, encoding: .utf8)
            result = try await importing()
            #expect(result.stdout.contains("(1 already imported, skipped): 4 events read, 1 stored, 3 duplicates, 0 refused"), "\(result.stdout)")

            try FileManager.default.removeItem(atPath: state)
            result = try await importing()
            #expect(result.stdout.contains("6 events read, 0 stored, 6 duplicates"), "\(result.stdout)")

            // Another source's state file is not taken for this one.
            let other = try await CommandRunner.run(["import", "databricks-delivery", "--source", folder.path, "--state", state], environment: environment)
            #expect(other.status == 1)
            #expect(other.stderr.contains("is the state of another import"))
        }
    }

    @Test("a line that is not an audit event is refused by file and line; its file is not recorded, so it is tried again")
    func refusals() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let source = folder.file("delivery")
        try FileManager.default.createDirectory(atPath: source + "/workspaceId=1/date=2023-11-14", withIntermediateDirectories: true)
        try (Self.line(0, workspace: "1") + "\n{\"serviceName\":\"x\"}\n").write(toFile: source + "/workspaceId=1/date=2023-11-14/auditlogs_bad.json", atomically: true, encoding: .utf8)
        try await LiveServer.run { server in
            let environment = ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
            let arguments = ["import", "databricks-delivery", "--source", source, "--state", folder.file("state.json")]
            var result = try await CommandRunner.run(arguments, environment: environment)
            #expect(result.status == 1)
            #expect(result.stderr.contains("workspaceId=1/date=2023-11-14/auditlogs_bad.json lines 1–2:"), "\(result.stderr)")
            #expect(result.stdout.contains("2 events read, 0 stored, 0 duplicates, 2 refused"), "\(result.stdout)")
            result = try await CommandRunner.run(arguments, environment: environment)
            #expect(result.stdout.contains("2 events read"), "not skipped: \(result.stdout)")
            let missing = try await CommandRunner.run(["import", "databricks-delivery", "--source", folder.file("none")], environment: environment)
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("is not a folder"))
        }
    }
}
