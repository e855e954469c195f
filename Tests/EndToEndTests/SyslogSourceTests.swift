import Foundation
import Testing
import VigilCore
import VigilExport
import VigilServer
import VigilTesting

/// The syslog source against a real sender: util-linux `logger` over UDP (RFC 3164) and TCP (RFC 5424, octet-counted).
@Suite("Syslog source")
struct SyslogSourceEndToEndTests {
    @Test("sshd and sudo lines sent by logger become audit events; other lines are counted as host logs; a resent line is stored once")
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
        }
    }
}
