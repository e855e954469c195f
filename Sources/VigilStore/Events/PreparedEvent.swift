import VigilCore

/// A validated event ready for the sequencer: its id is filled and its content hash computed on the
/// request's own task, so the single writer does no hashing.
public struct PreparedEvent: Sendable {
    public let event: AuditEvent
    public let contentHash: [UInt8]
    public let receivedMillis: Int64

    public init(_ event: AuditEvent, receivedMillis: Int64) {
        let filled = event.withDerivedEventIDIfMissing()
        self.event = filled
        self.contentHash = filled.contentHash()
        self.receivedMillis = receivedMillis
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
    public let contentHash: [UInt8]
}
