import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import VigilCore
import VigilExport
import VigilStore
import VigilTesting

/// (s) forwarding throughput from a stored log: syslog over TCP to a local sink that counts the bytes it reads,
/// and NDJSON webhook batches to a local HTTP receiver.
enum ForwardBenchmark {
    static func run(database: VigilDatabase, events: Int) async throws {
        let sink = try await ByteSink.start()
        defer { try? sink.channel.close().wait() }
        let syslog = try SyslogForwarder(transport: .tcp, host: "127.0.0.1", port: sink.port, hostname: "bench", caCertificatePath: nil)
        try await measure("syslog over TCP (octet counting) to a local sink", database: database, forwarder: syslog, batch: 500, limit: events)
        print(String(format: "    (the sink read %.1f MB)", Double(sink.bytes) / 1e6))
        let webhookEvents = min(events, 50_000)
        try await WebhookReceiver.run { receiver in
            let hook = WebhookForwarder(url: receiver.url + "/in", signingSecret: "bench")
            try await measure("HMAC-signed NDJSON webhook to a local receiver", database: database, forwarder: hook, batch: 500, limit: webhookEvents)
        }
    }

    static func measure(_ what: String, database: VigilDatabase, forwarder: any Forwarder, batch: Int, limit: Int) async throws {
        var configuration = ForwardConfiguration(name: "bench-\(RandomID.hex(byteCount: 4))", url: "bench://\(what)")
        configuration.batchEvents = batch
        let service = ForwardService(configuration: configuration, forwarder: forwarder, database: database, clock: SystemWallClock(),
                                     logger: Logger(label: "bench"))
        try await service.prepare()
        let began = ContinuousClock.now
        while service.stats.events < limit, try await service.forwardBatch() {}
        let seconds = (ContinuousClock.now - began).seconds
        print(String(format: "(s) forwarding, %@: %.0f events/s (%d events in %.2f s, %d-event batches)",
                     what, Double(service.stats.events) / seconds, service.stats.events, seconds, batch))
    }
}

/// A TCP listener that reads and counts bytes, and discards them.
final class ByteSink: Sendable {
    let channel: Channel
    let counter: Counter
    var port: Int { channel.localAddress?.port ?? 0 }
    var bytes: Int { counter.bytes.load(ordering: .relaxed) }

    private init(channel: Channel, counter: Counter) {
        self.channel = channel
        self.counter = counter
    }

    static func start() async throws -> ByteSink {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in child.pipeline.addHandler(counter) }
            .bind(host: "127.0.0.1", port: 0).get()
        return ByteSink(channel: channel, counter: counter)
    }

    final class Counter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Atomic<Int>(0)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bytes.add(unwrapInboundIn(data).readableBytes, ordering: .relaxed)
        }
    }
}
