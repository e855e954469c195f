import Foundation
import Testing
import VigilCore
import VigilExport
import VigilServer
import VigilTesting

/// The syslog source against a real sender: util-linux `logger` over UDP (RFC 3164) and TCP (RFC 5424, octet-counted).
@Suite("Syslog source")
struct SyslogSourceEndToEndTests {
    @Test("sshd and sudo lines sent by logger become audit events; other lines are kept as host logs; a resent line is stored once")
    func logins() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/logger") else {
            Issue.record("util-linux logger is missing (apt-get install bsdutils)")
            return
        }
        var configuration = VigilConfiguration()
        configuration.syslogListens = [try .init("udp://127.0.0.1:0"), try .init("tcp://127.0.0.1:0")]
        try await LiveServer.run(configuration: configuration) { server in
            let receiver = try #require(server.application.syslog)
            try await AppLogsTests.eventually(timeout: .seconds(10)) { receiver.boundPorts.withLock { $0.count } == 2 }
            let (udp, tcp) = receiver.boundPorts.withLock { ($0[0], $0[1]) }
            func logger(_ arguments: [String]) async throws {
                let result = try await ExternalCommand.run("/usr/bin/logger", ["-n", "127.0.0.1"] + arguments)
                #expect(result.status == 0, "\(result.stderr)")
            }
            try await logger(["-P", String(udp), "-d", "--rfc3164", "-t", "sshd", "Accepted password for alice from 203.0.113.9 port 52114 ssh2"])
            try await logger(["-P", String(tcp), "-T", "--octet-count", "--rfc5424", "-t", "sshd",
                              "Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2"])
            try await logger(["-P", String(tcp), "-T", "--octet-count", "--rfc5424", "-t", "sudo",
                              "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"])
            try await logger(["-P", String(udp), "-d", "--rfc3164", "-t", "cron", "(root) CMD (run-parts /etc/cron.hourly)"])
            try await AppLogsTests.eventually(timeout: .seconds(20)) {
                guard case .array(let events)? = try await server.request(.GET, "/api/2.0/audit/events?service_name=accounts&page_size=10").json()["events"] else { return false }
                return events.count == 3
            }
            let page = try await server.request(.GET, "/api/2.0/audit/events?service_name=accounts&page_size=10").json()
            guard case .array(let events)? = page["events"] else { return }
            let login = try #require(events.first { $0["user_identity"]?["email"] == .string("alice") && $0["action_name"] == .string("sshLogin") })
            #expect(login["source_ip_address"] == .string("203.0.113.9"))
            #expect(login["response"]?["status_code"] == .number("200"))
            let failed = try #require(events.first { $0["user_identity"]?["email"] == .string("admin") })
            #expect(failed["response"]?["status_code"] == .number("401"))
            let sudo = try #require(events.first { $0["action_name"] == .string("sudo") })
            #expect(sudo["identity_metadata"]?["run_as"] == .string("root"))
            // The same message twice (a sender's retry after a reconnect carries the same timestamp): stored once.
            let line = "<38>1 2026-11-30T09:00:00.000Z web-1 sshd 811 - - Accepted publickey for deploy from 198.51.100.20 port 50022 ssh2"
            for _ in 0..<2 {
                let sent = try await ExternalCommand.run("/usr/bin/python3", ["-c", """
                    import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ("127.0.0.1", \(udp)))
                    """, line])
                #expect(sent.status == 0, "\(sent.stderr)")
            }
            try await AppLogsTests.eventually(timeout: .seconds(20)) {
                let text = try await server.request(.GET, "/metrics").text
                return text.contains(#"vigil_syslog_messages_total{outcome="duplicate"} 1"#) && text.contains(#"vigil_syslog_messages_total{outcome="host_log"} 1"#)
            }
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"vigil_syslog_messages_total{outcome="audit_event"} 4"#))
            // The cron line is a host log line, with what logger sent and the address it came from.
            guard case .array(let hostLines)? = try await server.request(.GET, "/api/2.0/vigil/host-logs").json()["lines"] else {
                Issue.record("no host lines")
                return
            }
            #expect(hostLines.count == 1)
            #expect(hostLines.first?["app_name"] == .string("cron"))
            #expect(hostLines.first?["message"] == .string("(root) CMD (run-parts /etc/cron.hourly)"))
            #expect(hostLines.first?["severity"] == .string("notice") && hostLines.first?["facility"] == .string("user"))
            #expect(hostLines.first?["sender"] == .string("127.0.0.1"))
        }
    }

    @Test("an allow list drops datagrams and TCP connections from other addresses unread (counted as denied) and takes those inside it")
    func allowList() async throws {
        for (allow, kept) in [("10.0.0.0/8", false), ("127.0.0.1", true)] {
            var configuration = VigilConfiguration()
            configuration.syslogListens = [try .init("udp://127.0.0.1:0"), try .init("tcp://127.0.0.1:0")]
            configuration.syslogAllow = [try #require(CIDR.entry(allow))]
            try await LiveServer.run(configuration: configuration) { server in
                let receiver = try #require(server.application.syslog)
                try await AppLogsTests.eventually(timeout: .seconds(10)) { receiver.boundPorts.withLock { $0.count } == 2 }
                let (udp, tcp) = receiver.boundPorts.withLock { ($0[0], $0[1]) }
                let line = "<38>1 2026-11-30T09:00:00Z web-1 sshd 811 - - Accepted publickey for deploy from 198.51.100.20 port 50022 ssh2"
                let sent = try await ExternalCommand.run("/usr/bin/python3", ["-c", """
                    import socket, sys
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ("127.0.0.1", \(udp)))
                    t = socket.create_connection(("127.0.0.1", \(tcp)))
                    try:
                        t.sendall(b"<13>1 2026-11-30T09:00:01Z web-1 cron - - - tick\\n")
                    except OSError:
                        pass
                    t.close()
                    """, line])
                #expect(sent.status == 0, "\(sent.stderr)")
                try await AppLogsTests.eventually(timeout: .seconds(20)) {
                    let stats = receiver.stats
                    return kept ? stats.auditEvents == 1 && stats.hostLines == 1 : stats.denied == 2
                }
                let metrics = try await server.request(.GET, "/metrics").text
                #expect(metrics.contains(#"vigil_syslog_messages_total{outcome="denied"} \#(kept ? 0 : 2)"#), "\(allow)")
                #expect(receiver.stats.messages == (kept ? 2 : 0), "denied senders' lines are not read: \(allow)")
            }
        }
    }

    @Test("host log lines: filtered by host, app, severity, text and time through the API and `vigil host-logs`; bad filters are 400s naming the parameter")
    func hostLogs() async throws {
        var configuration = VigilConfiguration()
        configuration.syslogListens = [try .init("udp://127.0.0.1:0")]
        try await LiveServer.run(configuration: configuration) { server in
            let receiver = try #require(server.application.syslog)
            try await AppLogsTests.eventually(timeout: .seconds(10)) { receiver.boundPorts.withLock { $0.count } == 1 }
            let udp = receiver.boundPorts.withLock { $0[0] }
            let lines = [
                "<30>1 2026-12-01T10:00:00Z web-1 systemd 1 - - Started nginx.service.",
                "<2>1 2026-12-01T10:00:01Z web-1 kernel - - - Out of memory: Killed process 4242 (java)",
                "<27>1 2026-12-01T10:00:02Z db-1 postgres 77 - - FATAL:  the database system is starting up \u{1B}[31m",
                "<12>Dec  1 10:00:03 db-1 backup[9]: backup of /var/lib done",
                "<14>1 9999-12-31T23:59:59Z edge-1 clock - - - from the far future",
                "<14>1 2026-12-01T10:00:05Z edge-1 big - - - " + String(repeating: "y", count: 20_000),
            ]
            let sent = try await ExternalCommand.run("/usr/bin/python3", ["-c", """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                for line in sys.argv[1:]: s.sendto(line.encode(), ("127.0.0.1", \(udp)))
                """] + lines)
            #expect(sent.status == 0, "\(sent.stderr)")
            try await AppLogsTests.eventually(timeout: .seconds(20)) {
                try await server.request(.GET, "/metrics").text.contains(#"vigil_syslog_messages_total{outcome="host_log"} 6"#)
            }
            // A time far ahead of the clock becomes the receive time; a long message is cut at 8 KiB.
            let edge = try await server.request(.GET, "/api/2.0/vigil/host-logs?host=edge-1").json()
            guard case .array(let edgeLines)? = edge["lines"] else { Issue.record("\(edge)"); return }
            let future = try #require(edgeLines.first { $0["app_name"] == .string("clock") })
            let year = String(Timestamp.formatRFC3339(millis: Int64(Date().timeIntervalSince1970 * 1000)).prefix(4))
            if case .string(let time)? = future["timestamp"] { #expect(time.hasPrefix(year), "\(time)") } else { Issue.record("no timestamp") }
            let big = try #require(edgeLines.first { $0["app_name"] == .string("big") })
            if case .string(let text)? = big["message"] { #expect(text.hasSuffix("…[cut]") && text.utf8.count <= 8192) } else { Issue.record("no message") }
            func messages(_ query: String) async throws -> [String] {
                guard case .array(let items)? = try await server.request(.GET, "/api/2.0/vigil/host-logs" + query).json()["lines"] else { return [] }
                return items.compactMap { if case .string(let text)? = $0["message"] { text } else { nil } }
            }
            #expect(try await messages("?host=db-1").count == 2)
            #expect(try await messages("?app_name=kernel") == ["Out of memory: Killed process 4242 (java)"])
            #expect(try await messages("?severity=err").count == 2, "err and worse: the backup's warning is left out")
            #expect(try await messages("?severity=warning").count == 3)
            #expect(try await messages("?search=NGINX") == ["Started nginx.service."])
            #expect(try await messages("?start_time=2026-12-01T10:00:01Z&end_time=2026-12-01T10:00:02Z").count == 1)
            let two = try await server.request(.GET, "/api/2.0/vigil/host-logs?limit=2").json()
            #expect(two["has_more"] == .bool(true))
            for (query, named) in [("?severity=loud", "severity"), ("?limit=0", "limit"), ("?limit=10001", "limit"), ("?colour=red", "colour"),
                                   ("?start_time=yesterday", "start_time"), ("?host=", "host"),
                                   ("?start_time=2026-12-01T10:00:02Z&end_time=2026-12-01T10:00:01Z", "end_time")] {
                let refused = try await server.request(.GET, "/api/2.0/vigil/host-logs" + query)
                #expect(refused.status == 400, "\(query)")
                #expect(refused.text.contains(named), "\(query): \(refused.text)")
            }
            // The CLI prints them oldest first as syslog-like lines, control characters escaped.
            let environment = ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
            let shown = try await CommandRunner.run(["host-logs", "--hostname", "db-1"], environment: environment)
            #expect(shown.status == 0, "\(shown.stderr)")
            let printed = shown.stdout.split(separator: "\n").map(String.init)
            #expect(printed.count == 2)
            #expect(printed.first?.hasPrefix("2026-12-01T10:00:02") == true && printed.first?.contains("db-1 postgres[77] err: FATAL:") == true)
            #expect(shown.stdout.unicodeScalars.contains("\u{1B}") == false, "the escape character is shown escaped")
            #expect(printed.last?.contains("backup[9] warning: backup of /var/lib done") == true)
            // --output ndjson: one line object per line, oldest first; json: the answer; more than --limit: a note.
            let ndjson = try await CommandRunner.run(["host-logs", "--hostname", "db-1", "--output", "ndjson"], environment: environment)
            let objects = ndjson.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)) }
            #expect(objects.count == 2 && objects.first?["app_name"] == .string("postgres") && objects.last?["app_name"] == .string("backup"))
            let json = try await CommandRunner.run(["host-logs", "--limit", "1", "--output", "json"], environment: environment)
            #expect((try? JSONParser.parse(Array(json.stdout.utf8)))?["has_more"] == .bool(true), "\(json.stdout)")
            let limited = try await CommandRunner.run(["host-logs", "--limit", "1"], environment: environment)
            #expect(limited.status == 0 && limited.stderr.contains("older lines matched too"), "\(limited.stderr)")
            let bad = try await CommandRunner.run(["host-logs", "--limit", "0"], environment: environment)
            #expect(bad.status != 0 && bad.stderr.contains("--limit"))
        }
    }
}
