import AsyncHTTPClient
import Foundation
import Testing
import VigilCore
import VigilTesting

/// `vigil serve --config`: the file's sections reach the running server, and a flag or `VIGIL_*` variable wins
/// where both set a value.
@Suite("Configuration file (serve)")
struct ConfigServeTests {
    @Test("--syslog-listen replaces the file's listen list; VIGIL_SYSLOG_LISTEN does too; without either the file's list is used")
    func syslogFlagWins() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try "sources:\n  syslog: {listen: [\"tcp://127.0.0.1:0\"]}\n".write(toFile: folder.file("vigil.yaml"), atomically: true, encoding: .utf8)
        let fromFile = try await ServeProcess(dataDirectory: folder.file("a"), arguments: ["--config", folder.file("vigil.yaml")])
        try await AppLogsTests.eventually(timeout: .seconds(20)) { fromFile.stderr.contains("Syslog source listening") }
        #expect(fromFile.stderr.contains("tcp://127.0.0.1:") && !fromFile.stderr.contains("udp://127.0.0.1:"))
        try await fromFile.stop()
        let flag = try await ServeProcess(dataDirectory: folder.file("b"), arguments: ["--config", folder.file("vigil.yaml"), "--syslog-listen", "udp://127.0.0.1:0"])
        try await AppLogsTests.eventually(timeout: .seconds(20)) { flag.stderr.contains("Syslog source listening") }
        #expect(flag.stderr.contains("udp://127.0.0.1:") && !flag.stderr.contains("tcp://127.0.0.1:"))
        try await flag.stop()
        let variable = try await ServeProcess(dataDirectory: folder.file("c"), arguments: ["--config", folder.file("vigil.yaml")],
                                              environment: ["VIGIL_SYSLOG_LISTEN": "udp://127.0.0.1:0"])
        try await AppLogsTests.eventually(timeout: .seconds(20)) { variable.stderr.contains("Syslog source listening") }
        #expect(variable.stderr.contains("udp://127.0.0.1:") && !variable.stderr.contains("tcp://127.0.0.1:"))
        try await variable.stop()
    }

    @Test("notifications: the file's SMTP settings are used (a username over tls: none refuses the start); --smtp-tls and VIGIL_SMTP_PASSWORD override them")
    func notificationFlagsWin() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try """
            notifications:
              defaults: {high: [oncall], critical: [oncall, pager]}
              group_by: [alertname]
              group_wait: 30s
              repeat_interval: 1h
              smtp:
                server: 127.0.0.1:2525
                tls: none
                username: vigil
                password: ${FILE_SMTP_PASSWORD}
            """.write(toFile: folder.file("vigil.yaml"), atomically: true, encoding: .utf8)
        let refused = try await CommandRunner.run(["serve", "--config", folder.file("vigil.yaml"), "--data-dir", folder.file("data"), "--port", "0"],
                                                  environment: ["FILE_SMTP_PASSWORD": "pa55word-from-file"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("notifications.smtp.username needs TLS: with notifications.smtp.tls none"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("pa55word-from-file"))
        let unset = try await CommandRunner.run(["serve", "--config", folder.file("vigil.yaml"), "--data-dir", folder.file("data"), "--port", "0"])
        #expect(unset.status == 1)
        #expect(unset.stderr.contains(":10: notifications.smtp.password: names the environment variable FILE_SMTP_PASSWORD, which is not set"), "\(unset.stderr)")
        // The flag's TLS mode beats the file's none: the server starts.
        let started = try await ServeProcess(dataDirectory: folder.file("data"), arguments: ["--config", folder.file("vigil.yaml"), "--smtp-tls", "starttls"],
                                             environment: ["FILE_SMTP_PASSWORD": "pa55word-from-file"])
        #expect(try await started.stop() == 0)
        #expect(!started.stderr.contains("pa55word-from-file"))
        let badFlag = try await CommandRunner.run(["serve", "--config", folder.file("vigil.yaml"), "--data-dir", folder.file("data"), "--port", "0",
                                                   "--notify-group-wait", "soon"], environment: ["FILE_SMTP_PASSWORD": "x"])
        #expect(badFlag.status != 0 && badFlag.stderr.contains("--notify-group-wait"))
    }

    @Test("bad --syslog-listen and --syslog-allow values refuse the start, naming the flag and the value", arguments: [
        (["--syslog-listen", "http://0.0.0.0:514"], "--syslog-listen http://0.0.0.0:514: want udp://host:port or tcp://host:port"),
        (["--syslog-listen", "udp://127.0.0.1:0", "--syslog-allow", "10.0.0.0/40"], "--syslog-allow 10.0.0.0/40: want a network such as 10.0.0.0/8"),
        (["--syslog-listen", "udp://127.0.0.1:0", "--syslog-allow", "web-1"], "--syslog-allow web-1: want a network"),
    ])
    func syslogFlagRefusals(_ arguments: [String], _ message: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await CommandRunner.run(["serve", "--data-dir", folder.file("data"), "--port", "0"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("data")), "nothing started")
    }

    @Test("a metrics: entry runs a CloudWatch publisher, visible in /metrics")
    func metricsSection() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try """
            metrics:
              - name: cw
                url: cloudwatch-metrics://Vigil
                endpoint: http://127.0.0.1:9
                interval: 1s
            """.write(toFile: folder.file("vigil.yaml"), atomically: true, encoding: .utf8)
        let token = "dapi" + RandomID.hex()
        let server = try await ServeProcess(dataDirectory: folder.file("data"), arguments: ["--config", folder.file("vigil.yaml")],
                                            environment: ["VIGIL_ADMIN_TOKEN": token, "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"])
        // Nothing listens on port 9: every period fails, and says so.
        try await AppLogsTests.eventually(timeout: .seconds(30)) {
            var request = HTTPClientRequest(url: server.baseURL + "/metrics")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            var body = try await LiveServer.client.execute(request, timeout: .seconds(10)).body.collect(upTo: 1 << 22)
            let metrics = body.readString(length: body.readableBytes) ?? ""
            return metrics.contains(#"vigil_cloudwatch_metrics_failures_total{destination="cw"} "#) && !metrics.contains(#"vigil_cloudwatch_metrics_failures_total{destination="cw"} 0"#)
        }
        try await server.stop()
        #expect(server.stderr.contains("CloudWatch metrics not published"))
    }
}
