import NIOCore

/// Closes a connection whose first request the HTTP parser cannot read. Until the WebSocket upgrade decision has been
/// made, no Hummingbird handler is in the pipeline to answer a parse error, and the connection would sit open until
/// the head deadline. It sits behind the parser and steps aside once the first request part has passed it, so later
/// requests get Hummingbird's own 400s.
final class FirstRequestErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
