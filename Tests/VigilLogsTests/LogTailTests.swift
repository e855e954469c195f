import Synchronization
import Testing
@testable import VigilLogs

@Suite("Live tail fan-out")
struct LogTailTests {
    static func lines(_ ids: ClosedRange<Int64>, app: Int64 = 1) -> [StoredLogLine] {
        ids.map { StoredLogLine(id: $0, appKey: app, line: LogLine(timestampMillis: $0, message: "line \($0)")) }
    }

    @Test("followers of an app get its lines, and only its")
    func perApp() async {
        let tail = LogTail()
        let shop = tail.follow(appKey: 1)
        let other = tail.follow(appKey: 2)
        tail.publish(Self.lines(1...3), appKey: 1)
        tail.stopFollowing(other)
        tail.stopFollowing(shop)
        var got: [Int64] = []
        for await event in shop.events { if case .lines(let lines) = event { got += lines.map(\.id) } }
        #expect(got == [1, 2, 3])
        var otherGot = 0
        for await _ in other.events { otherGot += 1 }
        #expect(otherGot == 0)
        #expect(tail.followerCount == 0)
    }

    @Test("a follower that falls too far behind is ended as too slow, counted, and publishing never waits for it")
    func slowFollower() async {
        let dropped = Mutex(0)
        let tail = LogTail(maxBacklogLines: 5) { reason in if reason == .tooSlow { dropped.withLock { $0 += 1 } } }
        let slow = tail.follow(appKey: 1)
        let fast = tail.follow(appKey: 1)
        tail.publish(Self.lines(1...3), appKey: 1)
        fast.consumed(3)
        tail.publish(Self.lines(4...6), appKey: 1)  // slow: 6 behind > 5
        #expect(slow.endReason == .tooSlow)
        #expect(fast.endReason == nil)
        #expect(dropped.withLock { $0 } == 1)
        var events: [String] = []
        for await event in slow.events {
            switch event {
            case .lines(let lines): events.append("lines \(lines.count)")
            case .ended(let reason): events.append("ended \(reason)")
            }
        }
        #expect(events == ["lines 3", "ended tooSlow"])
        #expect(tail.followerCount == 1)
    }

    @Test("a follower that has caught up takes one batch larger than the limit")
    func largeBatch() async {
        let tail = LogTail(maxBacklogLines: 5)
        let follower = tail.follow(appKey: 1)
        tail.publish(Self.lines(1...50), appKey: 1)
        #expect(follower.endReason == nil)
        tail.publish(Self.lines(51...51), appKey: 1)
        #expect(follower.endReason == .tooSlow)
    }

    @Test("deleting an app ends its followers, and only its")
    func appDeleted() async {
        let tail = LogTail()
        let follower = tail.follow(appKey: 7)
        let other = tail.follow(appKey: 8)
        tail.endFollowers(appKey: 7)
        var last: LogTail.Event?
        for await event in follower.events { last = event }
        guard case .ended(.appDeleted)? = last else { Issue.record("\(String(describing: last))"); return }
        #expect(follower.endReason == .appDeleted)
        #expect(other.endReason == nil && tail.followerCount == 1)
    }
}
