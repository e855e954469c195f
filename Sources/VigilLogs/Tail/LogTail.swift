import Synchronization

/// Live tail: hands each stored batch of lines to everyone following that app, without ever waiting for them.
///
/// A follower gets its lines through an unbounded stream whose backlog is counted; one that falls more than
/// `maxBacklogLines` behind (while it was already behind: a caught-up follower takes any single batch) is dropped (its stream ends with `.tooSlow`) rather than holding memory or slowing
/// ingest, which only ever appends and returns.
public final class LogTail: Sendable {
    public enum End: Sendable, Equatable {
        /// The follower fell too far behind.
        case tooSlow
        /// The app was deleted.
        case appDeleted
    }

    public enum Event: Sendable {
        case lines([StoredLogLine])
        case ended(End)
    }

    public final class Follower: Sendable {
        public let id: Int
        public let appKey: Int64
        public let events: AsyncStream<Event>
        let continuation: AsyncStream<Event>.Continuation
        let backlog = Atomic<Int>(0)
        let ended = Atomic<Bool>(false)
        let reason = Mutex<End?>(nil)

        /// Why the follower was ended, as soon as it is (before its stream has delivered what it still buffers):
        /// a writer checks it before each write so a dropped slow client is not sent its backlog anyway.
        public var endReason: End? { reason.withLock { $0 } }

        init(id: Int, appKey: Int64) {
            self.id = id
            self.appKey = appKey
            (events, continuation) = AsyncStream.makeStream(of: Event.self)
        }

        /// Call after handling the lines of one `.lines` event, so they no longer count against the backlog.
        public func consumed(_ count: Int) {
            backlog.subtract(count, ordering: .relaxed)
        }
    }

    private struct State {
        var nextID = 0
        var followers: [Int64: [Int: Follower]] = [:]
    }

    private let state = Mutex(State())
    public let maxBacklogLines: Int
    /// Called with the reason when a follower is dropped (metrics).
    private let dropped: @Sendable (End) -> Void

    public init(maxBacklogLines: Int = 20_000, dropped: @escaping @Sendable (End) -> Void = { _ in }) {
        self.maxBacklogLines = maxBacklogLines
        self.dropped = dropped
    }

    /// Starts following an app. Lines published from now on reach the follower.
    public func follow(appKey: Int64) -> Follower {
        state.withLock { state in
            let follower = Follower(id: state.nextID, appKey: appKey)
            state.nextID += 1
            state.followers[appKey, default: [:]][follower.id] = follower
            return follower
        }
    }

    public func stopFollowing(_ follower: Follower) {
        _ = state.withLock { state in state.followers[follower.appKey]?.removeValue(forKey: follower.id) }
        follower.continuation.finish()
    }

    /// How many followers there are now.
    public var followerCount: Int { state.withLock { $0.followers.values.reduce(0) { $0 + $1.count } } }

    /// Hands `lines` (all of app `appKey`) to its followers.
    public func publish(_ lines: [StoredLogLine], appKey: Int64) {
        guard !lines.isEmpty else { return }
        let followers = state.withLock { Array($0.followers[appKey]?.values ?? [:].values) }
        for follower in followers {
            // A follower that had caught up takes any one batch (a push may hold up to 100,000 lines); one already
            // behind is dropped once it passes the limit.
            let (before, backlog) = follower.backlog.add(lines.count, ordering: .relaxed)
            if before > 0, backlog > maxBacklogLines {
                end(follower, .tooSlow)
            } else {
                follower.continuation.yield(.lines(lines))
            }
        }
    }

    /// Ends every follower of an app (it was deleted).
    public func endFollowers(appKey: Int64) {
        let followers = state.withLock { Array($0.followers[appKey]?.values ?? [:].values) }
        for follower in followers { end(follower, .appDeleted) }
    }

    private func end(_ follower: Follower, _ reason: End) {
        guard !follower.ended.exchange(true, ordering: .relaxed) else { return }
        follower.reason.withLock { $0 = reason }
        _ = state.withLock { state in state.followers[follower.appKey]?.removeValue(forKey: follower.id) }
        follower.continuation.yield(.ended(reason))
        follower.continuation.finish()
        if reason == .tooSlow { dropped(reason) }
    }
}
