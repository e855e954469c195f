import NIOCore
import NIOHTTPTypes

/// Deadlines on reading a request, so a client cannot hold a connection by sending slowly: the request head must
/// arrive within `head` of the connection opening (or of the previous response ending), and the whole body within
/// `body` of its head. Past either, the connection is closed. Hummingbird's idle timeout alone restarts at every
/// body chunk, so one byte every few seconds would keep a connection forever.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let head: TimeAmount
    private let body: TimeAmount
    private let expired: @Sendable (_ phase: String) -> Void
    private var timer: Scheduled<Void>?
    /// Requests whose response has not ended yet: no head deadline runs while the server is still answering.
    private var inFlight = 0

    init(head: TimeAmount, body: TimeAmount, expired: @escaping @Sendable (_ phase: String) -> Void) {
        self.head = head
        self.body = body
        self.expired = expired
    }

    private func arm(_ context: ChannelHandlerContext, _ delay: TimeAmount, phase: String) {
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let expired = expired
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            expired(phase)
            loopBound.value.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, head, phase: "head") }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, head, phase: "head")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inFlight += 1
            arm(context, body, phase: "body")
        case .end:
            disarm()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight = max(0, inFlight - 1)
            if inFlight == 0 { arm(context, head, phase: "head") }
        }
        context.write(data, promise: promise)
    }
}
