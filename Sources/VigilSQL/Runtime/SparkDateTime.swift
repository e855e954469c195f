import Foundation
import VigilCore

/// Date and time functions as Spark evaluates them, in UTC, on Vigil's representation (DATE as `YYYY-MM-DD`,
/// TIMESTAMP as milliseconds since the epoch). Proleptic Gregorian arithmetic, valid before 1970.
public enum SparkDateTime {
    static let millisecondsPerDay: Int64 = 86_400_000
    /// The days Vigil can hold as a DATE: those whose midnight, in microseconds, fits Spark's TIMESTAMP
    /// (years −290308 to 294247). Arithmetic on a day outside is not folded, and parsing one fails.
    public static let epochDayRange: ClosedRange<Int64> = -106_751_991...106_751_991
    /// Years a date string may name: a longer year would overflow the day arithmetic.
    static let yearRange: ClosedRange<Int64> = -290_308...294_247

    struct Civil: Equatable {
        var year: Int64, month: Int64, day: Int64
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, millisecond: Int64 = 0
    }

    /// Days since 1970-01-01 of a civil date (VigilCore's proleptic Gregorian arithmetic).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        Int64(Timestamp.daysFromCivil(year: Int(year), month: Int(month), day: Int(day)))
    }

    static func civil(epochDay: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let (year, month, day) = Timestamp.civilFromDays(epochDay)
        return (Int64(year), Int64(month), Int64(day))
    }

    public static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func civil(millis: Int64) -> Civil {
        let day = floorDivide(millis, millisecondsPerDay)
        // The remainder directly: `millis - day * millisecondsPerDay` overflows near Int64.min.
        let remainder = millis % millisecondsPerDay
        let rest = remainder < 0 ? remainder + millisecondsPerDay : remainder
        let (y, m, d) = civil(epochDay: day)
        return Civil(year: y, month: m, day: d, hour: rest / 3_600_000, minute: rest / 60_000 % 60, second: rest / 1000 % 60,
                     millisecond: rest % 1000)
    }

    /// The instant of civil fields already checked to be a valid date within `yearRange`.
    static func millis(_ c: Civil) -> Int64 {
        days(year: c.year, month: c.month, day: c.day) * millisecondsPerDay + c.hour * 3_600_000 + c.minute * 60_000
            + c.second * 1000 + c.millisecond
    }

    /// The instant of any civil fields, nil when it does not fit 64-bit milliseconds (truncating the earliest
    /// instants to their year would land before Int64.min).
    static func checkedMillis(_ c: Civil) -> Int64? {
        let (dayMillis, overflow) = days(year: c.year, month: c.month, day: c.day).multipliedReportingOverflow(by: millisecondsPerDay)
        let (sum, overflowSum) = dayMillis.addingReportingOverflow(c.hour * 3_600_000 + c.minute * 60_000 + c.second * 1000 + c.millisecond)
        return overflow || overflowSum ? nil : sum
    }

    static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        Int64(Timestamp.daysInMonth(year: Int(year), month: Int(month)))
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(abs(value))
        let padded = text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        return value < 0 ? "-" + padded : padded
    }

    public static func dayString(epochDay: Int64) -> String {
        let (y, m, d) = civil(epochDay: epochDay)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    public static func epochDay(of date: String) -> Int64? {
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            yearRange.contains(y), (1...12).contains(m), d >= 1, d <= daysInMonth(y, m)
        else { return nil }
        let day = days(year: y, month: m, day: d)
        return epochDayRange.contains(day) ? day : nil
    }

    /// `CAST(ts AS STRING)`: `yyyy-MM-dd HH:mm:ss` plus a fraction without trailing zeros.
    public static func castToString(millis: Int64) -> String {
        let c = civil(millis: millis)
        var text = "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) \(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
        if c.millisecond != 0 {
            var fraction = pad(c.millisecond, 3)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text
    }

    /// The Statement Execution API's rendering: `2026-11-20T09:07:01.037Z`.
    public static func isoString(millis: Int64) -> String {
        let c = civil(millis: millis)
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(c.millisecond, 3))Z"
    }

    public static func truncate(millis: Int64, unit: String) -> Int64? {
        var c = civil(millis: millis)
        switch unit.uppercased() {
        case "YEAR", "YYYY", "YY": c = Civil(year: c.year, month: 1, day: 1)
        case "QUARTER": c = Civil(year: c.year, month: (c.month - 1) / 3 * 3 + 1, day: 1)
        case "MONTH", "MM", "MON": c = Civil(year: c.year, month: c.month, day: 1)
        case "WEEK":
            let day = floorDivide(millis, millisecondsPerDay)
            // 1970-01-01 was a Thursday; Monday-based weeks.
            let monday = day - ((day % 7 + 7 + 3) % 7)
            let (start, overflow) = monday.multipliedReportingOverflow(by: millisecondsPerDay)
            return overflow ? nil : start
        case "DAY", "DD": c = Civil(year: c.year, month: c.month, day: c.day)
        case "HOUR": c.minute = 0; c.second = 0; c.millisecond = 0
        case "MINUTE": c.second = 0; c.millisecond = 0
        case "SECOND": c.millisecond = 0
        case "MILLISECOND": break
        default: return nil
        }
        return checkedMillis(c)
    }

    enum FormatError: Error, CustomStringConvertible {
        case unknownLetter(Character)
        var description: String {
            switch self {
            case .unknownLetter(let letter): "unknown pattern letter '\(letter)'"
            }
        }
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Runs of pattern letters and literals of a Java DateTimeFormatter pattern.
    enum Piece: Equatable { case field(Character, Int), literal(String) }

    static func pieces(_ pattern: String) throws -> [Piece] {
        var pieces: [Piece] = []
        let characters = Array(pattern)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "'" {
                var literal = ""
                index += 1
                if index < characters.count, characters[index] == "'" {
                    pieces.append(.literal("'"))
                    index += 1
                    continue
                }
                while index < characters.count {
                    if characters[index] == "'" {
                        if index + 1 < characters.count, characters[index + 1] == "'" {
                            literal.append("'")
                            index += 2
                            continue
                        }
                        break
                    }
                    literal.append(characters[index])
                    index += 1
                }
                index += 1
                pieces.append(.literal(literal))
            } else if character.isLetter {
                guard "yMdDHhmsSEaLuZXx".contains(character) else { throw FormatError.unknownLetter(character) }
                var count = 1
                while index + count < characters.count, characters[index + count] == character { count += 1 }
                pieces.append(.field(character, count))
                index += count
            } else {
                pieces.append(.literal(String(character)))
                index += 1
            }
        }
        return pieces
    }

    public static func format(millis: Int64, pattern: String) throws -> String {
        let c = civil(millis: millis)
        let epochDay = floorDivide(millis, millisecondsPerDay)
        var text = ""
        for piece in try pieces(pattern) {
            switch piece {
            case .literal(let literal): text += literal
            case .field(let letter, let count):
                switch letter {
                case "y", "u": text += count == 2 ? pad(c.year % 100, 2) : pad(c.year, count)
                case "M", "L":
                    text += count >= 4 ? monthNames[Int(c.month) - 1] : count == 3 ? String(monthNames[Int(c.month) - 1].prefix(3)) : pad(c.month, count)
                case "d": text += pad(c.day, count)
                case "D": text += pad(epochDay - days(year: c.year, month: 1, day: 1) + 1, count)
                case "H": text += pad(c.hour, count)
                case "h": text += pad((c.hour + 11) % 12 + 1, count)
                case "m": text += pad(c.minute, count)
                case "s": text += pad(c.second, count)
                case "S":
                    let fraction = pad(c.millisecond, 3) + "000000"
                    text += String(fraction.prefix(count))
                case "E":
                    let name = dayNames[Int((epochDay % 7 + 7 + 3) % 7)]
                    text += count >= 4 ? name : String(name.prefix(3))
                case "a": text += c.hour < 12 ? "AM" : "PM"
                case "Z": text += "+0000"
                case "X": text += "Z"
                case "x": text += count == 1 ? "+00" : count == 2 ? "+0000" : "+00:00"
                default: throw FormatError.unknownLetter(letter)
                }
            }
        }
        return text
    }

    /// CAST(string AS TIMESTAMP) forms without a pattern; with one, the pattern's letters.
    public static func parseTimestamp(_ text: String, pattern: String?) -> Int64? {
        if let pattern { return parse(text.trimmingCharacters(in: .whitespaces), pattern: pattern) }
        var input = Substring(text.trimmingCharacters(in: .whitespaces))
        var offsetMillis: Int64 = 0
        if input.hasSuffix("Z") || input.hasSuffix("z") {
            input = input.dropLast()
        } else if let range = input.range(of: #"[+-]\d{2}:?\d{2}$"#, options: .regularExpression),
            input.distance(from: input.startIndex, to: range.lowerBound) > 10
        {
            let zone = input[range].replacingOccurrences(of: ":", with: "")
            guard let hours = Int64(zone.dropFirst().prefix(2)), let minutes = Int64(zone.suffix(2)) else { return nil }
            offsetMillis = (zone.hasPrefix("-") ? -1 : 1) * (hours * 3_600_000 + minutes * 60_000)
            input = input[..<range.lowerBound]
        }
        let dateText = input.prefix(10)
        guard let day = epochDay(of: String(dateText)) else { return nil }
        var rest = input.dropFirst(10)
        if rest.isEmpty { return day * millisecondsPerDay - offsetMillis }
        guard let separator = rest.first, separator == " " || separator == "T" else { return nil }
        rest = rest.dropFirst()
        let timeParts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard timeParts.count >= 2, timeParts.count <= 3, let hour = Int64(timeParts[0]), let minute = Int64(timeParts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        var second: Int64 = 0
        var millisecond: Int64 = 0
        if timeParts.count == 3 {
            let secondParts = timeParts[2].split(separator: ".", omittingEmptySubsequences: false)
            guard secondParts.count <= 2, let s = Int64(secondParts[0]), (0..<60).contains(s) else { return nil }
            second = s
            if secondParts.count == 2 {
                let digits = secondParts[1]
                guard !digits.isEmpty, digits.allSatisfy(\.isNumber) else { return nil }
                millisecond = Int64((digits + "000").prefix(3)) ?? 0
            }
        }
        return day * millisecondsPerDay + hour * 3_600_000 + minute * 60_000 + second * 1000 + millisecond - offsetMillis
    }

    public static func parseDate(_ text: String, pattern: String?) -> String? {
        if let pattern {
            return parse(text.trimmingCharacters(in: .whitespaces), pattern: pattern).map { dayString(epochDay: floorDivide($0, millisecondsPerDay)) }
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let datePart = trimmed.prefix(10)
        guard let day = epochDay(of: String(datePart)) else { return nil }
        let rest = trimmed.dropFirst(10)
        if !rest.isEmpty, let first = rest.first, first != " " && first != "T" { return nil }
        return dayString(epochDay: day)
    }

    /// Parses with a DateTimeFormatter-style pattern (numeric fields, literals, month names).
    static func parse(_ text: String, pattern: String) -> Int64? {
        guard let pieces = try? pieces(pattern) else { return nil }
        var c = Civil(year: 1970, month: 1, day: 1)
        var pm: Bool?
        let characters = Array(text)
        var index = 0
        for (position, piece) in pieces.enumerated() {
            switch piece {
            case .literal(let literal):
                for character in literal {
                    guard index < characters.count, characters[index] == character else { return nil }
                    index += 1
                }
            case .field(let letter, let count):
                if letter == "M" && count >= 3 {
                    guard let found = monthNames.firstIndex(where: { name in
                        let candidate = count == 3 ? String(name.prefix(3)) : name
                        return String(characters[index...].prefix(candidate.count)).lowercased() == candidate.lowercased()
                    }) else { return nil }
                    index += count == 3 ? 3 : monthNames[found].count
                    c.month = Int64(found + 1)
                    continue
                }
                if letter == "a" {
                    let word = String(characters[index...].prefix(2)).uppercased()
                    guard word == "AM" || word == "PM" else { return nil }
                    pm = word == "PM"
                    index += 2
                    continue
                }
                // Adjacent numeric fields use their width; the last one takes every digit left.
                let isLast = position == pieces.count - 1 || { if case .literal = pieces[position + 1] { return true } else { return false } }()
                var digits = ""
                while index < characters.count, characters[index].isNumber, isLast || digits.count < max(count, letter == "y" && count == 4 ? 4 : count) {
                    digits.append(characters[index])
                    index += 1
                }
                guard !digits.isEmpty, let value = Int64(digits) else { return nil }
                switch letter {
                case "y", "u": c.year = count == 2 ? 2000 + value : value
                case "M", "L": c.month = value
                case "d": c.day = value
                case "H": c.hour = value
                case "h": c.hour = value % 12
                case "m": c.minute = value
                case "s": c.second = value
                case "S": c.millisecond = Int64((digits + "000").prefix(3)) ?? 0
                default: return nil
                }
            }
        }
        guard index == characters.count else { return nil }
        if pm == true { c.hour += 12 }
        guard yearRange.contains(c.year), (1...12).contains(c.month), c.day >= 1, c.day <= daysInMonth(c.year, c.month),
            (0..<24).contains(c.hour), (0..<60).contains(c.minute), (0..<60).contains(c.second)
        else {
            return nil
        }
        guard epochDayRange.contains(days(year: c.year, month: c.month, day: c.day)) else { return nil }
        return millis(c)
    }
}
