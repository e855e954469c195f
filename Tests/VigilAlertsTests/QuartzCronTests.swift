import Foundation
import Testing
import VigilCore
@testable import VigilAlerts

/// Quartz schedules as Databricks alerts write them, at their edges: steps, names, time zones, a daylight-saving gap.
struct QuartzCronTests {
    static func millis(_ text: String) -> Int64 { Timestamp.parseRFC3339(text)! }
    static func next(_ cron: String, after: String, zone: String = "UTC") throws -> String? {
        try QuartzCron(cron).next(after: millis(after), in: TimeZone(identifier: zone)!).map { Timestamp.formatRFC3339(millis: $0) }
    }

    @Test("the next run: steps, lists, ranges, names, a year, strictly after the instant")
    func next() throws {
        #expect(try Self.next("0 0/5 * * * ?", after: "2026-12-03T10:02:30Z") == "2026-12-03T10:05:00.000Z")
        #expect(try Self.next("0 0/5 * * * ?", after: "2026-12-03T10:05:00Z") == "2026-12-03T10:10:00.000Z")
        #expect(try Self.next("* * * * * ?", after: "2026-12-03T10:05:00.400Z") == "2026-12-03T10:05:01.000Z")
        #expect(try Self.next("0 0 12 1,15 * ?", after: "2026-12-03T00:00:00Z") == "2026-12-15T12:00:00.000Z")
        #expect(try Self.next("0 0 0 ? JAN *", after: "2026-12-03T00:00:00Z") == "2027-01-01T00:00:00.000Z")
        #expect(try Self.next("0 15 10-12/2 ? * MON-FRI", after: "2026-12-04T11:00:00Z") == "2026-12-04T12:15:00.000Z")
        #expect(try Self.next("0 15 10-12/2 ? * MON-FRI", after: "2026-12-04T13:00:00Z") == "2026-12-07T10:15:00.000Z", "Friday 13:00 → Monday 10:15")
        #expect(try Self.next("0 0 0 1 1 ? 2028", after: "2026-12-03T00:00:00Z") == "2028-01-01T00:00:00.000Z")
        #expect(try Self.next("0 0 0 1 1 ? 2020", after: "2026-12-03T00:00:00Z") == nil)
        // Day-of-week counts 1 = Sunday, as in Quartz.
        #expect(try Self.next("0 0 8 ? * 1", after: "2026-12-03T00:00:00Z") == "2026-12-06T08:00:00.000Z")
    }

    @Test("in the schedule's time zone, and a local time a daylight-saving jump skips is not named")
    func timeZones() throws {
        #expect(try Self.next("0 30 9 ? * MON-FRI", after: "2026-12-05T00:00:00Z", zone: "Europe/Berlin") == "2026-12-07T08:30:00.000Z")
        #expect(try Self.next("0 30 9 * * ?", after: "2026-07-01T00:00:00Z", zone: "Europe/Berlin") == "2026-07-01T07:30:00.000Z")
        // 2026-03-29 02:30 does not exist in Berlin: the next 02:30 is the day after.
        #expect(try Self.next("0 30 2 * * ?", after: "2026-03-28T12:00:00Z", zone: "Europe/Berlin") == "2026-03-30T00:30:00.000Z")
    }

    @Test("refusals name the field and the reason")
    func refusals() {
        func reason(_ text: String) -> String {
            do {
                _ = try QuartzCron(text)
                return "accepted"
            } catch {
                return (error as? VigilError)?.message ?? "\(error)"
            }
        }
        #expect(reason("0 0 * * *").contains("must have 6 or 7 fields"))
        #expect(reason("60 0 * * * ?").contains("seconds"))
        #expect(reason("0 0 24 * * ?").contains("hours"))
        #expect(reason("0 0 0 L * ?").contains("uses L, W or #"))
        #expect(reason("0 0 0 ? * 6#3").contains("uses L, W or #"))
        #expect(reason("0 0 0 15W * ?").contains("uses L, W or #"))
        #expect(reason("0 0 0 1 * MON").contains("day-of-month or day-of-week"))
        #expect(reason("0 0 0 ? FOO *").contains("month"))
        #expect(reason("0 0/0 * * * ?").contains("step"))
        #expect(reason("0 30-10 * * * ?").contains("backwards"))
        #expect(reason("0 0 0 ? * WED").hasPrefix("accepted"), "WED is a name, not W")
        #expect(reason("0 0 0 ? JUL *").hasPrefix("accepted"), "JUL is a name, not L")
    }
}
