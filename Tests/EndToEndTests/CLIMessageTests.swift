import Foundation
import Testing
import VigilCore
import VigilTesting

/// What a newcomer sees when something is off: one line that says what went wrong and what to do, with the right
/// exit status (1 failure, 2 usage), and no framework text.
@Suite("CLI messages")
struct CLIMessageTests {
    static let offline = ["VIGIL_HOST": "http://127.0.0.1:9", "VIGIL_TOKEN": "x"]

    struct Case: Sendable, CustomStringConvertible {
        var arguments: [String]
        var environment: [String: String]
        var status: Int32
        var stderr: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(arguments: ["events", "ingest", "nope.ndjson"], environment: offline, status: 1,
             stderr: "vigil: cannot read nope.ndjson: no such file\n"),
        Case(arguments: ["events", "ingest", "/tmp"], environment: offline, status: 1,
             stderr: "vigil: /tmp is a directory; give a file of events (NDJSON or a JSON array)\n"),
        Case(arguments: ["events", "list"], environment: offline, status: 1,
             stderr: "vigil: cannot connect to http://127.0.0.1:9: connection refused — is vigil serve running?\n"),
        Case(arguments: ["events", "list", "--host", "vigil.example.com:8080"], environment: ["VIGIL_TOKEN": "x"], status: 2,
             stderr: "vigil: --host vigil.example.com:8080 has no scheme; write it as https://vigil.example.com:8080 (or http:// for a plain-HTTP server)\n"),
        // A name that merely starts like a loopback address is remote: no plain-HTTP guess that would send the token in clear.
        Case(arguments: ["events", "list", "--host", "127.example.com:443"], environment: ["VIGIL_TOKEN": "x"], status: 2,
             stderr: "vigil: --host 127.example.com:443 has no scheme; write it as https://127.example.com:443 (or http:// for a plain-HTTP server)\n"),
        Case(arguments: ["events", "list", "--host", "127.0.0.1:9"], environment: ["VIGIL_TOKEN": "x"], status: 1,
             stderr: "vigil: cannot connect to http://127.0.0.1:9: connection refused — is vigil serve running?\n"),
        Case(arguments: ["events", "list", "--host", "ftp://x"], environment: ["VIGIL_TOKEN": "x"], status: 2,
             stderr: "vigil: --host must be a URL such as http://127.0.0.1:8080 or https://vigil.example.com, got ftp://x\n"),
        Case(arguments: ["events", "list", "--host", "http://127.0.0.1:9"], environment: [:], status: 2,
             stderr: "vigil: no token: pass --token or set VIGIL_TOKEN (the admin token is in <data-dir>/admin-token)\n"),
        Case(arguments: ["evnts", "list"], environment: offline, status: 2, stderr: "vigil: unknown command 'evnts'; did you mean 'vigil events'?\n"),
        Case(arguments: ["events", "lsit"], environment: offline, status: 2, stderr: "vigil: unknown command 'lsit'; did you mean 'vigil events list'?\n"),
        Case(arguments: ["frobnicate"], environment: offline, status: 2,
             stderr: "vigil: unknown command 'frobnicate' for 'vigil'; commands: serve, events, node-timeline, sql, tokens, users, service-principals, groups, permissions, access, verify, ledger, apps, run, agent, clusters, job, jobs, detections, alerts, delivery, import, host-logs\n"),
    ]

    @Test("each problem is one line with the right exit status", arguments: cases)
    func message(_ testCase: Case) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // Run where no ./vigil-data/admin-token can supply a token.
        let result = try await CommandRunner.run(testCase.arguments, environment: testCase.environment, directory: folder.path)
        #expect(result.status == testCase.status, "\(result.stderr)")
        #expect(result.stderr == testCase.stderr)
        #expect(!result.stderr.contains("Usage:"))
    }

    @Test("vigil serve refuses bad notification and SMTP flags by name before it opens anything", arguments: [
        (["--notify-group-wait", "5"], "--notify-group-wait must be 0 or a positive number with s, m, h or d, e.g. 30s; got '5'"),
        (["--notify-group-interval=-1m"], "--notify-group-interval must be 0 or a positive number"),
        (["--notify-repeat-interval", "soon"], "--notify-repeat-interval must be 0 or a positive number"),
        (["--notify-group-by", "user_identity.email"], "--notify-group-by: group-by label 'user_identity.email' is not a label name"),
        (["--smtp-server", "127.0.0.1:25", "--smtp-tls", "ssl"], "--smtp-tls must be none, auto, starttls or tls; got 'ssl'"),
        (["--smtp-server", "127.0.0.1:25", "--smtp-username", "u"], "--smtp-username is set but VIGIL_SMTP_PASSWORD is not"),
        (["--smtp-server", "127.0.0.1:25", "--smtp-tls", "none", "--smtp-username", "u"], "--smtp-username needs TLS"),
        (["--smtp-username", "u"], "--smtp-username needs a relay: --smtp-server"),
        (["--smtp-tls", "tls", "--smtp-ca-cert", "/x.pem"], "--smtp-tls, --smtp-ca-cert need a relay: --smtp-server"),
        (["--smtp-server", "127.0.0.1", "--smtp-ca-cert", "/nonexistent.pem"], "--smtp-ca-cert /nonexistent.pem cannot be read"),
        (["--smtp-server", "127.0.0.1:99999"], "--smtp-server's port must be a number from 1 to 65535"),
        (["--detection-alert-limit=-1"], "--detection-alert-limit must be 0 (no limit) or a positive number"),
    ])
    func serveNotifyFlags(_ arguments: [String], _ message: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await CommandRunner.run(["serve", "--data-dir", folder.file("data")] + arguments, environment: [:], directory: folder.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("data")))
    }

    @Test("vigil --version names the version and the commit it was built from")
    func version() async throws {
        let result = try await CommandRunner.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.range(of: #"^vigil \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n$"#, options: .regularExpression) != nil,
                "\(result.stdout)")
    }

    @Test("https to a plain-HTTP server says to use http://")
    func tlsToPlainServer() async throws {
        try await LiveServer.run { server in
            let result = try await CommandRunner.run(
                ["events", "list"], environment: ["VIGIL_HOST": "https://127.0.0.1:\(server.port)", "VIGIL_TOKEN": server.adminToken])
            #expect(result.status == 1)
            #expect(result.stderr.contains("the server answers plain HTTP; use http:// instead of https://"), "\(result.stderr)")
        }
    }

    @Test("a malformed line is named without an empty field, and the summary counts in the singular")
    func malformedLine() async throws {
        try await LiveServer.run { server in
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            try #"{"service_name":"a","action_name":"b","event_time":"2026-01-01T00:00:00Z"}"#.write(
                toFile: folder.file("one.ndjson"), atomically: true, encoding: .utf8)
            let one = try await CommandRunner.run(["events", "ingest", folder.file("one.ndjson")], environment: CLITests.environment(server))
            #expect(one.stdout == "1 event read: 1 stored, 0 duplicates, 0 refused\n", "\(one.stdout)")
            try "{\"service_name\":\"a\",\"action_name\":\"b\",\"event_time\":\"2026-01-01T00:00:00Z\"}\n{not json\n".write(
                toFile: folder.file("bad.ndjson"), atomically: true, encoding: .utf8)
            let bad = try await CommandRunner.run(["events", "ingest", folder.file("bad.ndjson")], environment: CLITests.environment(server))
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("event 1: malformed_json"), "\(bad.stderr)")
            #expect(!bad.stderr.contains(": :"))
            #expect(bad.stdout == "2 events read: 0 stored, 0 duplicates, 2 refused\n", "\(bad.stdout)")
        }
    }
}
