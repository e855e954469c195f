import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization

/// A scripted SMTP server on 127.0.0.1 for tests of the mail path: it speaks the RFC 5321 dialogue, keeps what it was
/// sent, and answers a command with a scripted reply when one is set (`RCPT TO:<b@x.co>` → `550 no such user`), so
/// each refusal a relay can make is tested against a real socket. With `tls` it offers STARTTLS (or, with
/// `implicitTLS`, speaks TLS from the first byte); with `credentials` it offers AUTH (`mechanisms`) once encrypted.
/// (`scripts/check-notifications` checks the same client against aiosmtpd.)
public final class SMTPReceiver: Sendable {
    public struct Message: Sendable {
        public var from: String
        public var recipients: [String]
        /// The DATA section as received (dot-stuffed, CRLF line ends), without the final ".".
        public var data: String
        /// Whether it came over TLS, and the user who signed in to send it.
        public var encrypted: Bool
        public var user: String?
    }

    public struct Security: Sendable {
        public var tls: NIOSSLContext?
        public var implicitTLS = false
        public var credentials: (user: String, password: String)?
        public var mechanisms = ["PLAIN", "LOGIN"]
        public init(tls: NIOSSLContext? = nil, implicitTLS: Bool = false, credentials: (user: String, password: String)? = nil,
                    mechanisms: [String] = ["PLAIN", "LOGIN"]) {
            self.tls = tls
            self.implicitTLS = implicitTLS
            self.credentials = credentials
            self.mechanisms = mechanisms
        }

        /// A server context for a certificate and key in PEM files.
        public static func context(certificate: String, key: String) throws -> NIOSSLContext {
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
        }
    }

    private let state = Mutex<(messages: [Message], commands: [String])>(([], []))
    /// Replies by command prefix (`"RCPT TO:<b@x.co>"`, `"DATA"`, `"MAIL FROM"`); `greeting` replaces the 220.
    private let replies: [String: String]
    private let greeting: String
    private let security: Security
    public let port: Int

    public var messages: [Message] { state.withLock { $0.messages } }
    public var commands: [String] { state.withLock { $0.commands } }

    init(port: Int, replies: [String: String], greeting: String, security: Security) {
        self.port = port
        self.replies = replies
        self.greeting = greeting
        self.security = security
    }

    public static func run<T: Sendable>(replies: [String: String] = [:], greeting: String = "220 test ESMTP", security: Security = .init(),
                                        _ body: @Sendable (SMTPReceiver) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if security.implicitTLS, let tls = security.tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let receiver = SMTPReceiver(port: server.channel.localAddress?.port ?? 0, replies: replies, greeting: greeting, security: security)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { clients in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await client in clients {
                            connections.addTask { try? await receiver.serve(client) }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            return try await body(receiver)
        }
    }

    func reply(to command: String, otherwise fallback: String) -> String {
        replies.first { command.uppercased().hasPrefix($0.key.uppercased()) }?.value ?? fallback
    }

    func serve(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        let channel = client.channel
        try await client.executeThenClose { inbound, outbound in
            func send(_ line: String) async throws { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
            var lines = inbound.makeAsyncIterator()
            func next() async throws -> String? {
                guard var line = try await lines.next() else { return nil }
                return line.readString(length: line.readableBytes)?.trimmingSuffix("\r") ?? ""
            }
            try await send(greeting)
            guard greeting.hasPrefix("220") else { return }
            var encrypted = security.implicitTLS
            var user: String?
            var from = ""
            var recipients: [String] = []
            var data: [String]? = nil
            while let text = try await next() {
                if var lines = data {
                    if text == "." {
                        data = nil
                        let answer = reply(to: "END", otherwise: "250 queued")
                        if answer.hasPrefix("250") {
                            let message = Message(from: from, recipients: recipients, data: lines.joined(separator: "\r\n"), encrypted: encrypted, user: user)
                            state.withLock { $0.messages.append(message) }
                        }
                        try await send(answer)
                    } else {
                        lines.append(text)
                        data = lines
                    }
                    continue
                }
                state.withLock { $0.commands.append(text) }
                let verb = text.split(separator: " ").first.map { $0.uppercased() } ?? ""
                switch verb {
                case "EHLO", "HELO":
                    var offered = ["250-test"]
                    if security.tls != nil, !encrypted { offered.append("250-STARTTLS") }
                    if security.credentials != nil, encrypted || security.tls == nil { offered.append("250-AUTH " + security.mechanisms.joined(separator: " ")) }
                    offered.append("250 8BITMIME")
                    try await send(reply(to: text, otherwise: offered.joined(separator: "\r\n")))
                case "STARTTLS":
                    guard let tls = security.tls, !encrypted else {
                        try await send("502 not offered")
                        continue
                    }
                    try await send(reply(to: text, otherwise: "220 ready"))
                    try await channel.eventLoop.submit {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                    }.get()
                    encrypted = true
                case "AUTH":
                    if let scripted = replies.first(where: { text.uppercased().hasPrefix($0.key.uppercased()) })?.value {
                        try await send(scripted)
                        continue
                    }
                    let words = text.split(separator: " ").map(String.init)
                    var given: (String, String)?
                    if words.count == 3, words[1].uppercased() == "PLAIN", let decoded = Data(base64Encoded: words[2]) {
                        let parts = decoded.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                        if parts.count == 3 { given = (parts[1], parts[2]) }
                    } else if words.count == 2, words[1].uppercased() == "LOGIN" {
                        try await send("334 VXNlcm5hbWU6")
                        let name = try await next().flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
                        try await send("334 UGFzc3dvcmQ6")
                        let password = try await next().flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
                        if let name, let password { given = (name, password) }
                    }
                    if let given, let expected = security.credentials, given.0 == expected.user, given.1 == expected.password {
                        user = given.0
                        try await send("235 authenticated")
                    } else {
                        try await send("535 authentication failed")
                    }
                case "MAIL":
                    from = text
                    recipients = []
                    try await send(reply(to: text, otherwise: security.credentials != nil && user == nil ? "530 authentication required" : "250 ok"))
                case "RCPT":
                    let answer = reply(to: text, otherwise: "250 ok")
                    if answer.hasPrefix("25") { recipients.append(text) }
                    try await send(answer)
                case "DATA":
                    let answer = reply(to: text, otherwise: "354 go ahead")
                    if answer.hasPrefix("354") { data = [] }
                    try await send(answer)
                case "QUIT":
                    try await send("221 bye")
                    return
                default: try await send("502 not implemented")
                }
            }
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
