import VigilCore
import VigilLedger

/// A validated event ready for the sequencer: its id is filled and its Merkle leaf hash (SHA-256 of 0x00 ‖
/// canonical bytes) computed on the request's own task, so the single writer does no hashing. The leaf hash
/// also identifies the content: same id + same leaf hash = a retry, same id + other hash = a conflict.
public struct PreparedEvent: Sendable {
    public let event: AuditEvent
    public let leafHash: MerkleHash
    public let receivedMillis: Int64
    /// Written by Vigil itself (its self-audit), not sent by a producer: a producer can send any service and
    /// action name, so only this says an event really is Vigil's own.
    public let fromVigil: Bool

    public init(_ event: AuditEvent, receivedMillis: Int64, fromVigil: Bool = false) {
        let filled = event.withDerivedEventIDIfMissing()
        self.event = filled
        self.leafHash = MerkleHasher.leafHash(filled.canonicalBytes())
        self.receivedMillis = receivedMillis
        self.fromVigil = fromVigil
    }
}

/// Where an event ended up: its `seq`, and whether it had been stored before (a retried event).
public struct SequencedEvent: Sendable, Equatable {
    public let eventID: String
    public let seq: Int64
    public let duplicate: Bool

    public init(eventID: String, seq: Int64, duplicate: Bool) {
        self.eventID = eventID
        self.seq = seq
        self.duplicate = duplicate
    }
}

/// An event as read back from the store.
public struct StoredEvent: Sendable {
    public let seq: Int64
    public let event: AuditEvent
    public let receivedMillis: Int64

    public init(seq: Int64, event: AuditEvent, receivedMillis: Int64) {
        self.seq = seq
        self.event = event
        self.receivedMillis = receivedMillis
    }
}
