import Testing
@testable import VigilAlerts

/// The per-rule alert limit with a fake clock: a minute's worth at once, then an even rate; rules apart; 0 is no limit.
struct AlertRateLimitTests {
    @Test("a burst of the limit, then one every 60/limit seconds; the rest counted per rule")
    func bucket() {
        var limit = AlertRateLimit(perMinute: 6)
        // (rule, time) → admitted, in order.
        let steps: [(String, Int64)] = Array(repeating: ("a", 0), count: 10) + [("a", 9_999), ("a", 10_000), ("a", 10_001), ("b", 10_001)]
        let answers = steps.map { limit.admit($0.0, now: $0.1) }
        #expect(answers == Array(repeating: true, count: 6) + Array(repeating: false, count: 4) + [false, true, false, true])
        #expect(limit.suppressed == ["a": 6])
        // A quiet hour refills to the minute's worth, no more.
        let later = (0..<8).map { _ in limit.admit("a", now: 3_600_000) }
        #expect(later.filter { $0 }.count == 6)
        // A clock that steps back does not mint tokens.
        let back = limit.admit("a", now: 0)
        #expect(!back)
    }

    @Test("0 lets every firing through; forgetting unloaded rules keeps the totals")
    func unlimitedAndForget() {
        var unlimited = AlertRateLimit(perMinute: 0)
        let all = (0..<10_000).map { _ in unlimited.admit("a", now: 0) }
        #expect(all.allSatisfy { $0 })
        #expect(unlimited.suppressed.isEmpty)
        var limit = AlertRateLimit(perMinute: 1)
        _ = limit.admit("a", now: 0)
        _ = limit.admit("a", now: 0)
        limit.keep(only: [])
        #expect(limit.suppressed == ["a": 1])
        let again = limit.admit("a", now: 0)
        #expect(again, "a rule loaded again starts with a full bucket")
    }
}
