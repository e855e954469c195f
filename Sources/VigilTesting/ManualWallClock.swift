import Synchronization
import VigilCore

/// A wall clock a test moves by hand (result time-to-live, token expiry) instead of sleeping.
public final class ManualWallClock: WallClock {
    private let millis: Atomic<Int64>

    public init(millis: Int64) {
        self.millis = Atomic(millis)
    }

    public func nowMillis() -> Int64 { millis.load(ordering: .relaxed) }

    public func advance(byMillis delta: Int64) {
        millis.add(delta, ordering: .relaxed)
    }
}
