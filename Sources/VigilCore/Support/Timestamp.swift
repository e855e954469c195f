/// UTC instants as epoch milliseconds, with the RFC 3339 parsing and formatting Vigil's wire formats need.
///
/// Hand-written rather than `ISO8601DateFormatter` because it runs once per ingested event, must accept
/// any number of fraction digits and any offset, and must reject impossible dates precisely.
public enum Timestamp {
    public static let millisPerDay: Int64 = 86_400_000
    /// 0001-01-01 and 9999-12-31T23:59:59.999Z: the range Spark's TIMESTAMP accepts.
    public static let minMillis: Int64 = -62_135_596_800_000
    public static let maxMillis: Int64 = 253_402_300_799_999

    /// Parses `2023-01-01T01:01:01.123+00:00`, `...Z`, lowercase `t`/`z` or a space separator.
    /// Fractions beyond milliseconds are truncated. Returns nil for anything else.
    public static func parseRFC3339(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse(Array($0)) }
    }

    private static func parse(_ b: [UInt8]) -> Int64? {
        guard b.count >= 20 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for i in start..<(start + count) {
                let d = b[i]
                guard d >= 0x30, d <= 0x39 else { return nil }
                value = value * 10 + Int(d - 0x30)
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
              b[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59, year >= 1
        else { return nil }
        var position = 19
        var millis = 0
        if position < b.count, b[position] == UInt8(ascii: ".") {
            position += 1
            var fractionDigits = 0
            while position < b.count, b[position] >= 0x30, b[position] <= 0x39 {
                if fractionDigits < 3 { millis = millis * 10 + Int(b[position] - 0x30) }
                fractionDigits += 1
                position += 1
            }
            guard fractionDigits > 0 else { return nil }
            if fractionDigits < 3 { for _ in fractionDigits..<3 { millis *= 10 } }
        }
        guard position < b.count else { return nil }
        var offsetMinutes = 0
        switch b[position] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            position += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[position] == UInt8(ascii: "-") ? -1 : 1
            guard let offsetHour = digits(position + 1, 2), position + 3 < b.count, b[position + 3] == UInt8(ascii: ":"),
                  let offsetMinute = digits(position + 4, 2), offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
            position += 6
        default:
            return nil
        }
        guard position == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }

    /// `2023-01-01T01:01:01.123Z` (always three fraction digits, always UTC).
    public static func formatRFC3339(millis: Int64) -> String {
        var bytes: [UInt8] = []
        appendRFC3339(millis: millis, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The UTC calendar date `yyyy-MM-dd` containing the instant (Databricks' `event_date`).
    /// `20150830T123600Z`: the ISO 8601 basic format to the second (SigV4's `x-amz-date`, digest file names).
    public static func formatBasic(millis: Int64) -> String {
        formatRFC3339(millis: millis).prefix(19).filter { $0 != "-" && $0 != ":" } + "Z"
    }

    public static func formatDate(millis: Int64) -> String {
        var bytes: [UInt8] = []
        appendDate(millis: millis, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the RFC 3339 text to a byte buffer without building intermediate strings (the canonical
    /// encoding writes one per event, and `vigil verify` re-encodes every event of the log).
    public static func appendRFC3339(millis: Int64, to bytes: inout [UInt8]) {
        let (_, msOfDay) = floorDivide(millis, millisPerDay)
        appendDate(millis: millis, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(Int(msOfDay / 3_600_000), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(msOfDay / 60_000 % 60), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(msOfDay / 1000 % 60), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        appendDigits(Int(msOfDay % 1000), width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    public static func appendDate(millis: Int64, to bytes: inout [UInt8]) {
        let (days, _) = floorDivide(millis, millisPerDay)
        let (year, month, day) = civilFromDays(days)
        appendDigits(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &bytes)
    }

    private static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        guard value >= 0, value < 10_000 || width > 4 else {
            bytes.append(contentsOf: pad(value, width).utf8)
            return
        }
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = value
        while divisor > 0 {
            bytes.append(UInt8(48 + remaining / divisor % 10))
            remaining %= divisor
            divisor /= 10
        }
    }

    /// Parses `yyyy-MM-dd` into the epoch milliseconds of that day's UTC midnight.
    public static func parseDate(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              year >= 1, (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        return Int64(daysFromCivil(year: year, month: month, day: day)) * millisPerDay
    }

    /// Accepts RFC 3339 text or integer epoch milliseconds, as the query API does for `start_time`/`end_time`.
    public static func parseInstant(_ text: String) -> Int64? {
        if let millis = Int64(text) { return millis }
        return parseRFC3339(text)
    }

    // Howard Hinnant's civil-date algorithms (public domain), valid for the proleptic Gregorian calendar.
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        // Every Int64 of milliseconds is within ±1.1e11 days; clamping far beyond that keeps the arithmetic below
        // from overflowing on any input.
        let z = Int(min(max(days, -1_000_000_000_000_000), 1_000_000_000_000_000)) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
