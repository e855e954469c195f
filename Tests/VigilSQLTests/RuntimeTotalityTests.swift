import Testing
@testable import VigilSQL

/// The runtime functions SQLite calls are total: no argument traps, whatever the statement or the stored data
/// hand them. Each case is an input that used to, or could, hit a trapping conversion or an overflow.
@Suite("Runtime totality")
struct RuntimeTotalityTests {
    @Test("integer division, remainder and floor division at the 64-bit edges")
    func integerEdges() throws {
        #expect(SparkArithmetic.floorDivide(.integer(.min), .integer(-1)) == .null)
        #expect(SparkArithmetic.floorDivide(.integer(-7), .integer(2)) == .integer(-4))
        #expect(try SparkArithmetic.remainder(.integer(.min), .integer(-1)) == .integer(0))
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.integerDivide(.integer(.min), .integer(-1)) }
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.remainder(.integer(1), .integer(0)) }
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.integerDivide(.real(1e300), .real(1e-300)) }
    }

    @Test("casts of NaN, infinities and out-of-range doubles are CAST_OVERFLOW, not a trap")
    func casts() {
        for value in [Double.nan, .infinity, -.infinity, 1e19, -1e19, 9.3e18] {
            do {
                _ = try SparkArithmetic.castIntegral(.real(value), width: 64)
                Issue.record("cast \(value)")
            } catch {
                #expect(error.code == .castOverflow)
            }
        }
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.castIntegral(.integer(3_000_000_000), width: 32) }
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.castDecimal(.real(.infinity), precision: 10, scale: 2) }
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.ceil(.real(.infinity), keepDecimal: false) }
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.floor(.real(.nan), keepDecimal: false) }
    }

    @Test("timestamps, windows and array indexes at the edges")
    func temporalEdges() throws {
        #expect(SparkArithmetic.secondsToTimestamp(.integer(.max)) == .integer(9_223_372_036_854_775))
        #expect(SparkArithmetic.secondsToTimestamp(.integer(.min)) == .integer(-9_223_372_036_854_776))
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.timeWindow(.integer(.max), size: .integer(1_000)) }
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.timeWindow(.integer(.min), size: .integer(7)) }
        #expect(try SparkArithmetic.timeWindow(.integer(-1), size: .integer(10)) == .text(#"{"start":-10,"end":0}"#))
        // Widths past half of Int64 (the reviewer's find: `(millis % width) + width` overflowed).
        #expect(try SparkArithmetic.timeWindow(.integer(5), size: .integer(.max)) == .text(#"{"start":0,"end":9223372036854775807}"#))
        #expect(try SparkArithmetic.timeWindow(.integer(-5), size: .integer(.max)) == .text(#"{"start":-9223372036854775807,"end":0}"#))
        #expect(throws: SparkRuntimeError.self) { try SparkArithmetic.timeWindow(.integer(.max), size: .integer(.max / 2 + 1)) }
        #expect(SparkArithmetic.jsonIndex(.integer(-1)) == .null)
        #expect(SparkArithmetic.jsonIndex(.integer(.max)) == .text("$[9223372036854775807]"))
        for millis in [Int64.min, .max, -1, 0] {
            _ = SparkDateTime.isoString(millis: millis)
            _ = SparkDateTime.castToString(millis: millis)
            for unit in ["YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR"] { _ = SparkDateTime.truncate(millis: millis, unit: unit) }
            _ = try? SparkDateTime.format(millis: millis, pattern: "yyyy-MM-dd EEEE MMMM HH:mm:ss.SSS")
        }
        #expect(SparkDateTime.epochDay(of: "99999999999999999-01-01") == nil)
        #expect(SparkDateTime.epochDay(of: "-9223372036854775808-01-01") == nil)
        #expect(SparkDateTime.parseDate("99999999999-01-01", pattern: "yyyy-MM-dd") == nil)
        #expect(SparkDateTime.parseTimestamp("9223372036854775807-01-01 00:00:00", pattern: nil) == nil)
        #expect(SparkDateTime.dayString(epochDay: .max).isEmpty == false)
    }

    @Test("rendering a value of the wrong kind for its column never traps")
    func rendering() {
        #expect(SparkStrings.render(.real(1e19), as: .bigint) == "1.0E19")
        #expect(SparkStrings.render(.real(.nan), as: .int) == "NaN")
        #expect(SparkStrings.render(.real(42), as: .int) == "42")
        #expect(SparkStrings.render(.integer(.min), as: .timestamp) != nil)
        #expect(SparkStrings.render(.real(1e300), as: .decimal(precision: 38, scale: 2)) != nil)
        #expect(SparkStrings.render(.text("not json"), as: .array(.string)) == "not json")
    }

    @Test("LIKE stops when the statement must, even in its quadratic worst case")
    func likeInterrupted() throws {
        let subject = String(repeating: "a", count: 200_000)
        let pattern = String(repeating: "%a", count: 20_000) + "b"
        var asked = 0
        do {
            _ = try SparkPatterns.like(subject, pattern: pattern, caseInsensitive: false) {
                asked += 1
                return asked > 3
            }
            Issue.record("matched to the end")
        } catch {
            #expect(asked == 4)
        }
        #expect(try SparkPatterns.like("abc", pattern: "a%", caseInsensitive: false))
    }

    @Test("array_distinct of a large array is hashed, and keeps first occurrences in order")
    func distinct() {
        let json = "[" + (0..<100_000).map { String($0 % 1000) }.joined(separator: ",") + ",1.0,\"1\"]"
        let result = SparkCollections.apply("distinct", json)
        #expect(result?.hasPrefix("[0,1,2,3") == true)
        #expect(result?.hasSuffix("998,999,\"1\"]") == true)
    }
}
