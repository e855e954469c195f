import Logging
import ServiceLifecycle
import VigilCore

/// Deletes app log lines past the retention and the lines of deleted apps, every `interval`, in small
/// transactions (`LogStore.sweep`), so a large clean-up never holds the log writer for long.
public struct LogRetentionService: Service {
    public let store: LogStore
    public let retentionMillis: Int64
    public let interval: Duration
    public let clock: any WallClock
    /// The apps that exist now, by key, with their own retention (nil: `retentionMillis`).
    public let liveApps: @Sendable () async throws -> [Int64: Int64?]
    /// Called with the number of lines each sweep deleted (metrics).
    public let swept: @Sendable (Int) -> Void
    public let logger: Logger

    public init(store: LogStore, retentionMillis: Int64, interval: Duration, clock: any WallClock,
                liveApps: @escaping @Sendable () async throws -> [Int64: Int64?], swept: @escaping @Sendable (Int) -> Void, logger: Logger) {
        self.store = store
        self.retentionMillis = retentionMillis
        self.interval = interval
        self.clock = clock
        self.liveApps = liveApps
        self.swept = swept
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try await sweepOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One pass; returns the lines deleted.
    @discardableResult
    public func sweepOnce() async throws -> Int {
        do {
            let now = clock.nowMillis()
            let keys = try await store.storedAppKeys()
            let cutoffs = try await liveApps().mapValues { own in own.map { now - $0 } }
            let deleted = try await store.sweep(keys: keys, defaultCutoff: now - retentionMillis, cutoffs: cutoffs)
            swept(deleted)
            if deleted > 0 { logger.debug("App log lines deleted by retention", metadata: ["lines": "\(deleted)"]) }
            return deleted
        } catch {
            logger.warning("App log retention sweep failed; it is retried at the next interval", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
