import Foundation
import VigilCore

/// Vigil's `vigil_hours` modifier on `event_time`: a weekly window in a time zone, written as Alertmanager writes
/// `time_intervals` (weekdays `monday:friday` or lists, times `08:00-18:00`, start inclusive, end exclusive, `24:00`
/// allowed as an end): `"monday:friday 08:00-18:00 Europe/Berlin"` (the zone defaults to UTC). An off-hours rule is
/// a selection `and not` such a window.
struct TimeWindow: Sendable, Equatable {
    /// 0 = Sunday … 6 = Saturday.
    let weekdays: Set<Int>
    let startMinute: Int
    let endMinute: Int
    let timeZone: TimeZone

    static let days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    init?(_ text: String) {
        let parts = text.split(separator: " ").map(String.init)
        guard (2...3).contains(parts.count) else { return nil }
        var weekdays = Set<Int>()
        for item in parts[0].lowercased().split(separator: ",") {
            let bounds = item.split(separator: ":").map(String.init)
            guard (1...2).contains(bounds.count), let first = Self.days.firstIndex(of: bounds[0]),
                  let last = Self.days.firstIndex(of: bounds.last!), first <= last else { return nil }
            weekdays.formUnion(first...last)
        }
        let times = parts[1].split(separator: "-").map(String.init)
        guard times.count == 2, let start = Self.minute(times[0]), let end = Self.minute(times[1]), start < end, start < 1440 else { return nil }
        let zone = parts.count == 3 ? TimeZone(identifier: parts[2]) : TimeZone(identifier: "UTC")
        guard let zone else { return nil }
        self.weekdays = weekdays
        self.startMinute = start
        self.endMinute = end
        self.timeZone = zone
    }

    static func minute(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour), (0..<60).contains(minute),
              hour < 24 || minute == 0 else { return nil }
        return hour * 60 + minute
    }

    /// Whether an RFC 3339 time falls inside the window, in its time zone.
    func contains(_ value: String) -> Bool {
        guard let millis = Timestamp.parseRFC3339(value) else { return false }
        return contains(millis: millis)
    }

    func contains(millis: Int64) -> Bool {
        let seconds = millis / 1000 - (millis % 1000 < 0 ? 1 : 0)
        let local = seconds + Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let weekday = Int(((days % 7) + 7 + 4) % 7)  // 1970-01-01 was a Thursday
        let minute = Int((local - days * 86_400) / 60)
        return weekdays.contains(weekday) && minute >= startMinute && minute < endMinute
    }
}
