import Foundation
import VigilCore

/// A Quartz cron expression, as Databricks alert schedules use: `seconds minutes hours day-of-month month
/// day-of-week [year]`, with `*`, `?`, lists, ranges, steps (`0/5`, `*/10`, `10-40/5`) and month and day names
/// (`JAN`, `MON-FRI`). Day-of-week counts 1 = Sunday … 7 = Saturday, as in Quartz. Not supported (refused by name):
/// `L`, `W` and `#`. Pure: `next(after:in:)` is tested with fixed instants.
public struct QuartzCron: Sendable, Equatable {
    public let text: String
    let seconds: Set<Int>
    let minutes: Set<Int>
    let hours: Set<Int>
    /// nil when `?` or `*` (any day of month).
    let daysOfMonth: Set<Int>?
    let months: Set<Int>
    /// nil when `?` or `*`; 1 = Sunday.
    let daysOfWeek: Set<Int>?
    let years: Set<Int>?

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init(_ text: String) throws {
        self.text = text
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 6 || fields.count == 7 else {
            throw VigilError(.invalidParameter, "quartz_cron_schedule '\(text.prefix(64))' must have 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), not \(fields.count)")
        }
        for field in fields {
            for item in field.uppercased().split(separator: ",") {
                let special = item.contains("#") || item == "L" || item == "LW" || item.hasPrefix("L-")
                    || (item.count > 1 && (item.hasSuffix("L") || item.hasSuffix("W")) && Int(item.dropLast()) != nil)
                if special {
                    throw VigilError(.invalidParameter, "quartz_cron_schedule: '\(item.prefix(32))' uses L, W or #, which Vigil does not support")
                }
            }
        }
        seconds = try Self.field(fields[0], name: "seconds", range: 0...59)
        minutes = try Self.field(fields[1], name: "minutes", range: 0...59)
        hours = try Self.field(fields[2], name: "hours", range: 0...23)
        daysOfMonth = try Self.optionalField(fields[3], name: "day-of-month", range: 1...31)
        months = try Self.field(fields[4], name: "month", range: 1...12, names: Self.monthNames, base: 1)
        daysOfWeek = try Self.optionalField(fields[5], name: "day-of-week", range: 1...7, names: Self.dayNames, base: 1)
        years = fields.count == 7 ? try Self.optionalField(fields[6], name: "year", range: 1970...2199) : nil
        if daysOfMonth != nil, daysOfWeek != nil {
            throw VigilError(.invalidParameter, "quartz_cron_schedule: give day-of-month or day-of-week and '?' for the other, as Quartz requires")
        }
    }

    static func optionalField(_ text: String, name: String, range: ClosedRange<Int>, names: [String] = [], base: Int = 0) throws -> Set<Int>? {
        text == "?" || text == "*" ? nil : try field(text, name: name, range: range, names: names, base: base)
    }

    static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String] = [], base: Int = 0) throws -> Set<Int> {
        func value(_ part: Substring) throws -> Int {
            if let number = Int(part), range.contains(number) { return number }
            if let index = names.firstIndex(of: part.uppercased()) { return index + base }
            throw VigilError(.invalidParameter, "quartz_cron_schedule: \(name) '\(text.prefix(32))' holds '\(part.prefix(16))', not a value from \(range.lowerBound) to \(range.upperBound)")
        }
        var result = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), !parts[0].isEmpty else {
                throw VigilError(.invalidParameter, "quartz_cron_schedule: \(name) '\(text.prefix(32))' is not a valid field")
            }
            var low = range.lowerBound, high = range.upperBound
            if parts[0] != "*" && parts[0] != "?" {
                let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count) else { throw VigilError(.invalidParameter, "quartz_cron_schedule: \(name) '\(text.prefix(32))' is not a valid range") }
                low = try value(bounds[0])
                high = bounds.count == 2 ? try value(bounds[1]) : (parts.count == 2 ? range.upperBound : low)
                guard low <= high else { throw VigilError(.invalidParameter, "quartz_cron_schedule: \(name) range '\(parts[0])' runs backwards") }
            }
            var step = 1
            if parts.count == 2 {
                guard let given = Int(parts[1]), given > 0 else {
                    throw VigilError(.invalidParameter, "quartz_cron_schedule: \(name) step '\(parts[1].prefix(16))' must be a positive number")
                }
                step = given
            }
            result.formUnion(stride(from: low, through: high, by: step))
        }
        return result
    }

    /// The first instant strictly after `after` (milliseconds) that the expression names, in `timeZone`; nil when
    /// there is none within five years.
    public func next(after: Int64, in timeZone: TimeZone) -> Int64? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = Date(timeIntervalSince1970: Double(after / 1000 + 1))
        var day = calendar.startOfDay(for: start)
        let sortedHours = hours.sorted(), sortedMinutes = minutes.sorted(), sortedSeconds = seconds.sorted()
        let from = calendar.dateComponents([.hour, .minute, .second], from: start)
        let (fromHour, fromMinute, fromSecond) = (from.hour ?? 0, from.minute ?? 0, from.second ?? 0)
        for offset in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if months.contains(parts.month!), years?.contains(parts.year!) ?? true,
               daysOfMonth?.contains(parts.day!) ?? true, daysOfWeek?.contains(parts.weekday!) ?? true {
                // On the first day, skip the times already past instead of building each (a per-second schedule
                // would otherwise try up to 86,400 of them per run).
                let today = offset == 0
                for hour in sortedHours where !today || hour >= fromHour {
                    for minute in sortedMinutes where !today || hour > fromHour || minute >= fromMinute {
                        for second in sortedSeconds where !today || hour > fromHour || minute > fromMinute || second >= fromSecond {
                            var wanted = parts
                            wanted.hour = hour
                            wanted.minute = minute
                            wanted.second = second
                            // A local time a daylight-saving jump skips does not exist: the expression does not name it.
                            guard let date = calendar.date(from: wanted), calendar.component(.hour, from: date) == hour, date >= start else { continue }
                            return Int64(date.timeIntervalSince1970 * 1000)
                        }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }
}
