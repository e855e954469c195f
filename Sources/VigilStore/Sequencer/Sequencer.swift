import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilLedger

/// The single writer of the audit log. Requests submit batches of events; the sequencer's loop takes
/// everything queued, writes it in **one** transaction (one fsync), assigns dense `seq` numbers, and only
/// then resumes the waiting requests (group commit: acknowledged means durable).
///
/// Each submission gets its own savepoint inside the shared transaction, so a request whose event
/// conflicts with a stored one (same `event_id`, different content) is rolled back alone.
/// The queue is bounded: past `maxQueuedEvents` a submission is refused at once with `overloaded`.
/// Self-audit records are submitted with `priority` and may use a reserve above that bound, so that the
/// refusal itself can still be audited.
public final class Sequencer: Service, Sendable {
    public struct Configuration: Sendable {
        public var maxQueuedEvents: Int
        public var maxBatchEvents: Int

        public init(maxQueuedEvents: Int = 200_000, maxBatchEvents: Int = 20_000) {
            self.maxQueuedEvents = maxQueuedEvents
            self.maxBatchEvents = maxBatchEvents
        }
    }

    /// What happened to one submission.
    public enum Outcome: Sendable, Equatable {
        case stored([SequencedEvent])
        /// `eventID` was already stored at `existingSeq` with different content; nothing was stored.
        case conflict(eventID: String, existingSeq: Int64)
    }

    /// Builds one more event from a submission's outcome, written in the same transaction right after it:
    /// the request's own self-audit record, so that a request costs one commit, not two.
    public typealias Trailer = @Sendable (Outcome) -> PreparedEvent?

    struct Submission {
        let events: [PreparedEvent]
        let trailer: Trailer?
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    struct State {
        var queue: [Submission] = []
        var queuedEvents = 0
        var isClosed = false
    }

    private let database: VigilDatabase
    private let configuration: Configuration
    private let observer: (any SequencerObserver)?
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let listeners = Mutex<[CommitListener]>([])

    /// Told of every newly stored event (duplicates left out, self-audit trailers included), in seq order, right
    /// after its commit. Called on the commit path: a listener must only hand the events off (detections queue them).
    public typealias CommitListener = @Sendable ([CommittedEvent]) -> Void

    public func onCommit(_ listener: @escaping CommitListener) {
        listeners.withLock { $0.append(listener) }
    }

    public init(database: VigilDatabase, configuration: Configuration = .init(), observer: (any SequencerObserver)? = nil,
                logger: Logger = Logger(label: "vigil.sequencer")) {
        self.database = database
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Events waiting for the next commit.
    public var queuedEvents: Int { state.withLock { $0.queuedEvents } }

    /// Submits `events` and returns once they are committed and fsync'd (or refused).
    /// - Throws: `VigilError.overloaded` when the queue is full, `.unavailable` when the sequencer has shut
    ///   down or the write failed.
    public func submit(_ events: [PreparedEvent], priority: Bool = false, trailer: Trailer? = nil) async throws -> Outcome {
        if events.isEmpty, trailer == nil { return .stored([]) }
        return try await withCheckedThrowingContinuation { continuation in
            let refusal: VigilError? = state.withLock { state in
                if state.isClosed { return VigilError(.unavailable, "Vigil is shutting down; retry against a running server") }
                let limit = priority ? configuration.maxQueuedEvents * 2 : configuration.maxQueuedEvents
                if state.queuedEvents + events.count > limit {
                    return VigilError(.overloaded, "the ingest queue is full (\(state.queuedEvents) events waiting); retry later",
                                      retryAfterSeconds: 1)
                }
                state.queue.append(Submission(events: events, trailer: trailer, continuation: continuation))
                state.queuedEvents += events.count
                return nil
            }
            if let refusal {
                continuation.resume(throwing: refusal)
            } else {
                wake.yield()
            }
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await drain()
            }
            // Shutdown: the stream finished; write whatever is still queued before returning.
            await drain()
        } onGracefulShutdown: {
            self.state.withLock { $0.isClosed = true }
            self.wake.finish()
        }
        // Cancellation without graceful shutdown: refuse whatever is left rather than leave it hanging.
        let leftovers = state.withLock { state -> [Submission] in
            state.isClosed = true
            defer { state.queue.removeAll(); state.queuedEvents = 0 }
            return state.queue
        }
        for submission in leftovers {
            submission.continuation.resume(throwing: VigilError(.unavailable, "Vigil stopped before the events were written"))
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Submission] in
                var taken: [Submission] = []
                var count = 0
                while let first = state.queue.first, taken.isEmpty || count + first.events.count <= configuration.maxBatchEvents {
                    taken.append(state.queue.removeFirst())
                    count += first.events.count
                }
                state.queuedEvents -= count
                return taken
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Submission]) async {
        let started = ContinuousClock.now
        do {
            let collect = !listeners.withLock(\.isEmpty)
            let (outcomes, committed) = try await database.pool.write { db in
                var committed: [CommittedEvent]? = collect ? [] : nil
                let outcomes = try Self.write(batch.map(\.events), trailers: batch.map(\.trailer), in: db, committed: &committed)
                return (outcomes, committed ?? [])
            }
            let elapsed = ContinuousClock.now - started
            observer?.sequencerDidCommit(
                events: batch.reduce(0) { $0 + $1.events.count }, submissions: batch.count, duration: elapsed,
                outcomes: outcomes
            )
            for (submission, outcome) in zip(batch, outcomes) {
                submission.continuation.resume(returning: outcome)
            }
            if !committed.isEmpty {
                for listener in listeners.withLock({ $0 }) { listener(committed) }
            }
        } catch {
            logger.error("Audit batch could not be written; requests fail with 503", metadata: ["error": "\(error)"])
            let failure = VigilError(.unavailable, "the audit store could not write the events", underlying: error)
            for submission in batch {
                submission.continuation.resume(throwing: failure)
            }
        }
    }

    /// Writes the submissions inside the caller's transaction, one savepoint each: the events, their
    /// Merkle leaves and the tree's new compact range commit together or not at all. In a running server
    /// the sequencer is the only caller; tests and the benchmark's bulk loader call it on a database no
    /// server is writing to.
    public static func write(_ submissions: [[PreparedEvent]], trailers: [Trailer?] = [], in db: Database) throws -> [Outcome] {
        var committed: [CommittedEvent]?
        return try write(submissions, trailers: trailers, in: db, committed: &committed)
    }

    /// `write`, also collecting the newly stored events into `committed` when it is not nil.
    static func write(_ submissions: [[PreparedEvent]], trailers: [Trailer?], in db: Database, committed: inout [CommittedEvent]?) throws -> [Outcome] {
        var tree = try LedgerState.load(db)
        let maxSeq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit_events")
        guard (maxSeq.map { $0 + 1 } ?? 0) == Int64(tree.size) else {
            throw VigilError(.unavailable, "ledger size \(tree.size) does not match the event log (max seq \(maxSeq ?? -1)); run vigil verify")
        }
        let insert = try db.cachedStatement(sql: EventRow.insertSQL)
        let insertLeaf = try db.cachedStatement(sql: "INSERT INTO ledger_leaves(seq, leaf_hash) VALUES (?, ?)")
        let lookup = try db.cachedStatement(sql: """
            SELECT a.seq, l.leaf_hash FROM audit_events a JOIN ledger_leaves l ON l.seq = a.seq WHERE a.event_id = ?
            """)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(submissions.count)
        for (index, events) in submissions.enumerated() {
            let treeBefore = tree
            var outcome: Outcome = .stored([])
            var stored: [CommittedEvent] = []
            try db.inSavepoint {
                var sequenced: [SequencedEvent] = []
                sequenced.reserveCapacity(events.count)
                for prepared in events {
                    let seq = Int64(tree.size)
                    try insert.execute(arguments: EventRow.arguments(prepared, seq: seq))
                    if db.changesCount == 1 {
                        try insertLeaf.execute(arguments: [seq, Data(prepared.leafHash)])
                        tree.append(prepared.leafHash)
                        sequenced.append(SequencedEvent(eventID: prepared.event.eventID, seq: seq, duplicate: false))
                        stored.append(CommittedEvent(seq: seq, event: prepared.event, fromVigil: prepared.fromVigil))
                        continue
                    }
                    guard let existing = try Row.fetchOne(lookup, arguments: [prepared.event.eventID]) else {
                        throw VigilError(.internal, "insert of \(prepared.event.eventID) was ignored but no ledgered row exists")
                    }
                    let existingSeq: Int64 = existing["seq"]
                    if [UInt8](existing["leaf_hash"] as Data) != prepared.leafHash {
                        outcome = .conflict(eventID: prepared.event.eventID, existingSeq: existingSeq)
                        tree = treeBefore
                        return .rollback
                    }
                    sequenced.append(SequencedEvent(eventID: prepared.event.eventID, seq: existingSeq, duplicate: true))
                }
                outcome = .stored(sequenced)
                return .commit
            }
            outcomes.append(outcome)
            if case .stored = outcome { committed?.append(contentsOf: stored) }
            if index < trailers.count, let trailer = trailers[index], let extra = trailer(outcome) {
                let seq = Int64(tree.size)
                try insert.execute(arguments: EventRow.arguments(extra, seq: seq))
                guard db.changesCount == 1 else { throw VigilError(.internal, "trailer event \(extra.event.eventID) collided") }
                try insertLeaf.execute(arguments: [seq, Data(extra.leafHash)])
                tree.append(extra.leafHash)
                committed?.append(CommittedEvent(seq: seq, event: extra.event, fromVigil: extra.fromVigil))
            }
        }
        try LedgerState.save(tree, db)
        return outcomes
    }
}

/// An event as stored: its place in the log and its content.
public struct CommittedEvent: Sendable {
    public let seq: Int64
    public let event: AuditEvent
    /// Vigil's own self-audit record (`PreparedEvent.fromVigil`).
    public let fromVigil: Bool

    public init(seq: Int64, event: AuditEvent, fromVigil: Bool = false) {
        self.seq = seq
        self.event = event
        self.fromVigil = fromVigil
    }
}

/// Receives the sequencer's figures (batch sizes, commit latency) without the store knowing about
/// Prometheus.
public protocol SequencerObserver: Sendable {
    func sequencerDidCommit(events: Int, submissions: Int, duration: Duration, outcomes: [Sequencer.Outcome])
}
