import Crypto
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilLedger
import VigilStore

/// Delivers the audit log to one destination: every `interval`, each committed event not yet delivered, in
/// batches of seq ranges (one file per workspace and date in each); every `digestInterval`, a signed digest of the
/// files delivered since the last one.
///
/// Exactly once, across crashes and failures: a batch is recorded before its upload and redone whole, with the same
/// files under the same names, until its upload succeeds; only then does the cursor move, with the files recorded
/// in the same transaction. A digest is recorded before it is written and redone the same way, so the chain never
/// forks. A failed upload is retried with backoff (1 s doubling to the interval) and counted.
public final class DeliveryService: Service, Sendable {
    public let configuration: DeliveryConfiguration
    public let target: any DeliveryTarget
    let store: DeliveryStore
    let events: EventStore
    let ledger: LedgerStore
    let keyring: Keyring
    let clock: any WallClock
    let logger: Logger
    let counters = Mutex(Counters())

    /// What /metrics reports beside the lag read at scrape time.
    public struct Counters: Sendable, Equatable {
        public var events: Int64 = 0
        public var files: Int64 = 0
        public var bytes: Int64 = 0
        public var digests: Int64 = 0
        public var failures: Int64 = 0
        public var lastError: String?
    }

    public init(configuration: DeliveryConfiguration, target: any DeliveryTarget, database: VigilDatabase, keyring: Keyring,
                clock: any WallClock, logger: Logger) {
        self.configuration = configuration
        self.target = target
        store = DeliveryStore(database: database)
        events = EventStore(database: database)
        ledger = LedgerStore(database: database)
        self.keyring = keyring
        self.clock = clock
        var logger = logger
        logger[metadataKey: "delivery"] = "\(configuration.name)"
        self.logger = logger
    }

    public var stats: Counters { counters.withLock { $0 } }

    /// Checks that the name still belongs to this URL (at start, before anything listens).
    public func prepare() async throws {
        _ = try await store.open(name: configuration.name, url: configuration.url, now: clock.nowMillis())
    }

    public func run() async throws {
        var backoff: Int64 = 1000
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var pause = configuration.intervalMillis
            do {
                try await deliverPending()
                try await digestIfDue()
                backoff = 1000
                if let state = try await store.state(name: configuration.name), let head = state.head {
                    pause = max(1, min(pause, head.endMillis + configuration.digestIntervalMillis - clock.nowMillis()))
                }
            } catch {
                let message = "\(error)"
                counters.withLock {
                    $0.failures += 1
                    $0.lastError = message
                }
                logger.warning("Delivery failed; retrying", metadata: ["url": "\(target.displayURL)", "error": "\(message)", "retry_ms": "\(backoff)"])
                pause = backoff
                backoff = min(backoff * 2, max(1000, configuration.intervalMillis))
            }
            let sleep = pause
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(sleep)) }
        }
    }

    /// Delivers every committed event not yet delivered (first the batch a crash interrupted, if any).
    public func deliverPending() async throws {
        guard var state = try await store.state(name: configuration.name) else { return try await prepare() }
        if let pending = state.pending {
            try await deliver(batch: pending)
            state.deliveredSeq = pending.upperBound
        }
        let head = try await events.count() - 1
        var next = state.deliveredSeq + 1
        // A stop does not wait for a backlog: the batch under way finishes, the rest waits for the next start.
        while next <= head, !Task.isCancelled, !Task.isShuttingDownGracefully {
            let batch = next...min(head, next + Int64(configuration.batchEvents) - 1)
            try await store.plan(name: configuration.name, batch: batch)
            try await deliver(batch: batch)
            next = batch.upperBound + 1
        }
    }

    private func deliver(batch: ClosedRange<Int64>) async throws {
        let stored = try await events.events(seqs: batch)
        guard stored.count == batch.count else {
            throw VigilError(.internal, "seq \(batch.lowerBound)–\(batch.upperBound) holds \(stored.count) events, want \(batch.count)")
        }
        let files = DeliveryBatchBuilder.files(batch: batch, events: stored)
        for file in files { try await target.put(file.key, bytes: file.bytes) }
        try await store.delivered(name: configuration.name, batch: batch, files: files.map(\.record), now: clock.nowMillis())
        counters.withLock {
            $0.events += Int64(stored.count)
            $0.files += Int64(files.count)
            $0.bytes += Int64(files.reduce(0) { $0 + $1.bytes.count })
            $0.lastError = nil
        }
    }

    /// Writes a digest when one is due: the first right after the destination's first delivery pass (the chain's
    /// start), then every `digestInterval`, empty when nothing was delivered (so silence is provable too).
    public func digestIfDue() async throws {
        guard let state = try await store.state(name: configuration.name) else { return }
        if let pending = state.pendingDigest {
            return try await writeDigest(state: state, endMillis: pending.endMillis, upTo: pending.upTo)
        }
        let now = clock.nowMillis()
        if let head = state.head, now < head.endMillis + configuration.digestIntervalMillis { return }
        let endMillis = max(now, (state.head?.endMillis ?? Int64.min) + 1000)  // names are per second and must not repeat
        let plan = try await store.planDigest(name: configuration.name, endMillis: endMillis)
        try await writeDigest(state: state, endMillis: plan.endMillis, upTo: plan.upTo)
    }

    private func writeDigest(state: DeliveryState, endMillis: Int64, upTo: Int64) async throws {
        let files = try await store.undigestedFiles(name: configuration.name, upTo: upTo)
        let coveredSize = UInt64(max(0, (files.map(\.batch.upperBound).max() ?? state.deliveredSeq) + 1))
        let checkpoint = coveredSize > 0 ? try await ledger.latestCheckpoint(atMost: coveredSize) : nil
        let key = try keyring.activeKey()
        let object = DeliveryLayout.digestKey(endMillis: endMillis)
        let digest = DeliveryDigest(
            startMillis: state.head?.endMillis ?? state.createdMillis, endMillis: endMillis, object: object,
            keyFingerprint: Hex.encode(key.keyID), previousObject: state.head?.object, previousHash: state.head?.hash,
            previousSignature: state.head?.signature, checkpoint: checkpoint?.note, files: files)
        let bytes = digest.bytes
        let signed = try DeliveryDigest.sign(endMillis: endMillis, object: object, bytes: bytes, previousSignature: state.head?.signature, key: key)
        // The signature first: a digest without its .sig reads as unsigned, never as signed by nobody.
        try await target.put(object + DeliveryLayout.signatureSuffix, bytes: Array(signed.line.utf8))
        try await target.put(object, bytes: bytes)
        let head = DeliveryState.ChainHead(object: object, hash: Hex.encode(SHA256Digest.of(bytes)), signature: signed.signature, endMillis: endMillis)
        try await store.digested(name: configuration.name, head: head, upTo: upTo)
        counters.withLock { $0.digests += 1 }
        logger.debug("Digest written", metadata: ["object": "\(object)", "files": "\(files.count)"])
    }

    /// The lag now: events committed but not delivered, and the age of the oldest of them.
    public func lag() async throws -> (events: Int64, seconds: Double) {
        guard let state = try await store.state(name: configuration.name) else { return (0, 0) }
        let head = try await events.count() - 1
        let waiting = max(0, head - state.deliveredSeq)
        guard waiting > 0, let oldest = try await events.events(seqs: (state.deliveredSeq + 1)...(state.deliveredSeq + 1)).first else { return (0, 0) }
        return (waiting, max(0, Double(clock.nowMillis() - oldest.receivedMillis) / 1000))
    }
}

/// SHA-256 as lowercase-hex-ready bytes (one place for the import).
enum SHA256Digest {
    static func of(_ bytes: [UInt8]) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: bytes))
    }
}
