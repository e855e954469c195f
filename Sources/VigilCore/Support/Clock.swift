#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock, injected so that validation ("at most 5 minutes in the future"), token expiry and
/// cursors can be tested at a fixed instant.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    func nowMillis() -> Int64
}

public struct SystemWallClock: WallClock {
    public init() {}

    public func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that always answers the same instant (tests, replay).
public struct FixedWallClock: WallClock {
    public let millis: Int64
    public init(millis: Int64) { self.millis = millis }
    public func nowMillis() -> Int64 { millis }
}
