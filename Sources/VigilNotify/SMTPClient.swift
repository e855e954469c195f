import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization
import VigilCore

/// The SMTP relay email destinations use (`vigil serve --smtp-server host:port --smtp-from address`), how the
/// connection is protected (`--smtp-tls`), and the account Vigil signs in with (`--smtp-username`,
/// `VIGIL_SMTP_PASSWORD`).
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    /// `none`: plain SMTP. `auto` (the default): STARTTLS when the relay offers it. `starttls`: STARTTLS or no mail.
    /// `tls`: TLS from the first byte (port 465, "SMTPS").
    public enum Security: String, Sendable, CaseIterable { case none, auto, starttls, tls }

    public var host: String
    public var port: Int
    public var from: String
    /// The name Vigil gives in EHLO.
    public var heloName: String
    public var timeout: Duration
    public var security: Security
    public var username: String?
    /// Never logged or answered: `description` leaves it out.
    public var password: String?
    /// A PEM file of the CAs to trust for the relay's certificate (a private CA); the system's roots otherwise.
    public var caCertificatePath: String?

    public init(host: String, port: Int, from: String, heloName: String = "vigil.localdomain", timeout: Duration = .seconds(30),
                security: Security = .auto, username: String? = nil, password: String? = nil, caCertificatePath: String? = nil) {
        self.host = host
        self.port = port
        self.from = from
        self.heloName = heloName
        self.timeout = timeout
        self.security = security
        self.username = username
        self.password = password
        self.caCertificatePath = caCertificatePath
    }

    public var description: String {
        "smtp \(host):\(port) (\(security.rawValue))\(username.map { " as \($0)" } ?? "")"
    }

    /// `host:port` (port 25 when absent, 465 with `tls`).
    public static func parse(server: String, from: String, security: Security = .auto) throws -> SMTPSettings {
        let parts = server.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty else {
            throw VigilError(.invalidParameter, "--smtp-server must be host or host:port, not '\(server.prefix(128))'")
        }
        let port = parts.count == 2 ? Int(parts[1]) : security == .tls ? 465 : 25
        guard let port, (1...65535).contains(port) else {
            throw VigilError(.invalidParameter, "--smtp-server's port must be a number from 1 to 65535")
        }
        guard EmailAddress.isValid(from) else {
            throw VigilError(.invalidParameter, "--smtp-from must be an email address (name@domain), not '\(from.prefix(128))'")
        }
        return SMTPSettings(host: String(parts[0]), port: port, from: from, security: security)
    }

    /// Whether the relay's certificate is checked. `auto` without an account or a CA file is opportunistic, as
    /// Postfix's `may`: it encrypts when the relay offers STARTTLS but does not insist on a trusted certificate (a
    /// local relay with a self-signed one keeps working, and is no worse than plain SMTP). An account, a CA file,
    /// `starttls` or `tls` always check it.
    var verifiesCertificate: Bool {
        security != .auto || username != nil || caCertificatePath != nil
    }

    /// The TLS client side: TLS 1.2 and up, the relay's certificate checked against the given CAs or the system's,
    /// and against the host Vigil connected to (its name, or its address), unless opportunistic (above).
    func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if !verifiesCertificate { configuration.certificateVerification = .none }
        if let caCertificatePath {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificatePath))
            } catch {
                throw SMTPFailure(code: 554, reply: "cannot read the CA certificates in \(caCertificatePath): \(error)")
            }
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// SNI and the name checked: the host, unless it is an address (then the certificate must name the address).
    var serverHostname: String? {
        host.contains(":") || host.split(separator: ".").allSatisfy({ Int($0) != nil }) ? nil : host
    }
}

/// What an SMTP server answered that ended a delivery.
public struct SMTPFailure: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reply: String
    /// False for Vigil's own refusals (no TLS for a password, no common AUTH mechanism): their text is safe to show.
    public var fromRelay = true
    /// 4xx replies and lost connections are worth retrying; 5xx are not.
    public var permanent: Bool { code >= 500 }
    public var description: String { "SMTP \(code) \(reply.prefix(300))" }
}

/// A plain-text mail over SMTP (RFC 5321): EHLO, STARTTLS (RFC 3207) and EHLO again when the relay offers it or the
/// settings require it, AUTH PLAIN or LOGIN (RFC 4954) only once the connection is encrypted, MAIL FROM, one RCPT TO
/// per recipient, DATA with dot-stuffing, QUIT.
public enum SMTPClient {
    public static func send(_ settings: SMTPSettings, to recipients: [String], subject: String, body: String, headers: [(String, String)] = [],
                            date: Date = Date()) async throws {
        let message = compose(from: settings.from, to: recipients, subject: subject, body: body, headers: headers, date: date)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await converse(settings, recipients: recipients, message: message) }
            group.addTask {
                try await Task.sleep(for: settings.timeout)
                throw SMTPFailure(code: 421, reply: "no answer within \(settings.timeout) from \(settings.host):\(settings.port)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    static func converse(_ settings: SMTPSettings, recipients: [String], message: String) async throws {
        let tls = settings.security == .none ? nil : try settings.tlsContext()
        let counter = LineCounter()
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if settings.security == .tls, let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: settings.serverHostname))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(counter)
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPFailure(code: 421, reply: "cannot connect to \(settings.host):\(settings.port): \(error)")
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var lines = inbound.makeAsyncIterator()
                var dialogue = Dialogue(outbound: outbound, received: counter)
                try await dialogue.run(settings, tls: tls, channel: channel.channel, lines: &lines, recipients: recipients, message: message)
            }
        } catch let failure as SMTPFailure {
            throw failure
        } catch {
            // The pipeline's own first error says more than the write that found the channel closed after it.
            let cause = counter.firstError ?? error
            if cause is NIOSSLError || cause is NIOSSLExtraError || cause is BoringSSLError {
                throw SMTPFailure(code: Self.isCertificateProblem(cause) ? 554 : 421, reply: "TLS with \(settings.host):\(settings.port) failed: \(cause)")
            }
            throw SMTPFailure(code: 421, reply: "the connection to \(settings.host):\(settings.port) failed: \(cause)")
        }
    }

    /// A certificate that is not trusted or names another host is a setting to fix, not a moment to wait out (a
    /// permanent failure); a reset or a cut handshake is retried like any lost connection.
    static func isCertificateProblem(_ error: any Error) -> Bool {
        let text = "\(error)".uppercased()
        return ["CERTIFICATE_VERIFY_FAILED", "CERTIFICATE", "HOSTNAME"].contains { text.contains($0) }
    }

    /// Counts the reply lines the relay has sent (after the line decoder), so the dialogue can tell that nothing
    /// it has not read yet arrived before TLS began; and keeps the first error the pipeline saw (a failed TLS
    /// handshake closes the channel, and the dialogue may only see the write that found it closed).
    final class LineCounter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let count = Atomic<Int>(0)
        private let error = Mutex<(any Error)?>(nil)
        var lines: Int { count.load(ordering: .relaxed) }
        var firstError: (any Error)? { error.withLock { $0 } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            count.add(1, ordering: .relaxed)
            context.fireChannelRead(data)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.error.withLock { if $0 == nil { $0 = error } }
            context.fireErrorCaught(error)
        }
    }

    /// One conversation, step by step.
    struct Dialogue {
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let received: LineCounter
        var encrypted = false
        /// Reply lines read so far.
        var read = 0

        /// A reply's code and its lines' text (a multi-line reply is `250-…` lines and a last `250 …`).
        mutating func reply(_ lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> (code: Int, lines: [String]) {
            var texts: [String] = []
            while true {
                guard var line = try await lines.next() else { throw SMTPFailure(code: 421, reply: "the server closed the connection") }
                read += 1
                let string = line.readString(length: line.readableBytes) ?? ""
                guard string.count >= 3, let code = Int(string.prefix(3)) else {
                    throw SMTPFailure(code: 421, reply: "not an SMTP reply: \(string.prefix(100))")
                }
                texts.append(String(string.dropFirst(4)))
                if string.count == 3 || string[string.index(string.startIndex, offsetBy: 3)] != "-" { return (code, texts) }
            }
        }

        /// Sends `command` (when given) and reads the reply; a code outside `accepted` ends the delivery with the
        /// relay's words (never the command, which may carry credentials).
        @discardableResult
        mutating func expect(_ accepted: ClosedRange<Int>, after command: String?, _ lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator)
            async throws -> [String]
        {
            if let command { try await outbound.write(ByteBuffer(string: command + "\r\n")) }
            let answer = try await reply(&lines)
            guard accepted.contains(answer.code) else { throw SMTPFailure(code: answer.code, reply: answer.lines.joined(separator: " ")) }
            return answer.lines
        }

        mutating func run(_ settings: SMTPSettings, tls: NIOSSLContext?, channel: any Channel,
                          lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, recipients: [String], message: String) async throws {
            encrypted = settings.security == .tls
            try await expect(220...220, after: nil, &lines)
            var capabilities = Self.capabilities(try await expect(250...250, after: "EHLO \(settings.heloName)", &lines))
            if !encrypted, let tls, settings.security == .starttls || (settings.security == .auto && capabilities.contains("STARTTLS")) {
                guard capabilities.contains("STARTTLS") else {
                    throw SMTPFailure(code: 554, reply: "the relay does not offer STARTTLS, which --smtp-tls starttls requires")
                }
                try await expect(220...220, after: "STARTTLS", &lines)
                // Lines that came after the 220 but before TLS were not sent by the relay through TLS: someone in the
                // middle could have put them there to answer for it (the STARTTLS injection of CVE-2011-0411).
                guard received.lines == read else {
                    throw SMTPFailure(code: 554, reply: "the relay sent more after agreeing to STARTTLS; refusing to go on (possible injection)")
                }
                let hostname = settings.serverHostname
                try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname), position: .first)
                }.get()
                encrypted = true
                // RFC 3207: what the relay said before TLS counts for nothing; ask again.
                capabilities = Self.capabilities(try await expect(250...250, after: "EHLO \(settings.heloName)", &lines))
            }
            if let username = settings.username {
                try await authenticate(username: username, password: settings.password ?? "", capabilities: capabilities, &lines)
            }
            try await expect(250...250, after: "MAIL FROM:<\(settings.from)>", &lines)
            var accepted = 0
            var lastRefusal: SMTPFailure?
            for recipient in recipients {
                do {
                    try await expect(250...251, after: "RCPT TO:<\(recipient)>", &lines)
                    accepted += 1
                } catch let failure as SMTPFailure where failure.code >= 400 && failure.code < 600 {
                    lastRefusal = failure
                }
            }
            if accepted == 0 {
                throw lastRefusal ?? SMTPFailure(code: 554, reply: "no recipients")
            }
            try await expect(354...354, after: "DATA", &lines)
            try await outbound.write(ByteBuffer(string: message + ".\r\n"))
            try await expect(250...250, after: nil, &lines)
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
            _ = try? await reply(&lines)
        }

        /// AUTH PLAIN, else LOGIN; never over a connection without TLS. A refusal is reported by its code only: a
        /// relay may repeat the command, and with it the credentials, in its reply.
        mutating func authenticate(username: String, password: String, capabilities: [String],
                                   _ lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws {
            do {
                try await signIn(username: username, password: password, capabilities: capabilities, &lines)
            } catch let failure as SMTPFailure where failure.fromRelay {
                throw SMTPFailure(code: failure.code, reply: "the relay refused the sign-in as \(username) (its reply is not shown: it may repeat the credentials)")
            }
        }

        mutating func signIn(username: String, password: String, capabilities: [String],
                             _ lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws {
            guard encrypted else {
                throw SMTPFailure(code: 554, reply: "refusing to send the SMTP password over a connection without TLS (the relay offers no STARTTLS; see --smtp-tls)", fromRelay: false)
            }
            let mechanisms = Set(capabilities.first { $0.hasPrefix("AUTH ") || $0.hasPrefix("AUTH=") }?.dropFirst(5).split(separator: " ").map(String.init) ?? [])
            if mechanisms.contains("PLAIN") {
                let token = Data([0] + Array(username.utf8) + [0] + Array(password.utf8)).base64EncodedString()
                try await expect(235...235, after: "AUTH PLAIN \(token)", &lines)
            } else if mechanisms.contains("LOGIN") {
                try await expect(334...334, after: "AUTH LOGIN", &lines)
                try await expect(334...334, after: Data(username.utf8).base64EncodedString(), &lines)
                try await expect(235...235, after: Data(password.utf8).base64EncodedString(), &lines)
            } else {
                throw SMTPFailure(code: 554, reply: "the relay offers neither AUTH PLAIN nor AUTH LOGIN (it offers: \(mechanisms.isEmpty ? "none" : mechanisms.sorted().joined(separator: " ")))",
                                  fromRelay: false)
            }
        }

        /// EHLO's lines after the greeting, upper-cased: `STARTTLS`, `AUTH PLAIN LOGIN`, `8BITMIME`.
        static func capabilities(_ lines: [String]) -> [String] {
            lines.dropFirst().map { $0.uppercased() }
        }
    }

    /// The message as sent after DATA: headers, a blank line, the body with CRLF line ends and every line that
    /// starts with "." doubled (dot-stuffing), ending in CRLF.
    static func compose(from: String, to recipients: [String], subject: String, body: String, headers: [(String, String)], date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss +0000"
        var lines = [
            "From: Vigil <\(from)>", "To: \(recipients.joined(separator: ", "))", "Subject: \(encodedHeader(subject))",
            "Date: \(formatter.string(from: date))", "Message-ID: <\(RandomID.hex(byteCount: 12))@vigil>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
        ]
        lines += headers.map { "\($0.0): \(NoticeRendering.headerSafe($0.1))" }
        lines.append("")
        let normalized = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        lines += normalized.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// RFC 2047 encoded words for a header value that is not plain ASCII: each at most 75 characters (45 bytes of
    /// text, never splitting a character), folded onto continuation lines.
    static func encodedHeader(_ text: String) -> String {
        let safe = NoticeRendering.headerSafe(text)
        if safe.unicodeScalars.allSatisfy({ $0.isASCII }) { return safe }
        return NoticeRendering.wrap(safe, bytes: 45).map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }
}
