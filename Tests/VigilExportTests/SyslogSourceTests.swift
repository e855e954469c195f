import Foundation
import Testing
import NIOCore
import NIOEmbedded
import VigilCore
@testable import VigilExport

/// Syslog parsing (RFC 5424, RFC 3164) and the sshd and sudo lines that become audit events, on real lines.
struct SyslogSourceTests {
    static let received: Int64 = 1_796_000_000_000  // 2026-11-30T00:53:20Z

    @Test("RFC 5424: PRI, time, host, app, procid, structured data skipped (escapes and all), BOM dropped")
    func rfc5424() throws {
        let message = try #require(SyslogParser.parse(
            #"<13>1 2026-12-01T10:00:00.000Z vigil-host vigil 4242 AUDIT [vigil@32473 actor="alice" note="a \"quoted\" \] and \\ x"][b@1 c="d"] payload"#,
            receivedMillis: Self.received))
        #expect(message.facility == 1 && message.severity == 5)
        #expect(message.timestampMillis == Timestamp.parseRFC3339("2026-12-01T10:00:00Z"))
        #expect(message.hostname == "vigil-host" && message.appName == "vigil" && message.procID == "4242")
        #expect(message.message == "payload")
        let bom = try #require(SyslogParser.parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{FEFF}'su root' failed", receivedMillis: 0))
        #expect(bom.message == "'su root' failed" && bom.appName == "su" && bom.procID == nil)
        #expect(SyslogParser.parse("<999>1 - - - - - - x", receivedMillis: 0) == nil)
        #expect(SyslogParser.parse("no pri", receivedMillis: 0) == nil)
        #expect(SyslogParser.parse("<13>1 not-a-time h a - - - x", receivedMillis: 0) == nil)
    }

    @Test("RFC 3164: the year from the receive time (December lines received in January are last year's), tag and pid, no host")
    func rfc3164() throws {
        let line = try #require(SyslogParser.parse("<38>Nov 28 09:16:03 srv sshd[32307]: Accepted publickey for git from 192.0.2.1 port 57904 ssh2", receivedMillis: Self.received))
        #expect(line.timestampMillis == Timestamp.parseRFC3339("2026-11-28T09:16:03Z"))
        #expect(line.hostname == "srv" && line.appName == "sshd" && line.procID == "32307")
        #expect(line.message.hasPrefix("Accepted publickey"))
        let january = Timestamp.parseRFC3339("2027-01-01T00:00:05Z")!
        let december = try #require(SyslogParser.parse("<38>Dec 31 23:59:58 h sshd[1]: x", receivedMillis: january))
        #expect(december.timestampMillis == Timestamp.parseRFC3339("2026-12-31T23:59:58Z"))
        let noHost = try #require(SyslogParser.parse("<86>Jun  6 04:17:09 sudo: x", receivedMillis: Self.received))
        #expect(noHost.hostname == nil && noHost.appName == "sudo" && noHost.message == "x")
        let iso = try #require(SyslogParser.parse("<38>2015-04-16T18:02:50.321974+00:00 host sshd[2716]: y", receivedMillis: Self.received))
        #expect(iso.timestampMillis == Timestamp.parseRFC3339("2015-04-16T18:02:50.321Z") && iso.hostname == "host")
    }

    func event(_ line: String) -> AuditEvent? {
        SyslogParser.parse(line, receivedMillis: Self.received).flatMap { AuthLogParser.event($0, workspaceID: "7") }
    }

    @Test("sshd: accepted and failed logins (password, publickey, invalid users) become accounts/sshLogin with user, address and outcome")
    func sshd() throws {
        let accepted = try #require(event("<38>Mar  7 18:53:20 bar sshd[1556]: Accepted password for rda from 192.0.2.113 port 52100 ssh2"))
        #expect(accepted.serviceName == "accounts" && accepted.actionName == "sshLogin")
        #expect(accepted.userIdentity?.email == "rda" && accepted.sourceIPAddress == "192.0.2.113")
        #expect(accepted.response?.statusCode == 200 && accepted.workspaceID == "7")
        #expect(accepted.requestParams?.contains { $0 == ("method", "password") } == true)
        #expect(accepted.requestParams?.contains { $0 == ("host", "bar") } == true)
        #expect(accepted.eventID.count == 32, "a content-derived id: a resent line is stored once")
        let key = try #require(event("<38>Nov 28 09:16:03 srv sshd[32307]: Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48:xx"))
        #expect(key.requestParams?.contains { $0 == ("method", "publickey") } == true)
        let failed = try #require(event("<38>Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2"))
        #expect(failed.response?.statusCode == 401 && failed.userIdentity?.email == "ROOT" && failed.response?.errorMessage == "invalid user")
        let invalid = try #require(event("<38>Mar 19 16:47:48 test sshd[5672]: Invalid user admin from 192.0.2.117 port 44004"))
        #expect(invalid.response?.statusCode == 401 && invalid.userIdentity?.email == "admin")
        let session = try #require(event("<38>Jan  1 00:00:00 h sshd-session[9]: Failed publickey for dan from 127.0.0.1 port 45416 ssh2"))
        #expect(session.requestParams?.contains { $0 == ("program", "sshd-session") } == true)
        // Not logins: host log lines.
        for other in ["<38>Jul 17 23:03:05 srv sshd[1296]: Connection closed by authenticating user root 192.0.2.10 port 46038 [preauth]",
                      "<38>Mar  7 18:53:20 bar sshd[1556]: pam_unix(sshd:session): session opened for user rda by (uid=0)",
                      "<38>Mar  7 18:53:20 bar cron[1]: Accepted password for x from 1.2.3.4 port 1 ssh2"] {
            #expect(event(other) == nil, "\(other)")
        }
    }

    @Test("sshd injection: a user name holding ' from <ip> port <n> ssh2' stays the user's; the address is the last one")
    func sshdInjection() throws {
        let hostile = try #require(event("<38>Nov 11 08:04:52 redbamboo sshd[2737]: Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2"))
        #expect(hostile.sourceIPAddress == "127.0.0.1")
        #expect(hostile.userIdentity?.email == "test from 10.10.1.2 port 55555 ssh2")
    }

    @Test("sudo: a command run, wrong passwords (401) and a user not in sudoers (403), with the target user as run_as")
    func sudo() throws {
        let ran = try #require(event("<85>Nov 22 16:55:25 localhost sudo[931]:    mael : TTY=pts/0 ; PWD=/home/mael ; USER=root ; COMMAND=/sbin/ss -alnpt"))
        #expect(ran.actionName == "sudo" && ran.userIdentity?.email == "mael" && ran.response?.statusCode == 200)
        #expect(ran.identityMetadata?.runAs == "root" && ran.identityMetadata?.runBy == "mael")
        #expect(ran.requestParams?.contains { $0 == ("command", "/sbin/ss -alnpt") } == true)
        #expect(ran.requestParams?.contains { $0 == ("tty", "pts/0") } == true)
        let wrong = try #require(event("<85>Nov 22 16:55:19 localhost sudo[924]:    mael : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/mael ; USER=root ; COMMAND=/sbin/ss -alnpt"))
        #expect(wrong.response?.statusCode == 401 && wrong.response?.errorMessage == "3 incorrect password attempts")
        let refused = try #require(event("<85>Nov 22 16:55:19 localhost sudo[924]:     eve : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh"))
        #expect(refused.response?.statusCode == 403)
        #expect(event("<85>Nov 22 16:55:25 localhost sudo[931]: pam_unix(sudo:session): session opened for user root(uid=0) by mael(uid=1000)") == nil)
    }

    @Test("sudo injection: arguments holding ' ; COMMAND=', ' ; USER=' or ' ; x' change neither the command, the target user nor the outcome")
    func sudoInjection() throws {
        let command = try #require(event("<85>Nov 22 16:55:25 h sudo[1]:    mael : TTY=pts/0 ; PWD=/home/mael ; USER=root ; COMMAND=/usr/bin/less /etc/shadow ; COMMAND=/bin/true"))
        #expect(command.requestParams?.contains { $0 == ("command", "/usr/bin/less /etc/shadow ; COMMAND=/bin/true") } == true)
        let user = try #require(event("<85>Nov 22 16:55:25 h sudo[1]:    mael : TTY=pts/0 ; PWD=/home/mael ; USER=root ; COMMAND=/bin/id ; USER=nobody"))
        #expect(user.identityMetadata?.runAs == "root")
        let reason = try #require(event("<85>Nov 22 16:55:25 h sudo[1]:    mael : TTY=pts/0 ; PWD=/home/mael ; USER=root ; COMMAND=/bin/id ; x"))
        #expect(reason.response?.statusCode == 200 && reason.response?.errorMessage == nil)
        let directory = try #require(event("<85>Nov 22 16:55:25 h sudo[1]:    mael : TTY=pts/0 ; PWD=/tmp/a ; USER=nobody ; USER=root ; COMMAND=/bin/id"))
        #expect(directory.identityMetadata?.runAs == "root")
    }

    @Test("listen addresses: udp:// or tcp:// with a port; anything else is refused")
    func listens() throws {
        let udp = try SyslogReceiver.Listen("udp://0.0.0.0:5514")
        #expect(udp.transport == .udp && udp.host == "0.0.0.0" && udp.port == 5514)
        #expect(try SyslogReceiver.Listen("tcp://[::1]:6514").host == "::1")
        for bad in ["5514", "http://x:1", "udp://x", "tcp://x:99999"] {
            #expect(throws: VigilError.self, "\(bad)") { try SyslogReceiver.Listen(bad) }
        }
    }
}

/// RFC 6587 framing on a TCP stream, through the decoder in a channel pipeline.
struct SyslogFramingTests {
    func frames(_ chunks: [String]) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SyslogFrameDecoder()))
        for chunk in chunks { try channel.writeInbound(ByteBuffer(string: chunk)) }
        var out: [String] = []
        while var frame = try channel.readInbound(as: ByteBuffer.self) { out.append(frame.readString(length: frame.readableBytes) ?? "") }
        return out
    }

    @Test("octet-counted and newline frames on one stream, split anywhere; lengths count bytes; CR LF is one end")
    func framing() throws {
        #expect(try frames(["12 <13>1 - é -", "5 <1>ab", "<13>plain line\r\n<14>next\n"]) == ["<13>1 - é -", "<1>ab", "<13>plain line", "<14>next"])
        #expect(try frames(["7 <13>", "1 x"]) == ["<13>1 x"])
        #expect(try frames(["<13>no end yet"]) == [])
    }

    @Test("a length that is not a number, or a frame over 64 KiB, is an error (the connection is closed)")
    func refusals() {
        #expect(throws: (any Error).self) { try frames(["99999999 x"]) }
        #expect(throws: (any Error).self) { try frames(["12345678x"]) }
        #expect(throws: (any Error).self) { try frames(["<13>" + String(repeating: "x", count: 70_000)]) }
    }
}
