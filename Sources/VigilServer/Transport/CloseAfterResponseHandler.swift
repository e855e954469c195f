import NIOCore
import NIOHTTPTypes

/// Closes the connection once a response that ends it has been written: one marked `Connection: close` (Vigil
/// marks its 413s so: the rest of an oversized body is not read), or the answer to a request that asked for it.
/// Hummingbird only half-closes such a connection and then waits for the client, which may still be sending a
/// body nobody reads and so block; here the connection is closed outright, a moment after the response is
/// flushed so the response is not overtaken by a reset.
final class CloseAfterResponseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var requestAskedToClose = false
    private var responseCloses = false
    private let grace: TimeAmount

    init(grace: TimeAmount = .milliseconds(250)) {
        self.grace = grace
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data) {
            requestAskedToClose = request.headerFields[.connection]?.lowercased() == "close"
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            responseCloses = requestAskedToClose || response.headerFields[.connection]?.lowercased() == "close"
            context.write(data, promise: promise)
        case .end:
            guard responseCloses else {
                context.write(data, promise: promise)
                return
            }
            responseCloses = false
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let grace = grace
            written.futureResult.whenComplete { _ in
                let context = loopBound.value
                context.eventLoop.assumeIsolated().scheduleTask(in: grace) { context.close(promise: nil) }
            }
        case .body:
            context.write(data, promise: promise)
        }
    }
}
