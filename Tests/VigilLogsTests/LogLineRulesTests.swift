import Testing
import VigilCore
@testable import VigilLogs

@Suite("Levels, fields, cutting and filters")
struct LogLineRulesTests {
    @Test("level names of common loggers fold to one vocabulary", arguments: [
        ("warning", "WARN"), ("WARN", "WARN"), ("err", "ERROR"), ("Error", "ERROR"), ("severe", "ERROR"), ("critical", "FATAL"),
        ("panic", "FATAL"), ("information", "INFO"), ("notice", "INFO"), ("dbg", "DEBUG"), ("trace", "TRACE"), ("audit", "AUDIT"),
    ])
    func levels(raw: String, want: String) {
        #expect(LogLevel.normalized(raw) == want)
    }

    @Test("OpenTelemetry severity numbers map to levels; 0 and out of range have none")
    func severityNumbers() {
        #expect([0, 1, 5, 9, 13, 17, 21, 24, 25].map(LogLevel.fromSeverityNumber) == [nil, "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "FATAL", nil])
    }

    @Test("only a message that is a JSON object has fields; a later duplicate member wins")
    func fields() {
        #expect(MessageFields.extract("plain text").members.isEmpty)
        #expect(MessageFields.extract("[1,2]").members.isEmpty)
        #expect(MessageFields.extract("{broken").members.isEmpty)
        let (level, members) = MessageFields.extract(#"  {"severity":"ERROR","a":null,"b":"x","b":"y"}  "#)
        #expect(level == "ERROR")
        #expect(MessageFields.json(members) == #"{"severity":"ERROR","b":"y"}"#)
    }

    @Test("cutting keeps whole characters and says how much was dropped")
    func cut() {
        #expect(LineCutter.cut("short", maxBytes: 10) == ("short", false))
        #expect(LineCutter.cut("abcdef", maxBytes: 3) == ("abc …[cut: 3 more bytes]", true))
        // "€" is three bytes: a cut inside it backs up to before it.
        #expect(LineCutter.cut("a€b", maxBytes: 2) == ("a …[cut: 4 more bytes]", true))
        #expect(LineCutter.cut("😀😀", maxBytes: 5) == ("😀 …[cut: 4 more bytes]", true))
    }

    @Test("a search is a case-insensitive substring; source and level narrow it")
    func filters() {
        let line = LogLine(timestampMillis: 0, source: .system, stream: .stderr, level: "ERROR", message: "Payment FAILED for order 42")
        #expect(LogFilter(search: "failed").matches(line))
        #expect(LogFilter(search: "ORDER 4").matches(line))
        #expect(!LogFilter(search: "order 43").matches(line))
        #expect(LogFilter(search: "", source: .system, level: "err").matches(line))
        #expect(!LogFilter(source: .app).matches(line))
        #expect(!LogFilter(level: "WARN").matches(line))
        #expect(LogFilter().isEmpty && !LogFilter(search: "x").isEmpty)
    }

    @Test("a LIKE pattern escapes %, _ and backslash so they match themselves")
    func likePattern() {
        #expect(LogFilter(search: #"100%_a\b"#).likePattern == #"%100\%\_a\\b%"#)
    }
}

@Suite("Per-app rate limit")
struct TokenBucketTests {
    @Test("a full bucket admits a burst, then refuses while in debt, and says how long the debt lasts")
    func debt() {
        var bucket = TokenBucket(tokens: 100, updatedMillis: 0)
        #expect(bucket.take(100, nowMillis: 0, rate: 10, burst: 100) == .admitted)
        #expect(bucket.take(250, nowMillis: 0, rate: 10, burst: 100) == .admitted)  // a push larger than the rest goes into debt
        #expect(bucket.take(1, nowMillis: 0, rate: 10, burst: 100) == .limited(retryAfterSeconds: 25))
        #expect(bucket.take(1, nowMillis: 20_000, rate: 10, burst: 100) == .limited(retryAfterSeconds: 5))
        #expect(bucket.take(1, nowMillis: 25_000, rate: 10, burst: 100) == .admitted)
    }

    @Test("refilling stops at the burst, and a clock that goes back does not refill")
    func refill() {
        var bucket = TokenBucket(tokens: 0, updatedMillis: 1_000)
        _ = bucket.take(0, nowMillis: 1_000_000, rate: 10, burst: 50)
        #expect(bucket.tokens == 50)
        _ = bucket.take(50, nowMillis: 1_000_000, rate: 10, burst: 50)
        _ = bucket.take(0, nowMillis: 500, rate: 10, burst: 50)
        #expect(bucket.tokens == 0)
    }

    @Test("apps have buckets of their own; a rate of 0 admits everything")
    func perApp() {
        let clock = FixedWallClock(millis: 0)
        let limiter = AppLogRateLimiter(linesPerSecond: 1, burstLines: 10, clock: clock)
        #expect(limiter.admit(20, appKey: 1) == .admitted)
        #expect(limiter.admit(1, appKey: 1) == .limited(retryAfterSeconds: 10))
        #expect(limiter.admit(1, appKey: 2) == .admitted)
        let open = AppLogRateLimiter(linesPerSecond: 0, burstLines: 1, clock: clock)
        for _ in 0..<5 { #expect(open.admit(1_000_000, appKey: 1) == .admitted) }
    }
}
