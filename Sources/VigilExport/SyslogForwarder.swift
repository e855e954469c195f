import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import VigilCore
import VigilStore

/// Sends events as RFC 5424 messages: over TCP or TLS (RFC 5425) octet-counted (RFC 6587), one connection per
/// batch, the batch taken as sent once the last byte is written; or over UDP (RFC 5426), one datagram each.
public struct SyslogForwarder: Forwarder {
    public let transport: ForwardConfiguration.SyslogTransport
    public let host: String
    public let port: Int
    public let hostname: String
    let tls: NIOSSLContext?
    /// How long a TCP or TLS batch may take to be written: `sendTimeout`, plus a second for each `minimumRate` bytes
    /// of the batch (so a large batch over a slow link is not failed for ever). A receiver that accepts and stops
    /// reading fails the batch (it is retried) instead of holding the destination, and a server stop, for ever.
    var sendTimeout: Duration = .seconds(30)
    var minimumRate = 64 << 10

    public init(transport: ForwardConfiguration.SyslogTransport, host: String, port: Int, hostname: String?, caCertificatePath: String?) throws {
        self.transport = transport
        self.host = host
        self.port = port
        self.hostname = hostname ?? ProcessInfo.processInfo.hostName
        if transport == .tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let caCertificatePath {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificatePath))
            }
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
    }

    public func send(_ events: [StoredEvent]) async throws {
        let messages = events.map { SyslogFormat.message($0.event, hostname: hostname) }
        switch transport {
        case .udp: try await sendDatagrams(messages)
        case .tcp, .tls: try await sendStream(messages)
        }
    }

    private func sendStream(_ messages: [[UInt8]]) async throws {
        let tls = tls
        let serverName = host
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            // No SNI for an IP address (v4 or v6); the certificate is then checked against the address.
                            let isAddress = (try? SocketAddress(ipAddress: serverName, port: 0)) != nil
                            let name = isAddress ? nil : serverName
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                        }
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw VigilError(.unavailable, "syslog \(transport.rawValue)://\(host):\(port): cannot connect: \(error)")
        }
        var buffer = channel.allocator.buffer(capacity: messages.reduce(0) { $0 + $1.count + 8 })
        for message in messages { buffer.writeBytes(SyslogFormat.frame(message)) }
        let plain = transport == .tcp
        let frames = buffer
        let limit = sendTimeout + .seconds(frames.readableBytes / max(minimumRate, 1))
        do {
            // Bounded: a receiver that accepts and stops reading fails the batch instead of holding it (and a stop).
            try await Self.within(limit, onExpiry: { channel.close(promise: nil) }) {
                try await channel.writeAndFlush(frames).get()
                if plain {
                    // Half-close, then give the receiver a moment to read to the end and close its side: a receiver
                    // that closes on EOF (rsyslog does) has then read the whole batch.
                    try await channel.close(mode: .output).get()
                    _ = try? await Self.within(.seconds(5), onExpiry: { channel.close(promise: nil) }) { try await channel.closeFuture.get() }
                }
            }
            try? await channel.close().get()
        } catch {
            try? await channel.close().get()
            throw VigilError(.unavailable, "syslog \(transport.rawValue)://\(host):\(port): the send failed: \(error)")
        }
    }

    /// Runs `body`, or throws once `limit` has passed. A task group waits for all its tasks, and a NIO future's
    /// `get()` ignores cancellation, so `onExpiry` must make `body` end (closing the channel fails its pending
    /// write); without it a receiver that stopped reading would hold the send for ever.
    static func within<T: Sendable>(_ limit: Duration, onExpiry: @escaping @Sendable () -> Void,
                                    _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                onExpiry()
                throw VigilError(.unavailable, "not done within \(limit)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private func sendDatagrams(_ messages: [[UInt8]]) async throws {
        let address: SocketAddress
        do { address = try SocketAddress.makeAddressResolvingHost(host, port: port) } catch {
            throw VigilError(.unavailable, "syslog udp://\(host):\(port): cannot resolve the host: \(error)")
        }
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: address.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
        defer { channel.close(promise: nil) }
        for message in messages {
            // RFC 5426: one message per datagram; larger than a datagram can carry, it is cut (and says so).
            let bytes = message.count > 65_000 ? Array(message.prefix(64_990)) + Array("…[cut]".utf8) : message
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer)).get()
        }
    }
}
