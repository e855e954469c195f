import NIOCore
import NIOHTTPTypes

/// Deadlines on reading requests, so a client cannot hold a connection by sending slowly or not at all:
/// - the first request head must arrive within `head` of the connection opening;
/// - a body must arrive within `body` of its head, even when the server has already answered (Hummingbird writes
///   an early response, then reads what is left of the body);
/// - between requests, once the response is written and the body read, the next head must arrive within
///   `idle` (at least `head`).
/// Past any of these the connection is closed and `expired` names the phase. Hummingbird's own idle timeout
/// restarts at every read, so alone it lets one byte every few seconds keep a connection forever.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let head: TimeAmount
    private let body: TimeAmount
    private let idle: TimeAmount
    private let expired: @Sendable (_ phase: String) -> Void
    private var timer: Scheduled<Void>?
    /// Requests whose response has not ended yet: no head deadline runs while the server is still answering.
    private var inFlight = 0
    /// Between a request's head and the end of its body: the body deadline runs, whatever was written.
    private var readingBody = false

    init(head: TimeAmount, body: TimeAmount, idle: TimeAmount, expired: @escaping @Sendable (_ phase: String) -> Void) {
        self.head = head
        self.body = body
        self.idle = max(idle, head)
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

    /// The request is fully read and answered: wait for the next one.
    private func awaitNextRequest(_ context: ChannelHandlerContext) {
        if inFlight == 0 && !readingBody { arm(context, idle, phase: "idle") }
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
            readingBody = true
            arm(context, body, phase: "body")
        case .end:
            readingBody = false
            if inFlight == 0 { awaitNextRequest(context) } else { disarm() }
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight = max(0, inFlight - 1)
            awaitNextRequest(context)  // while the body is still being read, its deadline keeps running
        }
        context.write(data, promise: promise)
    }
}
