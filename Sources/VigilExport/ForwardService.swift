import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilStore

/// Follows the audit log by `seq` for one destination: reads what was committed after its cursor, keeps what its
/// filter matches, sends it, and only then moves the cursor (past the skipped events too). At least once, in seq
/// order: a batch that fails is sent again, whole, after a backoff (1 s doubling to 60 s), for as long as it takes;
/// a crash between a send and the cursor's move sends that batch again (receivers dedupe by `event_id`).
public final class ForwardService: Service, Sendable {
    public let configuration: ForwardConfiguration
    let forwarder: any Forwarder
    let database: VigilDatabase
    let events: EventStore
    let clock: any WallClock
    let logger: Logger
    let counters = Mutex(Counters())

    public struct Counters: Sendable, Equatable {
        public var events: Int64 = 0
        public var batches: Int64 = 0
        public var failures: Int64 = 0
        public var lastError: String?
    }

    public init(configuration: ForwardConfiguration, forwarder: any Forwarder, database: VigilDatabase, clock: any WallClock, logger: Logger) {
        self.configuration = configuration
        self.forwarder = forwarder
        self.database = database
        events = EventStore(database: database)
        self.clock = clock
        var logger = logger
        logger[metadataKey: "forwarding"] = "\(configuration.name)"
        self.logger = logger
    }

    public var stats: Counters { counters.withLock { $0 } }

    /// Creates the cursor, or refuses a name that forwarded to another URL (its cursor belongs there).
    public func prepare() async throws {
        let (name, url, now) = (configuration.name, configuration.url, clock.nowMillis())
        try await database.pool.write { db in
            if let stored = try String.fetchOne(db, sql: "SELECT url FROM forward_destinations WHERE name = ?", arguments: [name]) {
                guard stored == url else {
                    // Scheme and host only: a webhook URL's path or query often holds its token.
                    throw VigilError(.invalidParameter, "forwarding \(name) sends to \(Self.redacted(stored)), not \(Self.redacted(url)): its cursor belongs there; give the new destination a new name")
                }
                return
            }
            try db.execute(sql: "INSERT INTO forward_destinations(name, url, created_time) VALUES (?, ?, ?)", arguments: [name, url, now])
        }
    }

    /// `scheme://host[:port]/…`: what a message may show of a URL.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "(a URL)" }
        let rest = url[scheme.upperBound...]
        let raw = rest.prefix { $0 != "/" && $0 != "?" }
        let authority = raw.split(separator: "@").last ?? ""
        return url[..<scheme.upperBound] + authority + (rest.count > raw.count ? "/…" : "")
    }

    public func run() async throws {
        var backoff: Int64 = 1000
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var pause = configuration.intervalMillis
            do {
                if try await forwardBatch() { pause = 0 }
                backoff = 1000
            } catch {
                let message = "\(error)"
                counters.withLock {
                    $0.failures += 1
                    $0.lastError = message
                }
                logger.warning("Forwarding failed; retrying", metadata: ["error": "\(message)", "retry_ms": "\(backoff)"])
                pause = backoff
                backoff = min(backoff * 2, 60_000)
            }
            if pause > 0 {
                let sleep = pause
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(sleep)) }
            }
        }
    }

    /// The cursor: the last seq sent or skipped.
    public func cursor() async throws -> Int64 {
        let name = configuration.name
        return try await database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT forwarded_seq FROM forward_destinations WHERE name = ?", arguments: [name]) ?? -1
        }
    }

    /// Sends the next batch, if any; true when there may be more right away.
    @discardableResult
    public func forwardBatch() async throws -> Bool {
        let cursor = try await cursor()
        let head = try await events.count() - 1
        guard head > cursor else { return false }
        let range = (cursor + 1)...min(head, cursor + Int64(configuration.batchEvents))
        let batch = try await events.events(seqs: range).filter { configuration.filter.matches($0.event) }
        if !batch.isEmpty { try await forwarder.send(batch) }
        let (name, now) = (configuration.name, clock.nowMillis())
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE forward_destinations SET forwarded_seq = ?, last_forward_time = ? WHERE name = ?",
                           arguments: [range.upperBound, now, name])
        }
        counters.withLock {
            $0.events += Int64(batch.count)
            $0.batches += batch.isEmpty ? 0 : 1
            $0.lastError = nil
        }
        return range.upperBound < head
    }

    /// Events committed and not yet forwarded (or skipped), and the age of the oldest of them.
    public func lag() async throws -> (events: Int64, seconds: Double) {
        let cursor = try await cursor()
        let head = try await events.count() - 1
        guard head > cursor, let oldest = try await events.events(seqs: (cursor + 1)...(cursor + 1)).first else { return (0, 0) }
        return (head - cursor, max(0, Double(clock.nowMillis() - oldest.receivedMillis) / 1000))
    }
}
