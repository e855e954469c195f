import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// A scripted SMTP server on 127.0.0.1 for tests of the mail path: it speaks the RFC 5321 dialogue, keeps what it was
/// sent, and answers a command with a scripted reply when one is set (`RCPT TO:<b@x.co>` → `550 no such user`), so
/// each refusal a relay can make is tested against a real socket. (`scripts/check-notifications` checks the same
/// client against aiosmtpd.)
public final class SMTPReceiver: Sendable {
    public struct Message: Sendable {
        public var from: String
        public var recipients: [String]
        /// The DATA section as received (dot-stuffed, CRLF line ends), without the final ".".
        public var data: String
    }

    private let state = Mutex<(messages: [Message], commands: [String])>(([], []))
    /// Replies by command prefix (`"RCPT TO:<b@x.co>"`, `"DATA"`, `"MAIL FROM"`); `greeting` replaces the 220.
    private let replies: [String: String]
    private let greeting: String
    public let port: Int

    public var messages: [Message] { state.withLock { $0.messages } }
    public var commands: [String] { state.withLock { $0.commands } }

    init(port: Int, replies: [String: String], greeting: String) {
        self.port = port
        self.replies = replies
        self.greeting = greeting
    }

    public static func run<T: Sendable>(replies: [String: String] = [:], greeting: String = "220 test ESMTP",
                                        _ body: @Sendable (SMTPReceiver) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let receiver = SMTPReceiver(port: server.channel.localAddress?.port ?? 0, replies: replies, greeting: greeting)
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
        try await client.executeThenClose { inbound, outbound in
            func send(_ line: String) async throws { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
            try await send(greeting)
            guard greeting.hasPrefix("220") else { return }
            var from = ""
            var recipients: [String] = []
            var data: [String]? = nil
            for try await var line in inbound {
                let text = line.readString(length: line.readableBytes)?.trimmingSuffix("\r") ?? ""
                if var lines = data {
                    if text == "." {
                        data = nil
                        let answer = reply(to: "END", otherwise: "250 queued")
                        if answer.hasPrefix("250") {
                            state.withLock { $0.messages.append(Message(from: from, recipients: recipients, data: lines.joined(separator: "\r\n"))) }
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
                case "EHLO", "HELO": try await send(reply(to: text, otherwise: "250-test\r\n250 8BITMIME"))
                case "MAIL":
                    from = text
                    recipients = []
                    try await send(reply(to: text, otherwise: "250 ok"))
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
