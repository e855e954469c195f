import NIOCore

/// The head deadline for a connection's first request, at the byte level: the request head (up to its blank line)
/// must arrive within `deadline` of the connection opening, or the connection is closed. It works before the
/// HTTP parser is set up, which with WebSocket upgrades happens only once the first head has been read (so
/// `RequestDeadlineHandler` cannot watch it); once the head is in, it removes itself.
///
/// It also answers a first byte that cannot start an HTTP request (a TLS ClientHello sent to a plain-HTTP port) with
/// a 400 and closes, as Hummingbird's parser would: before the upgrade decision nothing else answers parse errors.
final class FirstHeadDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let deadline: TimeAmount
    private let expired: @Sendable () -> Void
    private var timer: Scheduled<Void>?
    /// The last bytes seen, to find a `\r\n\r\n` split across reads.
    private var tail: [UInt8] = []
    private var done = false
    private var sawFirstByte = false

    static let notHTTP: String = {
        let body = #"{"error_code":"BAD_REQUEST","message":"this port speaks HTTP/1.1; the request was not HTTP (TLS to a plain-HTTP server?)"}"#
        return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }()

    init(deadline: TimeAmount, expired: @escaping @Sendable () -> Void) {
        self.deadline = deadline
        self.expired = expired
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard timer == nil, !done else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let expired = expired
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: deadline) {
            expired()
            loopBound.value.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        let buffer = unwrapInboundIn(data)
        if !sawFirstByte, let first = buffer.readableBytesView.first {
            sawFirstByte = true
            // Request lines start with a method: letters (tolerating the blank lines RFC 9112 allows before them).
            guard (65...90).contains(first) || (97...122).contains(first) || first == 13 || first == 10 else {
                done = true
                timer?.cancel()
                var reply = context.channel.allocator.buffer(capacity: Self.notHTTP.utf8.count)
                reply.writeString(Self.notHTTP)
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(NIOAny(reply)).whenComplete { _ in loopBound.value.close(promise: nil) }
                return
            }
        }
        let bytes = tail + buffer.readableBytesView
        if Self.containsHeadEnd(bytes) {
            done = true
            timer?.cancel()
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        tail = Array(bytes.suffix(3))
        context.fireChannelRead(data)
    }

    static func containsHeadEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return true
        }
        return false
    }
}
