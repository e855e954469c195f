import Logging
import ServiceLifecycle
import VigilCore

/// Finds lost nodes: every `interval`, each live cluster whose nodes missed their heartbeats is ticked
/// (`ClusterStore.tick`), which stores NODES_LOST or DRIVER_NOT_RESPONDING. A node is lost after three of its own
/// intervals, so the check runs far more often than any agent reports.
public struct ClusterMonitorService: Service {
    public let store: ClusterStore
    public let interval: Duration
    /// Called with the number of events each pass stored (metrics).
    public let derived: @Sendable (Int) -> Void
    public let logger: Logger

    public init(store: ClusterStore, interval: Duration = .seconds(1), derived: @escaping @Sendable (Int) -> Void = { _ in }, logger: Logger) {
        self.store = store
        self.interval = interval
        self.derived = derived
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let stored = try await store.tick()
                if stored > 0 { derived(stored) }
            } catch {
                logger.warning("Cluster heartbeat check failed; it runs again at the next interval", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
