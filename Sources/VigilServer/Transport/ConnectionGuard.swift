import NIOCore
import Synchronization

/// Counts the server's open connections and refuses those past the cap at once, before any HTTP parsing: an
/// idle-connection flood then costs one short-lived socket per attempt, never a file descriptor held open.
/// Over plain HTTP the refused client gets a minimal 503; over TLS (nothing can be said before the handshake) the
/// connection is just closed.
public final class ConnectionCounter: Sendable {
    public let limit: Int
    private let open = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    public var openConnections: Int { open.load(ordering: .relaxed) }
    public var refusedConnections: Int { refused.load(ordering: .relaxed) }

    /// Counts a new connection; false when it is past the cap (it is then not counted as open).
    func admit() -> Bool {
        if open.add(1, ordering: .relaxed).newValue <= limit { return true }
        open.subtract(1, ordering: .relaxed)
        refused.add(1, ordering: .relaxed)
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }
}

final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let refusal: String = {
        let body = #"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"too many open connections; retry later"}"#
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }()

    private let counter: ConnectionCounter
    private let plaintext: Bool
    private let refused: @Sendable () -> Void
    private var counted = false
    private var refusing = false

    init(counter: ConnectionCounter, plaintext: Bool, refused: @escaping @Sendable () -> Void) {
        self.counter = counter
        self.plaintext = plaintext
        self.refused = refused
    }

    func channelActive(context: ChannelHandlerContext) {
        // The HTTP layers behind still see the connection open and close (so their tasks end); they just never
        // get a byte of a refused one.
        context.fireChannelActive()
        guard counter.admit() else {
            refusing = true
            refused()
            guard plaintext else {
                context.close(promise: nil)
                return
            }
            // Half-close after the answer and close fully a moment later: closing at once with unread input would
            // send a reset that can overtake the 503.
            let buffer = context.channel.allocator.buffer(string: Self.refusal)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
                let context = loopBound.value
                context.close(mode: .output, promise: nil)
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(500)) { context.close(promise: nil) }
            }
            return
        }
        counted = true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !refusing { context.fireChannelRead(data) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counter.release()
            counted = false
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if refusing {
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }
}
