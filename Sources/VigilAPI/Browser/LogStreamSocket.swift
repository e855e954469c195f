import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import VigilAccess
import VigilCore
import VigilLogs
import VigilStore

/// `/apps/{name}/logz/stream`: the live tail in the Databricks Apps protocol (reference databricks.md §5), as
/// `databricks apps logs` speaks it.
///
/// 1. The upgrade request authenticates with `Authorization: Bearer` or the session cookie; its `Origin`, when sent,
///    must be this server's. No credential or a bad one: closed with 4401. No CAN_USE on the app, or another
///    site's origin: 4403.
/// 2. The client's first text frame is the search term (empty = everything).
/// 3. The server sends the newest matching lines (200, or `?tail_lines=N`), one JSON text frame each,
///    `{"source","timestamp" (epoch seconds, float),"message"}`, then a frame of one NUL byte, then every new
///    matching line as it is stored, and a NUL frame whenever it has been idle for the keep-alive interval.
///
/// Vigil's extensions, as query parameters: `tail_lines`, `source` (APP|SYSTEM), `level`, and `detail=1` to add
/// `level` and `stream` to each frame. A follower that falls too far behind is closed (1008) and counted, never
/// waited for.
public struct LogStreamSocket: Sendable {
    public struct Configuration: Sendable {
        /// A NUL frame is sent after this long without lines.
        public var keepAlive: Duration = .seconds(10)
        /// How long the client has to send its search term before the stream starts with none.
        public var searchTimeout: Duration = .seconds(5)
        public init() {}
    }

    let authenticator: RequestAuthenticator
    let resolver: AccessResolver
    let apps: AppStore
    let store: LogStore
    let tail: LogTail
    let recorder: SelfAuditRecorder
    let metrics: AppLogMetrics
    let publicURL: PublicURL
    let gate: UnauthenticatedGate
    let servesTLS: Bool
    let configuration: Configuration
    let logger: Logger

    public typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    static let route = RouteTable.entry(.get, "/apps/{name}/logz/stream")

    /// The upgrade decision: only the stream path is upgraded (anything else keeps HTTP's answer); who may follow
    /// is decided once upgraded, so the refusal can carry the protocol's close codes.
    public func shouldUpgrade(_ head: HTTPRequest, remoteIP: String?) -> ShouldUpgradeResult<Handler> {
        guard let target = Self.target(head.path ?? "") else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            await follow(target, head: head, remoteIP: remoteIP, inbound: inbound, outbound: outbound)
        }
    }

    struct Target: Equatable {
        var app: String
        var query: [String: String]
    }

    /// `/apps/<name>/logz/stream[?query]` → the app and the query; nil for any other path.
    static func target(_ path: String) -> Target? {
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let segments = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 5, segments[0].isEmpty, segments[1] == "apps", segments[3] == "logz", segments[4] == "stream" else { return nil }
        let query = parts.count > 1 ? FormBody.parse(String(parts[1])) : [:]
        return Target(app: String(segments[2]).removingPercentEncoding ?? String(segments[2]), query: query)
    }

    enum Refusal: Error {
        case close(UInt16, String, status: Int, outcome: String)
    }

    func follow(_ target: Target, head: HTTPRequest, remoteIP: String?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let requestID = RandomID.hex()
        var record = SelfAuditRecorder.Record(
            service: Self.route.service, action: Self.route.action, userName: nil, sourceIP: remoteIP,
            userAgent: head.headerFields[.userAgent], requestID: requestID, statusCode: 101, errorMessage: nil,
            requestParams: [("name", String(target.app.prefix(64)))])
        do {
            let (app, filter, tailLines, detail) = try await admit(target, head: head, remoteIP: remoteIP, record: &record)
            try await recorder.record(record)
            metrics.streamConnection("accepted").increment()
            // An open stream ends when its credential does (sign-out, a revoked or expired token) or the permission goes.
            let admitted = record
            let recheck: @Sendable () async -> (UInt16, String)? = {
                var again = admitted
                do {
                    _ = try await admit(target, head: head, remoteIP: remoteIP, record: &again)
                    return nil
                } catch Refusal.close(let code, let reason, _, _) {
                    return (code, reason)
                } catch {
                    return nil
                }
            }
            try await stream(app: app, filter: filter, tailLines: tailLines, detail: detail, inbound: inbound, outbound: outbound, recheck: recheck)
        } catch Refusal.close(let code, let reason, let status, let outcome) {
            metrics.streamConnection(outcome).increment()
            record.statusCode = status
            record.errorMessage = reason
            if status == 401 { record.service = "accounts"; record.action = "tokenLogin" }
            // Past the per-address rate, refusals of callers without a valid token are summarised, not recorded one by one.
            if status != 401 || gate.admit(remoteIP) == .allowed { try? await recorder.record(record) }
            try? await outbound.close(.unknown(code), reason: reason)
        } catch {
            logger.debug("App log stream ended", metadata: ["error": "\(error)"])
        }
    }

    /// Authentication, origin and permission: the app, the filter and the options, or the refusal.
    func admit(_ target: Target, head: HTTPRequest, remoteIP: String?, record: inout SelfAuditRecorder.Record) async throws
        -> (AppRecord, LogFilter, Int, Bool)
    {
        let authenticated: RequestAuthenticator.Authenticated
        do {
            authenticated = try await authenticator.authenticate(head.headerFields, acceptsSession: true)
        } catch {
            throw Refusal.close(4401, "unauthenticated: send Authorization: Bearer <token> or sign in at /login", status: 401, outcome: "unauthenticated")
        }
        record.userName = authenticated.principal.userName
        // Every Origin sent must be this server's (a WebSocket library may add its own ws:// one beside the caller's).
        if let origin = head.headerFields[values: .origin].first(where: { !originAllowed($0, head) }) {
            throw Refusal.close(4403, "forbidden: origin \(origin.prefix(100)) is not this server's", status: 403, outcome: "bad_origin")
        }
        let access = try await resolver.access(for: authenticated.principal)
        guard AppName.isValid(target.app), access.allows(Self.route.requirement, object: target.app) else {
            throw Refusal.close(4403, "forbidden: \(authenticated.principal.userName) needs CAN_USE on apps/\(target.app.prefix(64))",
                                status: 403, outcome: "forbidden")
        }
        guard let app = try await apps.get(target.app) else {
            throw Refusal.close(4404, "app \(target.app.prefix(64)) does not exist", status: 404, outcome: "unknown_app")
        }
        var source: LogSource?
        if let text = target.query["source"], !text.isEmpty {
            guard let parsed = LogSource(rawValue: text.uppercased()) else {
                throw Refusal.close(4400, "source must be APP or SYSTEM", status: 400, outcome: "forbidden")
            }
            source = parsed
        }
        var tailLines = 200
        if let text = target.query["tail_lines"] {
            guard let value = Int(text), (0...10_000).contains(value) else {
                throw Refusal.close(4400, "tail_lines must be 0 to 10000", status: 400, outcome: "forbidden")
            }
            tailLines = value
        }
        let level = target.query["level"].flatMap { $0.isEmpty ? nil : $0 }
        return (app, LogFilter(source: source, level: level), tailLines, target.query["detail"] == "1")
    }

    /// An `Origin` is allowed when it is this server's as a browser would send it (`scheme://Host` of the request, or
    /// the public URL's), or a WebSocket client's own `ws://host` / `wss://host` for this host: browsers never send
    /// those, so they cannot carry another site's page.
    func originAllowed(_ origin: String, _ head: HTTPRequest) -> Bool {
        let origin = origin.lowercased()
        if allowedOrigins(head).contains(origin) { return true }
        guard origin.hasPrefix("ws://") || origin.hasPrefix("wss://"), let url = URL(string: origin), let host = url.host,
              let authority = head.authority?.lowercased()
        else { return false }
        let requestHost = authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }.dropFirst()) : String(authority.split(separator: ":").first ?? "")
        return host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) == requestHost
    }

    /// The origins a browser on this server sends: `scheme://Host` of the request, and the public URL's.
    func allowedOrigins(_ head: HTTPRequest) -> Set<String> {
        var origins: Set<String> = []
        if let authority = head.authority {
            origins.insert((servesTLS ? "https://" : "http://") + authority.lowercased())
        }
        if let url = URL(string: publicURL.base), let scheme = url.scheme, let host = url.host {
            origins.insert("\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")".lowercased())
        }
        return origins
    }

    /// What the writer reacts to: the client's frames, the follower's lines, and the clock.
    enum Outbound: Sendable {
        case search(String)
        case searchTimedOut
        case event(LogTail.Event)
        case keepAlive
        case clientGone
    }

    func stream(app: AppRecord, filter base: LogFilter, tailLines: Int, detail: Bool, inbound: WebSocketInboundStream,
                outbound: WebSocketOutboundWriter, recheck: @escaping @Sendable () async -> (UInt16, String)?) async throws {
        let (events, continuation) = AsyncStream.makeStream(of: Outbound.self)
        var follower: LogTail.Follower?
        defer { if let follower { tail.stopFollowing(follower) } }
        // When the server stops, the WebSocket layer closes the stream (1000) and this task ends with it.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The first text frame is the search term; later frames are ignored; the end is the client leaving.
                var messages = inbound.messages(maxSize: 64 << 10).makeAsyncIterator()
                while let message = try? await messages.next() {
                    if case .text(let text) = message { continuation.yield(.search(text)) }
                }
                continuation.yield(.clientGone)
            }
            group.addTask {
                try await Task.sleep(for: configuration.searchTimeout)
                continuation.yield(.searchTimedOut)
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: configuration.keepAlive)
                    continuation.yield(.keepAlive)
                }
            }
            var filter = base
            var shown: Set<Int64> = []
            var idleSince = ContinuousClock.now
            loop: for await item in events {
                switch item {
                case .search where follower == nil, .searchTimedOut where follower == nil:
                    if case .search(let text) = item { filter = LogFilter(search: String(text.prefix(1024)), source: base.source, level: base.level) }
                    // Follow first, then read the backlog: nothing stored in between is missed, and what the backlog
                    // holds already is skipped by id.
                    let started = tail.follow(appKey: app.key)
                    follower = started
                    group.addTask {
                        for await event in started.events { continuation.yield(.event(event)) }
                    }
                    let backlog = try await store.tail(appKey: app.key, limit: tailLines, filter: filter)
                    for line in backlog { try await outbound.write(.text(Self.frame(line.line, detail: detail))) }
                    try await outbound.write(.text("\u{0}"))
                    shown = Set(backlog.map(\.id))
                    idleSince = .now
                case .search, .searchTimedOut:
                    continue
                case .event(.lines(let lines)):
                    guard let follower else { continue }
                    defer { follower.consumed(lines.count) }
                    if let reason = follower.endReason {
                        try await close(outbound, reason)
                        break loop
                    }
                    for stored in lines where !shown.contains(stored.id) && filter.matches(stored.line) {
                        try await outbound.write(.text(Self.frame(stored.line, detail: detail)))
                        idleSince = .now
                    }
                case .event(.ended(let reason)):
                    try await close(outbound, reason)
                    break loop
                case .keepAlive:
                    if let (code, reason) = await recheck() {
                        try await outbound.close(.unknown(code), reason: reason)
                        break loop
                    }
                    if follower != nil, ContinuousClock.now - idleSince >= configuration.keepAlive {
                        try await outbound.write(.text("\u{0}"))
                        idleSince = .now
                    }
                case .clientGone:
                    break loop
                }
            }
            group.cancelAll()
        }
    }

    func close(_ outbound: WebSocketOutboundWriter, _ reason: LogTail.End) async throws {
        switch reason {
        case .tooSlow:
            metrics.followerDropped("too_slow").increment()
            try await outbound.close(.policyViolation, reason: "too slow: fell more than \(tail.maxBacklogLines) lines behind")
        case .appDeleted:
            try await outbound.close(.normalClosure, reason: "the app was deleted")
        }
    }

    /// One line as the protocol sends it: `{"source","timestamp","message"}` (plus `level` and `stream` on request).
    static func frame(_ line: LogLine, detail: Bool) -> String {
        var writer = JSONWriter(reservingCapacity: line.message.utf8.count + 64)
        writer.beginObject()
        writer.key("source"); writer.string(line.source.rawValue); writer.comma()
        writer.key("timestamp"); writer.rawBytes(seconds(line.timestampMillis)); writer.comma()
        writer.key("message"); writer.string(line.message)
        if detail {
            writer.comma(); writer.key("stream"); writer.string(line.stream.rawValue)
            if let level = line.level { writer.comma(); writer.key("level"); writer.string(level) }
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Milliseconds as epoch seconds with three decimals (`1767225600.123`).
    static func seconds(_ millis: Int64) -> String {
        let whole = millis.quotientAndRemainder(dividingBy: 1000)
        var (seconds, fraction) = (whole.quotient, whole.remainder)
        if fraction < 0 { seconds -= 1; fraction += 1000 }
        let digits = String(fraction)
        return "\(seconds)." + String(repeating: "0", count: 3 - digits.count) + digits
    }
}
