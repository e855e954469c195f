/// A token bucket per client address for requests that carry no valid token (open routes and failed
/// authentication): past `burst` at once or `rate` per second, they are refused with 429 and no longer audited one
/// by one; instead each address's refused requests are summed and `takeSummaries` hands out one summary per
/// address and window, which becomes a single audit record with the count. A storm of bad tokens thus costs a
/// token hash and lookup per request but no durable write, does not fill the audit log, and is still on record.
///
/// Pure: time comes in as milliseconds of a monotonic clock, so tests run it without sleeping.
public struct AddressRateLimiter: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Requests per second an address may make without a valid token, sustained.
        public var rate: Double
        /// Requests at once before the rate applies.
        public var burst: Double
        /// Addresses tracked at most; past it, new addresses share one bucket.
        public var maxAddresses: Int
        /// Refused requests of one address are summarised at most this often.
        public var summaryWindowMillis: Int64

        public init(rate: Double = 20, burst: Double = 100, maxAddresses: Int = 10_000, summaryWindowMillis: Int64 = 60_000) {
            self.rate = max(0.001, rate)
            self.burst = max(1, burst)
            self.maxAddresses = max(1, maxAddresses)
            self.summaryWindowMillis = max(1, summaryWindowMillis)
        }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a token is available again after this many seconds.
        case limited(retryAfterSeconds: Int)
    }

    /// Requests of one address refused in one window.
    public struct Summary: Sendable, Equatable {
        public var address: String
        public var count: Int
        public var firstMillis: Int64
        public var lastMillis: Int64
    }

    struct Bucket {
        var tokens: Double
        var updated: Int64
        var refused = 0
        var firstRefused: Int64 = 0
        var lastRefused: Int64 = 0
    }

    /// The bucket new addresses share once `maxAddresses` are tracked.
    static let overflow = "(other addresses)"

    /// Forgetting idle buckets scans them all, so it runs at most this often: a flood of new addresses (one
    /// client's IPv6 range) shares the overflow bucket in between instead of scanning per request.
    static let sweepIntervalMillis: Int64 = 1_000

    public let limits: Limits
    private var buckets: [String: Bucket] = [:]
    private var lastSweep: Int64?
    /// Sweeps so far (for tests).
    private(set) var sweeps = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    var trackedAddresses: Int { buckets.count }

    public mutating func admit(_ address: String, now: Int64) -> Decision {
        let key = key(for: address, now: now)
        var bucket = buckets[key] ?? Bucket(tokens: limits.burst, updated: now)
        let elapsed = Double(max(0, now - bucket.updated)) / 1000
        bucket.tokens = min(limits.burst, bucket.tokens + elapsed * limits.rate)
        bucket.updated = now
        defer { buckets[key] = bucket }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return .allowed
        }
        if bucket.refused == 0 { bucket.firstRefused = now }
        bucket.refused += 1
        bucket.lastRefused = now
        let wait = (1 - bucket.tokens) / limits.rate
        return .limited(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
    }

    /// Summaries of refused requests whose window has ended (or all of them, at shutdown); each is handed out
    /// once.
    public mutating func takeSummaries(now: Int64, all: Bool = false) -> [Summary] {
        var summaries: [Summary] = []
        for (address, bucket) in buckets where bucket.refused > 0 {
            guard all || now - bucket.firstRefused >= limits.summaryWindowMillis else { continue }
            summaries.append(Summary(address: address, count: bucket.refused, firstMillis: bucket.firstRefused, lastMillis: bucket.lastRefused))
            buckets[address]?.refused = 0
        }
        return summaries.sorted { $0.firstMillis < $1.firstMillis }
    }

    /// The address's own bucket, or the shared overflow bucket when too many addresses are tracked and none can
    /// be forgotten (a full bucket with nothing to summarise carries no state worth keeping).
    private mutating func key(for address: String, now: Int64) -> String {
        if buckets[address] != nil || buckets.count < limits.maxAddresses { return address }
        if let lastSweep, now - lastSweep < Self.sweepIntervalMillis { return Self.overflow }
        lastSweep = now
        sweeps += 1
        let idle = buckets.filter { _, bucket in
            bucket.refused == 0 && bucket.tokens + Double(max(0, now - bucket.updated)) / 1000 * limits.rate >= limits.burst
        }.map(\.key)
        for forgotten in idle where forgotten != Self.overflow { buckets[forgotten] = nil }
        return buckets.count < limits.maxAddresses ? address : Self.overflow
    }
}
