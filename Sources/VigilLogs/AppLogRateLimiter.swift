import Synchronization
import VigilCore

/// A token bucket per app, in lines: `linesPerSecond` refill up to `burstLines`. A push is admitted while the app's
/// bucket is not in debt, and takes all its lines (the bucket may go negative), so any push size works and a
/// flood is held to the rate on average. Refused pushes are told when the debt will be paid (`Retry-After`).
public struct TokenBucket: Sendable, Equatable {
    public var tokens: Double
    public var updatedMillis: Int64

    public init(tokens: Double, updatedMillis: Int64) {
        self.tokens = tokens
        self.updatedMillis = updatedMillis
    }

    public enum Decision: Sendable, Equatable {
        case admitted
        /// Whole seconds until the bucket is out of debt.
        case limited(retryAfterSeconds: Int)
    }

    /// Refills to `nowMillis`, then admits `lines` or says how long to wait.
    public mutating func take(_ lines: Int, nowMillis: Int64, rate: Int, burst: Int) -> Decision {
        let elapsed = Double(max(0, nowMillis - updatedMillis)) / 1000
        tokens = min(Double(burst), tokens + elapsed * Double(rate))
        updatedMillis = max(updatedMillis, nowMillis)
        guard tokens >= 0 else {
            return .limited(retryAfterSeconds: max(1, Int((-tokens / Double(rate)).rounded(.up))))
        }
        tokens -= Double(lines)
        return .admitted
    }
}

/// One bucket per app, shared by every request of the process.
public final class AppLogRateLimiter: Sendable {
    private let buckets = Mutex<[Int64: TokenBucket]>([:])
    public let linesPerSecond: Int
    public let burstLines: Int
    private let clock: any WallClock

    public init(linesPerSecond: Int, burstLines: Int, clock: any WallClock) {
        self.linesPerSecond = linesPerSecond
        self.burstLines = max(burstLines, 1)
        self.clock = clock
    }

    /// Admits a push of `lines` lines for app `appKey`; a rate of 0 admits everything.
    public func admit(_ lines: Int, appKey: Int64) -> TokenBucket.Decision {
        guard linesPerSecond > 0 else { return .admitted }
        let now = clock.nowMillis()
        return buckets.withLock { buckets in
            var bucket = buckets[appKey] ?? TokenBucket(tokens: Double(burstLines), updatedMillis: now)
            let decision = bucket.take(lines, nowMillis: now, rate: linesPerSecond, burst: burstLines)
            buckets[appKey] = bucket
            return decision
        }
    }
}
