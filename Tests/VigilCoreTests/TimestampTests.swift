import Testing
@testable import VigilCore

@Suite("Timestamps")
struct TimestampTests {
    @Test("parses RFC 3339 variants to epoch milliseconds", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2023-01-01T01:01:01.123+00:00", Int64(1_672_534_861_123)),
        ("2023-01-01T02:01:01.123+01:00", Int64(1_672_534_861_123)),
        ("2023-01-01t01:01:01.123456789z", Int64(1_672_534_861_123)),
        ("2023-01-01 01:01:01.1Z", Int64(1_672_534_861_100)),
        ("2024-02-29T00:00:00Z", Int64(1_709_164_800_000)),
        ("1969-12-31T23:59:59.999Z", Int64(-1)),
    ])
    func parses(_ text: String, _ millis: Int64) {
        #expect(Timestamp.parseRFC3339(text) == millis)
    }

    @Test("rejects impossible or incomplete times", arguments: [
        "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-01-01T24:00:00Z", "2023-01-01T00:00:00",
        "2023-01-01", "2023-01-01T00:00:00.Z", "2023-01-01T00:00:00+0100", "yesterday", "2023-01-01T00:00:60Z",
    ])
    func rejects(_ text: String) {
        #expect(Timestamp.parseRFC3339(text) == nil)
    }

    @Test("formats UTC with milliseconds and derives the UTC date")
    func formats() {
        #expect(Timestamp.formatRFC3339(millis: 1_672_534_861_123) == "2023-01-01T01:01:01.123Z")
        #expect(Timestamp.formatRFC3339(millis: -1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.formatDate(millis: 1_672_531_199_999) == "2022-12-31")
        #expect(Timestamp.parseDate("2022-12-31") == 1_672_444_800_000)
    }

    @Test("accepts epoch milliseconds or RFC 3339 for query bounds")
    func instants() {
        #expect(Timestamp.parseInstant("1700000000000") == 1_700_000_000_000)
        #expect(Timestamp.parseInstant("2023-11-14T22:13:20Z") == 1_700_000_000_000)
        #expect(Timestamp.parseInstant("soon") == nil)
    }
}
