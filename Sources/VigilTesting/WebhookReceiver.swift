import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP receiver on 127.0.0.1 for notification and export tests: it keeps every request it gets (method, path,
/// query, headers, body; POST, PUT, GET and DELETE)
/// and answers each with the next scripted reply (200 once the script runs out). Use `WebhookReceiver.run { ... }`.
public final class WebhookReceiver: Sendable {
    public struct Received: Sendable {
        public var method: String
        public var path: String
        /// The raw query string, or nil.
        public var query: String?
        public var headers: [String: String]
        public var body: [UInt8]
        /// The status it was answered with.
        public var status: Int
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var headers: [String: String]
        public init(_ status: Int, _ body: String = "", headers: [String: String] = [:]) {
            self.status = status
            self.body = body
            self.headers = headers
        }
    }

    private let state = Mutex<(received: [Received], script: [Reply])>(([], []))
    public var port: Int { boundPort.load(ordering: .relaxed) }
    public var url: String { "http://127.0.0.1:\(port)" }
    /// What it answers when the script is empty.
    let fallback: Reply

    init(script: [Reply], fallback: Reply) {
        state.withLock { $0.script = script }
        self.fallback = fallback
    }

    public var received: [Received] { state.withLock { $0.received } }

    /// Replies for the next requests, in order.
    public func script(_ replies: [Reply]) { state.withLock { $0.script += replies } }

    public static func run<T: Sendable>(port: Int = 0, script: [Reply] = [], fallback: Reply = Reply(200, "ok"),
                                        _ body: @Sendable (WebhookReceiver) async throws -> T) async throws -> T {
        let receiver = WebhookReceiver(script: script, fallback: fallback)
        let router = Router()
        // "**" matches every path but the root, where AWS's JSON protocols post.
        let handle: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            let bytes = try await request.collectBody(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let reply = receiver.state.withLock { state -> Reply in
                let reply = state.script.isEmpty ? receiver.fallback : state.script.removeFirst()
                state.received.append(Received(method: request.method.rawValue, path: request.uri.path, query: request.uri.query, headers: headers,
                                               body: Array(bytes.readableBytesView), status: reply.status))
                return reply
            }
            var fields = HTTPFields()
            for (name, value) in reply.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
            return Response(status: .init(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
        }
        for method in [HTTPRequest.Method.post, .put, .get, .delete] {
            router.on("**", method: method, use: handle)
            router.on("/", method: method, use: handle)
        }
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in
                                  portContinuation.yield(channel.localAddress?.port ?? 0)
                                  portContinuation.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let bound = await iterator.next() else { throw CancellationError() }
            receiver.setPort(bound)
            do {
                let result = try await body(receiver)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    private let boundPort = Atomic<Int>(0)
    func setPort(_ port: Int) { boundPort.store(port, ordering: .relaxed) }
}
