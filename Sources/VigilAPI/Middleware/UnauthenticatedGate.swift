import Foundation
import Synchronization
import VigilCore

/// The shared `AddressRateLimiter` of a server, on the monotonic clock, and the audit records of what it refused.
public final class UnauthenticatedGate: Sendable {
    private let limiter: Mutex<AddressRateLimiter>
    private let start = ContinuousClock.now

    public init(limits: AddressRateLimiter.Limits = .init()) {
        limiter = Mutex(AddressRateLimiter(limits: limits))
    }

    private var nowMillis: Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    func admit(_ address: String?) -> AddressRateLimiter.Decision {
        let now = nowMillis
        return limiter.withLock { $0.admit(address ?? "unknown", now: now) }
    }

    /// Writes one `accounts`/`tokenLogin` record (status 429) per address whose refused requests' window ended
    /// (all of them when `all`, at shutdown): the count and the first and last attempt stand in for the records
    /// the limit suppressed.
    public func recordSummaries(with recorder: SelfAuditRecorder, wallClock: any WallClock, all: Bool = false) async throws {
        let now = nowMillis
        let summaries = limiter.withLock { $0.takeSummaries(now: now, all: all) }
        guard !summaries.isEmpty else { return }
        // Monotonic milliseconds back to wall-clock time for the record.
        let offset = wallClock.nowMillis() - now
        for summary in summaries {
            try await recorder.record(.init(
                service: "accounts", action: "tokenLogin", userName: nil, sourceIP: summary.address, userAgent: nil,
                requestID: RandomID.hex(), statusCode: 429,
                errorMessage: "\(summary.count) requests without a valid token were refused by the rate limit",
                requestParams: [
                    ("authenticationMethod", "API_INT_PAT_TOKEN"), ("suppressedCount", String(summary.count)),
                    ("firstAttempt", Timestamp.formatRFC3339(millis: summary.firstMillis + offset)),
                    ("lastAttempt", Timestamp.formatRFC3339(millis: summary.lastMillis + offset)),
                ]))
        }
    }
}
