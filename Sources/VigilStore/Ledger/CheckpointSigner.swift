import Logging
import ServiceLifecycle
import VigilCore
import VigilLedger

/// Signs a checkpoint of the ledger every `interval` (also when nothing arrived, so "nothing happened" is
/// provable) and on demand. Refuses to sign when the tree shrank, the clock went backwards, or the new tree
/// is not an extension of the last signed one: a log must never sign two inconsistent checkpoints.
public actor CheckpointSigner: Service {
    private let ledger: LedgerStore
    private let keyring: Keyring
    private let origin: String
    private let interval: Duration
    private let clock: any WallClock
    private let logger: Logger
    private var key: NoteKey?

    public init(ledger: LedgerStore, keyring: Keyring, origin: String, interval: Duration = .seconds(60),
                clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "vigil.checkpoints")) {
        self.ledger = ledger
        self.keyring = keyring
        self.origin = origin
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Loads (or creates) the signing key and publishes it.
    public func prepare() async throws {
        let key = try keyring.activeKey()
        try await ledger.activate(key, at: clock.nowMillis())
        self.key = key
    }

    public func run() async throws {
        if key == nil { try await prepare() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await signNow()
            } catch {
                logger.error("Checkpoint not signed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// Signs and stores a checkpoint of the current tree.
    @discardableResult
    public func signNow() async throws -> StoredCheckpoint {
        if key == nil { try await prepare() }
        guard let key else { throw VigilError(.internal, "no checkpoint key") }
        let head = try await ledger.treeHead()
        var timestamp = clock.nowMillis()
        if let last = try await ledger.latestCheckpoint() {
            let previous = last.checkpoint
            guard head.size >= previous.size else {
                throw VigilError(.internal, "tree size \(head.size) is below the last checkpoint's \(previous.size); refusing to sign")
            }
            if head.size > previous.size {
                let proof = try await ledger.consistencyProof(first: previous.size, second: head.size)
                do {
                    if previous.size > 0 {
                        try MerkleProofs.verifyConsistency(first: previous.size, second: head.size, firstRoot: previous.root,
                                                           secondRoot: head.root, proof: proof.hashes)
                    }
                } catch {
                    throw VigilError(.internal, "the tree is not consistent with the last checkpoint (size \(previous.size)): \(error); refusing to sign")
                }
            } else if head.root != previous.root {
                throw VigilError(.internal, "same tree size \(head.size) with a different root; refusing to sign")
            }
            // Timestamps never go backwards, even if the wall clock does.
            timestamp = max(timestamp, previous.timestampMillis + 1)
        }
        let checkpoint = Checkpoint(origin: origin, size: head.size, root: head.root, timestampMillis: timestamp)
        let note = try key.sign(checkpoint.body)
        try await ledger.append(checkpoint, note: note, keyID: Hex.encode(key.keyID))
        guard let stored = try await ledger.latestCheckpoint() else { throw VigilError(.internal, "checkpoint vanished") }
        return stored
    }
}
