import NIOCore

/// Closes a connection whose peer stopped reading: once the socket has stayed unwritable (the kernel's send buffer
/// and NIO's high-water mark full) for `limit`, nothing more can reach the peer, so the connection goes. Without it a
/// live-tail follower that never reads would hold its slot, its task and the server's shutdown forever, with its
/// writer suspended in a write that cannot finish.
final class WriteStallHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limit: TimeAmount
    private let stalled: @Sendable () -> Void
    private var timer: Scheduled<Void>?

    init(limit: TimeAmount, stalled: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.stalled = stalled
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            timer?.cancel()
            timer = nil
        } else if timer == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let stalled = stalled
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: limit) {
                let context = loopBound.value
                guard !context.channel.isWritable else { return }
                stalled()
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
