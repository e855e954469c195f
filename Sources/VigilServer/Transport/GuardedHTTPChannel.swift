import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's HTTP/1 child channel (with its WebSocket upgrade) behind Vigil's connection cap and, when
/// configured, TLS with a certificate that can be replaced while the server runs: each new connection takes the
/// TLS context current at its start. The first request head has a deadline from the first byte on.
struct GuardedHTTPChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let counter: ConnectionCounter
    let tls: TLSCertificates?
    let headDeadline: TimeAmount
    /// A peer that has not read for this long while the server has data for it is disconnected.
    let writeStall: TimeAmount
    let refused: @Sendable () -> Void
    let headExpired: @Sendable () -> Void
    let writeStalled: @Sendable () -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard(counter: counter, plaintext: tls == nil, refused: refused))
            if let tls {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
            }
            try channel.pipeline.syncOperations.addHandler(FirstHeadDeadlineHandler(deadline: headDeadline, expired: headExpired))
            try channel.pipeline.syncOperations.addHandler(WriteStallHandler(limit: writeStall, stalled: writeStalled))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(FirstRequestErrorHandler())
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
