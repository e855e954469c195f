import Logging
import ServiceLifecycle
import Synchronization
import VigilStore

/// Logs the start of a graceful shutdown (the signal arrived, what is still queued) and keeps the tree size at
/// that moment, so the end of the shutdown can say how many events were drained. `vigil serve` runs it after the
/// application in its service group, so it hears of the shutdown before the server stops.
public final class LifecycleLogger: Service, Sendable {
    let sequencer: Sequencer
    let ledger: LedgerStore
    let logger: Logger
    private let sizeAtShutdown = Mutex<UInt64?>(nil)

    init(sequencer: Sequencer, ledger: LedgerStore, logger: Logger) {
        self.sequencer = sequencer
        self.ledger = ledger
        self.logger = logger
    }

    /// The tree size when shutdown began, nil while the server runs.
    public var treeSizeAtShutdown: UInt64? { sizeAtShutdown.withLock { $0 } }

    public func run() async throws {
        try? await gracefulShutdown()
        let size = (try? await ledger.treeHead().size) ?? 0
        sizeAtShutdown.withLock { $0 = size }
        logger.info("Vigil is shutting down: finishing requests and writing what is queued", metadata: [
            "queued_events": "\(sequencer.queuedEvents)", "tree_size": "\(size)",
        ])
    }
}
