import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import VigilCore

/// The SMTP relay email destinations go through (`vigil serve --smtp-server host:port --smtp-from address`).
public struct SMTPSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var from: String
    /// The name Vigil gives in EHLO.
    public var heloName: String
    public var timeout: Duration

    public init(host: String, port: Int, from: String, heloName: String = "vigil.localdomain", timeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.from = from
        self.heloName = heloName
        self.timeout = timeout
    }

    /// `host:port` (port 25 when absent).
    public static func parse(server: String, from: String) throws -> SMTPSettings {
        let parts = server.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty else {
            throw VigilError(.invalidParameter, "--smtp-server must be host or host:port, not '\(server.prefix(128))'")
        }
        let port = parts.count == 2 ? Int(parts[1]) : 25
        guard let port, (1...65535).contains(port) else {
            throw VigilError(.invalidParameter, "--smtp-server's port must be a number from 1 to 65535")
        }
        guard EmailAddress.isValid(from) else {
            throw VigilError(.invalidParameter, "--smtp-from must be an email address (name@domain), not '\(from.prefix(128))'")
        }
        return SMTPSettings(host: String(parts[0]), port: port, from: from)
    }
}

/// What an SMTP server answered that ended a delivery.
public struct SMTPFailure: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reply: String
    /// 4xx replies and lost connections are worth retrying; 5xx are not.
    public var permanent: Bool { code >= 500 }
    public var description: String { "SMTP \(code) \(reply.prefix(300))" }
}

/// A plain-text mail over SMTP (RFC 5321): EHLO, MAIL FROM, one RCPT TO per recipient, DATA with dot-stuffing, QUIT.
/// Plain TCP to a relay: STARTTLS is not spoken yet (the relay on the same host or network is the expected setup).
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
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPFailure(code: 421, reply: "cannot connect to \(settings.host):\(settings.port): \(error)")
        }
        try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            func reply() async throws -> (code: Int, text: String) {
                var text = ""
                while true {
                    guard var line = try await lines.next() else { throw SMTPFailure(code: 421, reply: "the server closed the connection") }
                    let string = line.readString(length: line.readableBytes) ?? ""
                    guard string.count >= 3, let code = Int(string.prefix(3)) else {
                        throw SMTPFailure(code: 421, reply: "not an SMTP reply: \(string.prefix(100))")
                    }
                    text += (text.isEmpty ? "" : " ") + string.dropFirst(4)
                    if string.count == 3 || string[string.index(string.startIndex, offsetBy: 3)] != "-" { return (code, text) }
                }
            }
            func expect(_ accepted: ClosedRange<Int>, after command: String?) async throws {
                if let command { try await outbound.write(ByteBuffer(string: command + "\r\n")) }
                let answer = try await reply()
                guard accepted.contains(answer.code) else { throw SMTPFailure(code: answer.code, reply: answer.text) }
            }
            try await expect(220...220, after: nil)
            try await expect(250...250, after: "EHLO \(settings.heloName)")
            try await expect(250...250, after: "MAIL FROM:<\(settings.from)>")
            var accepted = 0
            var lastRefusal: SMTPFailure?
            for recipient in recipients {
                do {
                    try await expect(250...251, after: "RCPT TO:<\(recipient)>")
                    accepted += 1
                } catch let failure as SMTPFailure where failure.code >= 400 && failure.code < 600 {
                    lastRefusal = failure
                }
            }
            if accepted == 0 {
                throw lastRefusal ?? SMTPFailure(code: 554, reply: "no recipients")
            }
            try await expect(354...354, after: "DATA")
            try await outbound.write(ByteBuffer(string: message + ".\r\n"))
            try await expect(250...250, after: nil)
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
            _ = try? await reply()
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
