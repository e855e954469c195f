import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilLogs
import VigilStore

/// The syslog source (`--syslog-listen udp://0.0.0.0:5514`, `tcp://…`): receives RFC 5424 and RFC 3164 messages over
/// UDP (one per datagram) and TCP (octet-counted or newline-framed, told apart by the first byte), turns sshd and
/// sudo authentication lines into audit events (`AuthLogParser`), and commits them through the same validation
/// and sequencer as the ingest API, every 100 ms. Other lines are host log lines, kept in `logs.sqlite`
/// (`HostLogStore`, read at `GET /api/2.0/vigil/host-logs`) with the app logs' retention. Both queues are bounded
/// (`maxPending` each, host lines also by bytes): what arrives past them is counted as refused, never waited for (UDP
/// senders cannot be slowed).
public final class SyslogReceiver: Service, Sendable {
    public struct Listen: Sendable, Equatable {
        public enum Transport: String, Sendable, CaseIterable { case udp, tcp }
        public var transport: Transport
        public var host: String
        public var port: Int

        /// `udp://host:port` or `tcp://host:port`.
        public init(_ text: String) throws {
            guard let transport = Transport.allCases.first(where: { text.hasPrefix("\($0.rawValue)://") }) else {
                throw VigilError(.invalidParameter, "\(text): want udp://host:port or tcp://host:port")
            }
            let authority = text.dropFirst(transport.rawValue.count + 3)
            guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]), (0...65535).contains(port) else {
                throw VigilError(.invalidParameter, "\(text): want udp://host:port or tcp://host:port")
            }
            self.transport = transport
            host = String(authority[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            self.port = port
        }
    }

    public struct Counters: Sendable, Equatable {
        public var messages: Int64 = 0
        public var auditEvents: Int64 = 0
        public var duplicates: Int64 = 0
        public var hostLines: Int64 = 0
        public var unparsable: Int64 = 0
        public var refused: Int64 = 0
        /// Datagrams and TCP connections from an address outside the allow list.
        public var denied: Int64 = 0
    }

    public let listens: [Listen]
    let sequencer: Sequencer
    let decoder: EventDecoder
    let workspaceID: String?
    let clock: any WallClock
    let logger: Logger
    let counters = Mutex(Counters())
    /// Audit events parsed and waiting for the next commit (every 100 ms); bounded, past it counted as refused.
    let pending = Mutex<[PreparedEvent]>([])
    /// Host log lines waiting for the next commit, and their message bytes: bounded by count like `pending`, and by
    /// `maxPendingHostBytes`.
    let pendingHostLines = Mutex<(lines: [HostLogLine], bytes: Int)>(([], 0))
    static let maxPendingHostBytes = 64 << 20
    /// A host line's message is cut past this many bytes (a TCP frame may hold 64 KiB).
    static let maxHostLineBytes = 8192
    let hostLogs: HostLogStore?
    static let maxPending = 100_000
    /// The ports bound, once listening (port 0 picks one).
    public let boundPorts = Mutex<[Int]>([])
    /// The networks senders may be in; empty: any.
    public let allow: [CIDR]

    /// Without `hostLogs`, lines that are not authentication events are counted as `host_log` but not kept. With an
    /// `allow` list, a datagram or TCP connection from any other address is dropped unread and counted as `denied`.
    public init(listens: [Listen], allow: [CIDR] = [], sequencer: Sequencer, hostLogs: HostLogStore?, limits: IngestLimits, workspaceID: String?,
                clock: any WallClock, logger: Logger) {
        self.listens = listens
        self.allow = allow
        self.sequencer = sequencer
        self.hostLogs = hostLogs
        decoder = EventDecoder(limits: limits)
        self.workspaceID = workspaceID
        self.clock = clock
        self.logger = logger
    }

    public var stats: Counters { counters.withLock { $0 } }

    public func run() async throws {
        var channels: [Channel] = []
        let receiver = Inbound(deliver: { [weak self] line, sender in self?.receive(line, sender: sender) },
                               admit: { [weak self] sender in self?.admits(sender) ?? false })
        for listen in listens {
            let channel: Channel
            switch listen.transport {
            case .udp:
                channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                    .channelInitializer { $0.pipeline.addHandler(DatagramHandler(receiver: receiver)) }
                    .bind(host: listen.host, port: listen.port).get()
            case .tcp:
                channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { child in
                        guard receiver.admit(child.remoteAddress?.ipAddress) else { return child.close() }
                        return child.eventLoop.makeCompletedFuture {
                            try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(SyslogFrameDecoder()))
                            try child.pipeline.syncOperations.addHandler(StreamHandler(receiver: receiver))
                        }
                    }
                    .bind(host: listen.host, port: listen.port).get()
            }
            channels.append(channel)
            boundPorts.withLock { $0.append(channel.localAddress?.port ?? listen.port) }
            logger.info("Syslog source listening", metadata: ["listen": "\(listen.transport.rawValue)://\(listen.host):\(channel.localAddress?.port ?? listen.port)"])
        }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(100)) }
            await flush()
        }
        for channel in channels { try? await channel.close().get() }
        await flush()
    }

    /// Commits what the queues hold.
    func flush() async {
        await commit(pending.withLock { taken in defer { taken.removeAll() }; return taken })
        await store(pendingHostLines.withLock { taken in defer { taken = ([], 0) }; return taken.lines })
    }

    /// Whether `sender` may send: any address without an allow list; with one, an address inside it (an IPv4
    /// address mapped into IPv6, as a dual-stack socket reports it, counts as the IPv4 address). Counts refusals.
    func admits(_ sender: String?) -> Bool {
        guard !allow.isEmpty else { return true }
        let address = Self.plainAddress(sender ?? "")
        if allow.contains(where: { $0.contains(address) }) { return true }
        counters.withLock { $0.denied += 1 }
        return false
    }

    /// An IPv4 address as a dual-stack socket reports it (`::ffff:10.1.2.3`) as plain IPv4; others as they are.
    static func plainAddress(_ address: String) -> String {
        address.lowercased().hasPrefix("::ffff:") && address.contains(".") ? String(address.dropFirst(7)) : address
    }

    /// Called on an event loop for each message received; `sender` is the address it came from.
    func receive(_ line: String, sender: String?) {
        let kept: Bool
        switch handle(line, sender: sender.map(Self.plainAddress)) {
        case nil: return
        case .auditEvent(let prepared):
            kept = pending.withLock { queue -> Bool in
                guard queue.count < Self.maxPending else { return false }
                queue.append(prepared)
                return true
            }
        case .hostLine(let hostLine):
            guard hostLogs != nil else {
                counters.withLock { $0.hostLines += 1 }
                return
            }
            kept = pendingHostLines.withLock { queue -> Bool in
                let size = hostLine.message.utf8.count
                guard queue.lines.count < Self.maxPending, queue.bytes + size <= Self.maxPendingHostBytes else { return false }
                queue.lines.append(hostLine)
                queue.bytes += size
                return true
            }
        }
        if !kept { counters.withLock { $0.refused += 1 } }
    }

    /// What one received message becomes.
    enum Outcome {
        case auditEvent(PreparedEvent)
        case hostLine(HostLogLine)
    }

    /// One line: an audit event to commit, a host line to keep, or nil (not syslog, or an auth line refused).
    func handle(_ line: String, sender: String? = nil) -> Outcome? {
        let now = clock.nowMillis()
        counters.withLock { $0.messages += 1 }
        guard let message = SyslogParser.parse(line, receivedMillis: now) else {
            counters.withLock { $0.unparsable += 1 }
            return nil
        }
        guard var event = AuthLogParser.event(message, workspaceID: workspaceID) else {
            // A time ahead of the clock (past ingest's allowed skew) is the receive time: a sender's clock must not
            // put a line above every real one. The message is cut at `maxHostLineBytes`.
            let time = message.timestampMillis > now + decoder.limits.maxFutureSkewMillis ? now : message.timestampMillis
            var text = message.message
            if text.utf8.count > Self.maxHostLineBytes {
                text = String(decoding: text.utf8.prefix(Self.maxHostLineBytes - 8), as: UTF8.self) + "…[cut]"
            }
            return .hostLine(HostLogLine(
                timestampMillis: time, receivedMillis: now, host: message.hostname, appName: message.appName,
                procID: message.procID, facility: message.facility, severity: message.severity, message: text, sender: sender))
        }
        // The host a message names is the sender's claim; the address it came from is recorded beside it.
        if let sender {
            event.requestParams = ((event.requestParams ?? []) + [(key: "sender", value: sender)])
                .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        }
        // The ingest API's own validation, on the event as a producer would have sent it.
        var writer = JSONWriter()
        event.writeTableJSON(into: &writer)
        var problems: [ValidationProblem] = []
        guard let value = try? JSONParser.parse(writer.bytes), let checked = decoder.decode(value, index: 0, nowMillis: now, problems: &problems) else {
            counters.withLock { $0.refused += 1 }
            logger.warning("Syslog auth line refused", metadata: ["problems": "\(problems.map { $0.description(item: "line") })"])
            return nil
        }
        return .auditEvent(PreparedEvent(checked, receivedMillis: now))
    }

    func store(_ lines: [HostLogLine]) async {
        guard !lines.isEmpty, let hostLogs else { return }
        do {
            try await hostLogs.append(lines)
            counters.withLock { $0.hostLines += Int64(lines.count) }
        } catch {
            counters.withLock { $0.refused += Int64(lines.count) }
            logger.error("Syslog host log lines not stored", metadata: ["error": "\(error)", "lines": "\(lines.count)"])
        }
    }

    func commit(_ events: [PreparedEvent]) async {
        guard !events.isEmpty else { return }
        do {
            switch try await sequencer.submit(events) {
            case .stored(let sequenced):
                let duplicates = sequenced.filter(\.duplicate).count
                counters.withLock {
                    $0.auditEvents += Int64(sequenced.count - duplicates)
                    $0.duplicates += Int64(duplicates)
                }
            case .conflict(let eventID, _):
                counters.withLock { $0.refused += Int64(events.count) }
                logger.warning("Syslog auth events refused: an event id conflict", metadata: ["event_id": "\(eventID)"])
            }
        } catch {
            counters.withLock { $0.refused += Int64(events.count) }
            logger.error("Syslog auth events not stored", metadata: ["error": "\(error)", "events": "\(events.count)"])
        }
    }

    /// `/metrics` lines.
    public static func metricsText(_ receiver: SyslogReceiver?) -> String {
        guard let receiver else { return "" }
        let stats = receiver.stats
        var out = "# HELP vigil_syslog_messages_total Syslog messages received, by outcome: audit_event (an sshd or sudo authentication line stored), duplicate, host_log (any other line, kept as a host log line), unparsable, refused (past a full queue, or not stored), denied (a datagram or TCP connection from outside the allow list).\n# TYPE vigil_syslog_messages_total counter\n"
        for (outcome, value) in [("audit_event", stats.auditEvents), ("duplicate", stats.duplicates), ("host_log", stats.hostLines),
                                 ("unparsable", stats.unparsable), ("refused", stats.refused), ("denied", stats.denied)] {
            out += "vigil_syslog_messages_total{outcome=\"\(outcome)\"} \(value)\n"
        }
        return out
    }

    final class Inbound: Sendable {
        let deliver: @Sendable (String, String?) -> Void
        let admit: @Sendable (String?) -> Bool
        init(deliver: @escaping @Sendable (String, String?) -> Void, admit: @escaping @Sendable (String?) -> Bool) {
            self.deliver = deliver
            self.admit = admit
        }
    }

    final class DatagramHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let receiver: Inbound
        init(receiver: Inbound) { self.receiver = receiver }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            var buffer = envelope.data
            guard receiver.admit(envelope.remoteAddress.ipAddress) else { return }
            if let text = buffer.readString(length: buffer.readableBytes) {
                receiver.deliver(text.hasSuffix("\n") ? String(text.dropLast()) : text, envelope.remoteAddress.ipAddress)
            }
        }
    }

    final class StreamHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let receiver: Inbound
        init(receiver: Inbound) { self.receiver = receiver }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if let text = buffer.readString(length: buffer.readableBytes) { receiver.deliver(text, context.remoteAddress?.ipAddress) }
        }

        /// A frame that cannot be read (a bad length, a line over 64 KiB) ends the connection, so the sender sees it
        /// and reconnects, instead of writing on into a decoder that has given up.
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            receiver.deliver("", nil)  // counted as unparsable
            context.close(promise: nil)
        }
    }
}

/// RFC 6587 framing: a frame starting with a digit is octet-counted (`<length> <message>`), otherwise it runs to
/// the next LF (non-transparent framing). Frames are bounded at 64 KiB; a longer one closes the connection.
struct SyslogFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maxFrame = 65_536

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return .needMoreData }
        if first == UInt8(ascii: "\n") || first == UInt8(ascii: "\r") {
            buffer.moveReaderIndex(forwardBy: 1)
            return .continue
        }
        if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first) {
            let view = buffer.readableBytesView
            guard let space = view.firstIndex(of: UInt8(ascii: " ")) else {
                if view.count > 7 { throw VigilError(.invalidParameter, "syslog frame length is not a number") }
                return .needMoreData
            }
            guard let length = Int(String(decoding: view[view.startIndex..<space], as: UTF8.self)), length <= Self.maxFrame else {
                throw VigilError(.invalidParameter, "syslog frame length is not a number up to \(Self.maxFrame)")
            }
            let header = space - view.startIndex + 1
            guard buffer.readableBytes >= header + length else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: header)
            context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: length)!))
            return .continue
        }
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > Self.maxFrame { throw VigilError(.invalidParameter, "syslog line longer than \(Self.maxFrame) bytes") }
            return .needMoreData
        }
        var line = buffer.readSlice(length: newline - view.startIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}
