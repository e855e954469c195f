import Logging
import ServiceLifecycle
import VigilCore

/// Deletes app log lines past the retention and the lines of deleted apps, and host log lines (syslog) past the
/// same retention, every `interval`, in small transactions (`LogStore.sweep`, `HostLogStore.sweep`), so a large
/// clean-up never holds the log writer for long.
public struct LogRetentionService: Service {
    public let store: LogStore
    public let retentionMillis: Int64
    public let interval: Duration
    public let clock: any WallClock
    /// The apps that exist now, by key, with their own retention (nil: `retentionMillis`).
    public let liveApps: @Sendable () async throws -> [Int64: Int64?]
    /// Called with the number of lines each sweep deleted (metrics).
    public let swept: @Sendable (Int) -> Void
    /// Called with the number of host log lines each sweep deleted.
    public let hostSwept: @Sendable (Int) -> Void
    public let logger: Logger

    public init(store: LogStore, retentionMillis: Int64, interval: Duration, clock: any WallClock,
                liveApps: @escaping @Sendable () async throws -> [Int64: Int64?], swept: @escaping @Sendable (Int) -> Void, hostSwept: @escaping @Sendable (Int) -> Void = { _ in }, logger: Logger) {
        self.store = store
        self.retentionMillis = retentionMillis
        self.interval = interval
        self.clock = clock
        self.liveApps = liveApps
        self.swept = swept
        self.hostSwept = hostSwept
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try await sweepOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One pass; returns the lines deleted (app and host).
    @discardableResult
    public func sweepOnce() async throws -> Int {
        do {
            let now = clock.nowMillis()
            let keys = try await store.storedAppKeys()
            let cutoffs = try await liveApps().mapValues { own in own.map { now - $0 } }
            let deleted = try await store.sweep(keys: keys, defaultCutoff: now - retentionMillis, cutoffs: cutoffs)
            swept(deleted)
            let hostDeleted = try await HostLogStore(database: store.database).sweep(receivedBefore: now - retentionMillis)
            hostSwept(hostDeleted)
            if deleted + hostDeleted > 0 {
                logger.debug("Log lines deleted by retention", metadata: ["app_lines": "\(deleted)", "host_lines": "\(hostDeleted)"])
            }
            return deleted + hostDeleted
        } catch {
            logger.warning("Log retention sweep failed; it is retried at the next interval", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
