import Logging
import ServiceLifecycle
import VigilCore

/// Finds lost nodes and lost job runners: every `interval`, each live cluster whose nodes missed their heartbeats is
/// ticked (`ClusterStore.tick`), which stores NODES_LOST or DRIVER_NOT_RESPONDING, and each run whose runner stopped
/// reporting becomes INTERNAL_ERROR (`JobStore.tick`). Both wait three of the reporter's own intervals, so the check
/// runs far more often than anything reports.
public struct ClusterMonitorService: Service {
    public let store: ClusterStore
    public let jobs: JobStore?
    public let interval: Duration
    /// Called with the runs found lost (metrics).
    public let runsLost: @Sendable ([JobRunRecord]) -> Void
    /// Called with the number of events each pass stored (metrics).
    public let derived: @Sendable (Int) -> Void
    public let logger: Logger

    public init(store: ClusterStore, jobs: JobStore? = nil, interval: Duration = .seconds(1), derived: @escaping @Sendable (Int) -> Void = { _ in },
                runsLost: @escaping @Sendable ([JobRunRecord]) -> Void = { _ in }, logger: Logger) {
        self.store = store
        self.jobs = jobs
        self.runsLost = runsLost
        self.interval = interval
        self.derived = derived
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let stored = try await store.tick()
                if stored > 0 { derived(stored) }
                if let jobs {
                    let lost = try await jobs.tick()
                    if !lost.isEmpty { runsLost(lost) }
                }
            } catch {
                logger.warning("Cluster heartbeat check failed; it runs again at the next interval", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
