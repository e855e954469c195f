import Foundation
import NIOCore
import NIOPosix
import Testing
import VigilCore
import VigilStore
import VigilTesting
@testable import VigilExport

/// The syslog forwarder's TCP send against peers that misbehave: one that accepts and never reads fails the batch
/// within the send timeout (it is retried, never held); one that refuses connections fails at once, naming itself.
@Suite("Syslog send bounds")
struct SyslogSendTests {
    @Test("a receiver that accepts and never reads fails the batch within the send timeout", .timeLimit(.minutes(2)))
    func stalledReceiver() async throws {
        // A listener whose accepted connections are never read: the batch fills the socket buffers and stalls.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4096)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        var forwarder = try SyslogForwarder(transport: .tcp, host: "127.0.0.1", port: server.localAddress!.port!, hostname: "vigil-test", caCertificatePath: nil)
        forwarder.sendTimeout = .seconds(2)
        forwarder.minimumRate = 1 << 30  // the batch's size adds nothing to the bound
        let events = (0..<40_000).map { StoredEvent(seq: Int64($0), event: EventFixtures.event($0, endMillis: 1_796_000_000_000), receivedMillis: 0) }
        let started = ContinuousClock.now
        do {
            try await forwarder.send(events)
            Issue.record("a batch that was never read counted as sent")
        } catch let error as VigilError {
            #expect(error.message.contains("syslog tcp://127.0.0.1:") && error.message.contains("the send failed"), "\(error.message)")
        }
        // The bound, not the batch, decides (an unbounded write waits for ever). Generous: the full suite on two
        // cores was seen to run a 5 s wait 12 s late.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("a receiver that reads everything but never closes its side: the batch counts as sent after the 5 s wait, not failed by the bound",
          .timeLimit(.minutes(3)))
    func receiverNeverCloses() async throws {
        // Reads (and drops) every byte, and keeps the connection open after the sender's half-close.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        var forwarder = try SyslogForwarder(transport: .tcp, host: "127.0.0.1", port: server.localAddress!.port!, hostname: nil, caCertificatePath: nil)
        // Far above the 5 s wait: had the wait not ended by itself, this bound would close the channel and the send
        // would throw.
        forwarder.sendTimeout = .seconds(120)
        try await forwarder.send([StoredEvent(seq: 0, event: EventFixtures.event(0, endMillis: 1_796_000_000_000), receivedMillis: 0)])
    }

    @Test("a receiver that is not listening fails the batch at once, naming the destination")
    func refusedConnection() async throws {
        let forwarder = try SyslogForwarder(transport: .tcp, host: "127.0.0.1", port: 9, hostname: nil, caCertificatePath: nil)
        let event = StoredEvent(seq: 0, event: EventFixtures.event(0, endMillis: 1_796_000_000_000), receivedMillis: 0)
        do {
            try await forwarder.send([event])
            Issue.record("a refused connection counted as sent")
        } catch let error as VigilError {
            #expect(error.message.hasPrefix("syslog tcp://127.0.0.1:9: cannot connect"), "\(error.message)")
        }
    }
}
