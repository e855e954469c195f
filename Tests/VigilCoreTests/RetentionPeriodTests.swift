import Testing
import VigilCore

@Suite("Retention periods")
struct RetentionPeriodTests {
    @Test("a positive number with s, m, h or d", arguments: [
        ("7d", 604_800_000), ("36h", 129_600_000), ("90m", 5_400_000), ("45s", 45_000), ("3650d", 3650 * 86_400_000),
    ] as [(String, Int64)])
    func parses(text: String, millis: Int64) {
        #expect(RetentionPeriod.millis(text) == millis)
    }

    @Test("anything else is refused: no unit, another unit, zero, negative, past ten years, overflow", arguments: [
        "7", "d", "", "7w", "7D", "0d", "-1d", "3651d", "1.5d", " 7d", "99999999999999999999d", "\(Int64.max)s",
    ])
    func refuses(text: String) {
        #expect(RetentionPeriod.millis(text) == nil)
    }

    @Test("written back in the largest exact unit, so a setting reads as it was given")
    func text() {
        #expect(RetentionPeriod.text(604_800_000) == "7d")
        #expect(RetentionPeriod.text(129_600_000) == "36h")
        #expect(RetentionPeriod.text(5_400_000) == "90m")
        #expect(RetentionPeriod.text(61_000) == "61s")
        for sample in ["7d", "36h", "90m", "45s"] { #expect(RetentionPeriod.text(RetentionPeriod.millis(sample)!) == sample) }
    }
}
