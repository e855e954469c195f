import Crypto

extension AuditEvent {
    /// Fills a missing `event_id` with the first 16 bytes (32 hex characters) of the SHA-256 of the
    /// event's canonical bytes. Deriving it from content rather than drawing it at random makes a producer's
    /// retry of an id-less event idempotent: the retry gets the same id and so its original `seq`.
    public func withDerivedEventIDIfMissing() -> AuditEvent {
        guard eventID.isEmpty else { return self }
        var copy = self
        copy.eventID = Hex.encode(SHA256.hash(data: canonicalBytes()).prefix(16))
        return copy
    }
}
