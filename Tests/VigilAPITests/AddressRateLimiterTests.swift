import Testing
@testable import VigilAPI

/// The per-address limit on requests without a valid token, as a pure state machine on an injected clock.
@Suite("Address rate limiter")
struct AddressRateLimiterTests {
    @Test("an address gets its burst at once, then one request per 1/rate seconds; Retry-After says when")
    func burstThenRate() {
        var limiter = AddressRateLimiter(limits: .init(rate: 2, burst: 3))
        #expect((0..<3).map { _ in limiter.admit("10.0.0.1", now: 0) } == Array(repeating: .allowed, count: 3))
        #expect(limiter.admit("10.0.0.1", now: 0) == .limited(retryAfterSeconds: 1))
        // Half a second refills one token at 2 per second.
        #expect(limiter.admit("10.0.0.1", now: 500) == .allowed)
        #expect(limiter.admit("10.0.0.1", now: 500) == .limited(retryAfterSeconds: 1))
        // Other addresses have their own buckets.
        #expect(limiter.admit("10.0.0.2", now: 500) == .allowed)
    }

    @Test("a slow rate gives a longer Retry-After")
    func retryAfter() {
        var limiter = AddressRateLimiter(limits: .init(rate: 0.1, burst: 1))
        #expect(limiter.admit("a", now: 0) == .allowed)
        #expect(limiter.admit("a", now: 0) == .limited(retryAfterSeconds: 10))
        #expect(limiter.admit("a", now: 5_000) == .limited(retryAfterSeconds: 5))
    }

    @Test("refused requests are summarised per address once their window has passed, each only once")
    func summaries() {
        var limiter = AddressRateLimiter(limits: .init(rate: 0.001, burst: 1, summaryWindowMillis: 60_000))
        _ = limiter.admit("a", now: 0)
        for time in [1_000, 2_000, 3_000] { _ = limiter.admit("a", now: Int64(time)) }
        _ = limiter.admit("b", now: 10_000)
        _ = limiter.admit("b", now: 20_000)
        #expect(limiter.takeSummaries(now: 30_000).isEmpty)
        #expect(limiter.takeSummaries(now: 61_000) == [.init(address: "a", count: 3, firstMillis: 1_000, lastMillis: 3_000)])
        #expect(limiter.takeSummaries(now: 62_000).isEmpty)
        // At shutdown everything pending is handed out, window or not.
        #expect(limiter.takeSummaries(now: 62_000, all: true) == [.init(address: "b", count: 1, firstMillis: 20_000, lastMillis: 20_000)])
        #expect(limiter.takeSummaries(now: 200_000, all: true).isEmpty)
    }

    @Test("past maxAddresses idle addresses are forgotten; with none idle, new addresses share one bucket")
    func boundedMemory() {
        var limiter = AddressRateLimiter(limits: .init(rate: 1, burst: 1, maxAddresses: 2))
        _ = limiter.admit("a", now: 0)
        _ = limiter.admit("b", now: 0)
        // Both buckets are empty (busy): a third address shares the overflow bucket.
        #expect(limiter.admit("c", now: 0) == .allowed)
        #expect(limiter.admit("d", now: 0) == .limited(retryAfterSeconds: 1))
        #expect(limiter.trackedAddresses == 3)
        // Ten seconds later a and b are full again (idle) and can be forgotten to track e itself.
        #expect(limiter.admit("e", now: 10_000) == .allowed)
        #expect(limiter.admit("e", now: 10_000) == .limited(retryAfterSeconds: 1))
        #expect(limiter.trackedAddresses <= 3)
    }

    @Test("a flood of new addresses past maxAddresses scans the buckets at most once a second")
    func sweepsAreRateLimited() {
        var limiter = AddressRateLimiter(limits: .init(rate: 1, burst: 1, maxAddresses: 2))
        _ = limiter.admit("a", now: 0)
        _ = limiter.admit("b", now: 0)
        for n in 0..<1_000 { _ = limiter.admit("flood-\(n)", now: Int64(n)) }
        #expect(limiter.sweeps == 1)
        #expect(limiter.trackedAddresses == 3)  // a, b and the shared overflow bucket
        _ = limiter.admit("late", now: 1_000)
        #expect(limiter.sweeps == 2)
    }
}
