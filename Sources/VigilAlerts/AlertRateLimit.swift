/// At most `perMinute` alerts per rule: a token bucket per rule that holds a minute's worth and refills evenly, so a
/// rule may fire `perMinute` times at once and then `perMinute / 60` times a second. A rule that matches a large
/// share of the stream (off-hours access during a nightly batch) would otherwise store thousands of alerts a second
/// and slow ingest for everyone; what it is not allowed is counted per rule (`vigil_detection_alerts_suppressed_total`)
/// and logged, never silently lost. Pure: time comes in.
public struct AlertRateLimit: Sendable {
    /// 0 lets everything through.
    public let perMinute: Int
    var buckets: [String: (tokens: Double, updated: Int64)] = [:]
    public private(set) var suppressed: [String: Int64] = [:]

    public init(perMinute: Int) {
        self.perMinute = perMinute
    }

    /// Whether rule `ruleID` may fire at `now` (milliseconds); a refusal is counted.
    public mutating func admit(_ ruleID: String, now: Int64) -> Bool {
        guard perMinute > 0 else { return true }
        let capacity = Double(perMinute)
        var bucket = buckets[ruleID] ?? (capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + Double(max(now - bucket.updated, 0)) * capacity / 60_000)
        bucket.updated = now
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 } else { suppressed[ruleID, default: 0] += 1 }
        buckets[ruleID] = bucket
        return admitted
    }

    /// Forgets the buckets of rules no longer loaded (their counts stay: they are totals).
    public mutating func keep(only ruleIDs: Set<String>) {
        buckets = buckets.filter { ruleIDs.contains($0.key) }
    }
}
