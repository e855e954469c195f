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
    /// The compact range at the last signed size, rebuilt from the leaves once, then extended with each new
    /// range: checking that a new tree extends the signed one costs the new leaves only, not the whole log.
    private var signedRange: CompactRange?

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
        var timestamp = clock.nowMillis()
        var base = CompactRange()
        if let last = try await ledger.latestCheckpoint() {
            let previous = last.checkpoint
            if let signedRange, signedRange.size == previous.size, signedRange.root() == previous.root {
                base = signedRange
            } else {
                base = try await ledger.compactRange(size: previous.size)
            }
            // The leaves under the signed root must still produce it: otherwise history was rewritten.
            guard base.size == previous.size, base.root() == previous.root else {
                throw VigilError(.internal, "the stored leaves no longer produce the root signed at size \(previous.size); refusing to sign")
            }
            // Timestamps never go backwards, even if the wall clock does.
            timestamp = max(timestamp, previous.timestampMillis + 1)
        }
        // New tree = signed tree + the leaves appended since; it must equal the tree state the sequencer
        // committed. This is the consistency check, and a shrunken tree fails it too.
        let (extended, head) = try await ledger.extend(base)
        guard extended.size == head.size, extended.root() == head.root else {
            throw VigilError(.internal, "the tree (size \(head.size)) does not extend the last checkpoint (size \(base.size)); refusing to sign")
        }
        let checkpoint = Checkpoint(origin: origin, size: head.size, root: head.root, timestampMillis: timestamp)
        let note = try key.sign(checkpoint.body)
        try await ledger.append(checkpoint, note: note, keyID: Hex.encode(key.keyID))
        signedRange = extended
        guard let stored = try await ledger.latestCheckpoint() else { throw VigilError(.internal, "checkpoint vanished") }
        return stored
    }
}
