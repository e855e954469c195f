import NIOPosix
import NIOSSL
import Testing
import VigilCore
import VigilTesting
@testable import VigilNotify

/// The mail path against a scripted SMTP server on 127.0.0.1: what is sent, and how each refusal a relay can make
/// becomes delivered, retried or failed.
struct SMTPClientTests {
    static func settings(_ receiver: SMTPReceiver) -> SMTPSettings {
        SMTPSettings(host: "127.0.0.1", port: receiver.port, from: "vigil@x.co")
    }

    static func failure(_ body: () async throws -> Void) async -> SMTPFailure? {
        do {
            try await body()
            return nil
        } catch let failure as SMTPFailure {
            return failure
        } catch {
            Issue.record("not an SMTP failure: \(error)")
            return nil
        }
    }

    @Test("a mail: EHLO, MAIL FROM, a RCPT TO per address, DATA dot-stuffed, QUIT")
    func sends() async throws {
        try await SMTPReceiver.run { receiver in
            try await SMTPClient.send(Self.settings(receiver), to: ["a@x.co", "b@x.co"], subject: "Hi", body: ".hidden\nline")
            let message = try #require(receiver.messages.first)
            #expect(message.from == "MAIL FROM:<vigil@x.co>")
            #expect(message.recipients == ["RCPT TO:<a@x.co>", "RCPT TO:<b@x.co>"])
            #expect(message.data.contains("Subject: Hi\r\n"))
            #expect(message.data.hasSuffix("\r\n..hidden\r\nline"))
            #expect(receiver.commands.first == "EHLO vigil.localdomain")
            #expect(receiver.commands.last == "QUIT")
        }
    }

    @Test("one recipient refused: the others get it; all refused: failed for good (5xx) or retried (4xx)")
    func recipients() async throws {
        try await SMTPReceiver.run(replies: ["RCPT TO:<b@x.co>": "550 no such user"]) { receiver in
            try await SMTPClient.send(Self.settings(receiver), to: ["a@x.co", "b@x.co"], subject: "s", body: "b")
            #expect(receiver.messages.first?.recipients == ["RCPT TO:<a@x.co>"])
            let failure = await Self.failure { try await SMTPClient.send(Self.settings(receiver), to: ["b@x.co"], subject: "s", body: "b") }
            #expect(failure?.code == 550)
            #expect(failure?.permanent == true)
            #expect(failure?.description == "SMTP 550 no such user")
        }
        try await SMTPReceiver.run(replies: ["RCPT": "451 try later"]) { receiver in
            let failure = await Self.failure { try await SMTPClient.send(Self.settings(receiver), to: ["a@x.co"], subject: "s", body: "b") }
            #expect(failure?.code == 451)
            #expect(failure?.permanent == false)
            #expect(receiver.messages.isEmpty)
        }
    }

    @Test("refusals at each step: a 421 greeting, MAIL FROM refused, DATA refused, the message refused after DATA")
    func steps() async throws {
        let cases: [([String: String], String, Int)] = [
            ([:], "421 too busy", 421),
            (["MAIL FROM": "553 sender not allowed"], "220 test", 553),
            (["DATA": "452 out of space"], "220 test", 452),
            (["END": "554 spam"], "220 test", 554),
        ]
        for (replies, greeting, code) in cases {
            try await SMTPReceiver.run(replies: replies, greeting: greeting) { receiver in
                let failure = await Self.failure { try await SMTPClient.send(Self.settings(receiver), to: ["a@x.co"], subject: "s", body: "b") }
                #expect(failure?.code == code, "\(replies) \(greeting)")
                #expect(failure?.permanent == (code >= 500))
                #expect(receiver.messages.isEmpty)
            }
        }
    }

    @Test("no relay listening is a retry, naming the address")
    func unreachable() async throws {
        let port = try await SMTPReceiver.run { $0.port }
        let failure = await Self.failure {
            try await SMTPClient.send(SMTPSettings(host: "127.0.0.1", port: port, from: "vigil@x.co"), to: ["a@x.co"], subject: "s", body: "b")
        }
        #expect(failure?.permanent == false)
        #expect(failure?.description.contains("cannot connect to 127.0.0.1:\(port)") == true)
    }

    @Test("a relay that accepts and never greets is a retry once the timeout passes, not a send held for ever")
    func silentRelay() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        var settings = SMTPSettings(host: "127.0.0.1", port: server.localAddress!.port!, from: "vigil@x.co")
        settings.timeout = .seconds(1)
        let started = ContinuousClock.now
        let failure = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
        #expect(failure?.code == 421 && failure?.permanent == false)
        #expect(failure?.description.contains("no answer within") == true, "\(failure?.description ?? "")")
        #expect(ContinuousClock.now - started < .seconds(60), "the timeout ended the send")
    }

    /// A self-signed certificate for 127.0.0.1, the server's TLS context, and client settings that trust it.
    static func tls(_ folder: TemporaryDirectory) async throws -> (server: NIOSSLContext, certificate: String) {
        let (certificate, key) = try await ExternalCommand.selfSignedCertificate(in: folder, stem: "relay", commonName: "relay")
        return (try SMTPReceiver.Security.context(certificate: certificate, key: key), certificate)
    }

    @Test("STARTTLS when offered, EHLO again, then AUTH PLAIN inside TLS: the mail arrives encrypted and signed in")
    func startTLSAndPlain() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (context, certificate) = try await Self.tls(folder)
        try await SMTPReceiver.run(security: .init(tls: context, credentials: ("vigil", "s3cret"))) { receiver in
            var settings = Self.settings(receiver)
            settings.username = "vigil"
            settings.password = "s3cret"
            settings.caCertificatePath = certificate
            try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b")
            let message = try #require(receiver.messages.first)
            #expect(message.encrypted)
            #expect(message.user == "vigil")
            #expect(receiver.commands.prefix(3) == ["EHLO vigil.localdomain", "STARTTLS", "EHLO vigil.localdomain"])
            #expect(receiver.commands[3].hasPrefix("AUTH PLAIN "))
            #expect(!"\(settings)".contains("s3cret"))
            // The wrong password is refused for good, with the relay's words.
            settings.password = "wrong"
            let failure = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
            #expect(failure?.code == 535)
            #expect(failure?.permanent == true)
            #expect(failure?.description.contains("wrong") == false)
        }
    }

    @Test("TLS from the first byte (--smtp-tls tls) with AUTH LOGIN when the relay offers only LOGIN")
    func implicitTLSAndLogin() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (context, certificate) = try await Self.tls(folder)
        try await SMTPReceiver.run(security: .init(tls: context, implicitTLS: true, credentials: ("vigil", "s3cret"), mechanisms: ["LOGIN"])) { receiver in
            var settings = Self.settings(receiver)
            settings.security = .tls
            settings.username = "vigil"
            settings.password = "s3cret"
            settings.caCertificatePath = certificate
            try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b")
            #expect(receiver.messages.first?.encrypted == true)
            #expect(receiver.messages.first?.user == "vigil")
            #expect(receiver.commands.contains("AUTH LOGIN"))
        }
    }

    @Test("refusals: a password never goes over plain TCP; starttls required but not offered; a certificate not trusted; no common AUTH")
    func securityRefusals() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (context, certificate) = try await Self.tls(folder)
        // A relay without STARTTLS: the password is not sent, and nothing is.
        try await SMTPReceiver.run(security: .init(credentials: ("vigil", "s3cret"))) { receiver in
            var settings = Self.settings(receiver)
            settings.username = "vigil"
            settings.password = "s3cret"
            let failure = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
            #expect(failure?.permanent == true)
            #expect(failure?.description.contains("refusing to send the SMTP password over a connection without TLS") == true)
            #expect(!receiver.commands.contains { $0.hasPrefix("AUTH") })
            settings.username = nil
            settings.security = .starttls
            let required = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
            #expect(required?.description.contains("does not offer STARTTLS") == true)
            #expect(receiver.messages.isEmpty)
        }
        // A certificate signed by no CA Vigil trusts: opportunistic `auto` still encrypts; `starttls` refuses it.
        try await SMTPReceiver.run(security: .init(tls: context)) { receiver in
            try await SMTPClient.send(Self.settings(receiver), to: ["a@x.co"], subject: "s", body: "b")
            #expect(receiver.messages.first?.encrypted == true)
        }
        try await SMTPReceiver.run(security: .init(tls: context)) { receiver in
            var settings = Self.settings(receiver)
            settings.security = .starttls
            let failure = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
            #expect(failure?.permanent == true)
            #expect(failure?.description.contains("TLS with 127.0.0.1:\(receiver.port) failed") == true, "\(String(describing: failure))")
            #expect(receiver.messages.isEmpty)
        }
        // Lines slipped in after the relay's 220 to STARTTLS, before TLS: refused (they could answer for the relay).
        try await SMTPReceiver.run(replies: ["STARTTLS": "220 ready\r\n250 injected"], security: .init(tls: context)) { receiver in
            var settings = Self.settings(receiver)
            settings.caCertificatePath = certificate
            let failure = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
            #expect(failure?.description.contains("possible injection") == true, "\(String(describing: failure))")
            #expect(receiver.messages.isEmpty)
        }
        // A relay repeating the AUTH command in its refusal: the reply (and the credentials in it) is not kept.
        try await SMTPReceiver.run(replies: ["AUTH": "535 5.7.8 bad: AUTH PLAIN AHZpZ2lsAHMzY3JldA=="], security: .init(tls: context, credentials: ("vigil", "s3cret"))) { receiver in
            var settings = Self.settings(receiver)
            settings.username = "vigil"
            settings.password = "s3cret"
            settings.caCertificatePath = certificate
            let failure = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
            #expect(failure?.code == 535)
            #expect(failure?.description == "SMTP 535 the relay refused the sign-in as vigil (its reply is not shown: it may repeat the credentials)")
        }
        // Encrypted, but the relay offers CRAM-MD5 only.
        try await SMTPReceiver.run(security: .init(tls: context, credentials: ("vigil", "s3cret"), mechanisms: ["CRAM-MD5"])) { receiver in
            var settings = Self.settings(receiver)
            settings.username = "vigil"
            settings.password = "s3cret"
            settings.caCertificatePath = certificate
            let failure = await Self.failure { try await SMTPClient.send(settings, to: ["a@x.co"], subject: "s", body: "b") }
            #expect(failure?.description == "SMTP 554 the relay offers neither AUTH PLAIN nor AUTH LOGIN (it offers: CRAM-MD5)")
        }
        // A CA file that cannot be read.
        let missing = await Self.failure {
            try await SMTPClient.send(SMTPSettings(host: "127.0.0.1", port: 9, from: "vigil@x.co", caCertificatePath: folder.file("none.pem")),
                                      to: ["a@x.co"], subject: "s", body: "b")
        }
        #expect(missing?.description.contains("cannot read the CA certificates in") == true)
    }

    @Test("a certificate problem fails for good; a handshake cut short is retried like a lost connection")
    func tlsErrorKinds() {
        #expect(SMTPClient.isCertificateProblem(NIOSSLExtraError.failedToValidateHostname))
        #expect(!SMTPClient.isCertificateProblem(NIOSSLError.uncleanShutdown))
    }
}
