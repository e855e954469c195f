import VigilCore

/// A received syslog message, RFC 5424 or RFC 3164 (reference interop-formats.md §6).
public struct SyslogMessage: Sendable, Equatable {
    public var facility: Int
    public var severity: Int
    public var timestampMillis: Int64
    public var hostname: String?
    /// APP-NAME (5424) or TAG (3164): `sshd`, `sudo`.
    public var appName: String?
    public var procID: String?
    public var message: String
}

/// Parses one syslog message. Pure: `receivedMillis` fills a missing time and gives an RFC 3164 stamp its year
/// (3164 has no year and no zone: UTC is assumed, and a stamp more than a day ahead of the receive time belongs to
/// the year before, as at the December → January turn).
public enum SyslogParser {
    public static func parse(_ text: String, receivedMillis: Int64) -> SyslogMessage? {
        var rest = Substring(text)
        guard rest.first == "<", let close = rest.firstIndex(of: ">"), let pri = Int(rest[rest.index(after: rest.startIndex)..<close]),
              (0...191).contains(pri) else { return nil }
        rest = rest[rest.index(after: close)...]
        if rest.hasPrefix("1 ") { return rfc5424(rest.dropFirst(2), pri: pri, receivedMillis: receivedMillis) }
        return rfc3164(rest, pri: pri, receivedMillis: receivedMillis)
    }

    static func rfc5424(_ text: Substring, pri: Int, receivedMillis: Int64) -> SyslogMessage? {
        var fields = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6 else { return nil }
        let timestamp = fields[0] == "-" ? receivedMillis : Timestamp.parseRFC3339(String(fields[0]))
        guard let timestamp else { return nil }
        func field(_ value: Substring) -> String? { value == "-" ? nil : String(value) }
        // After MSGID: STRUCTURED-DATA ("-" or [..][..]), then an optional space and MSG.
        var after = fields.removeLast()
        if after.hasPrefix("-") {
            after = after.dropFirst()
        } else {
            var depth = 0, escaped = false, index = after.startIndex
            while index < after.endIndex {
                let character = after[index]
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "[" { depth += 1 } else if character == "]" {
                    depth -= 1
                    if depth == 0, after.index(after: index) == after.endIndex || after[after.index(after: index)] != "[" {
                        index = after.index(after: index)
                        break
                    }
                }
                index = after.index(after: index)
            }
            after = after[index...]
        }
        if after.hasPrefix(" ") { after = after.dropFirst() }
        if after.hasPrefix("\u{FEFF}") { after = after.dropFirst() }
        return SyslogMessage(facility: pri / 8, severity: pri % 8, timestampMillis: timestamp, hostname: field(fields[1]),
                             appName: field(fields[2]), procID: field(fields[3]), message: String(after))
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func rfc3164(_ text: Substring, pri: Int, receivedMillis: Int64) -> SyslogMessage? {
        var rest = text
        var timestamp = receivedMillis
        // "Mmm dd hh:mm:ss " (day space-padded), or an RFC 3339 stamp as rsyslog's templates write.
        if rest.count >= 16, let month = months.firstIndex(of: String(rest.prefix(3))) {
            let day = Int(rest.dropFirst(4).prefix(2).trimmingCharacters(in: .whitespaces))
            let clock = rest.dropFirst(7).prefix(8).split(separator: ":").compactMap { Int($0) }
            if let day, clock.count == 3, (1...31).contains(day) {
                let (year, _, _) = Timestamp.civilFromDays(receivedMillis / 86_400_000)
                func stamp(_ year: Int) -> Int64 {
                    Int64(Timestamp.daysFromCivil(year: year, month: month + 1, day: day)) * 86_400_000
                        + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2]) * 1000
                }
                timestamp = stamp(year) > receivedMillis + 86_400_000 ? stamp(year - 1) : stamp(year)
                rest = rest.dropFirst(16)
            }
        } else if let space = rest.firstIndex(of: " "), let millis = Timestamp.parseRFC3339(String(rest[..<space])) {
            timestamp = millis
            rest = rest[rest.index(after: space)...]
        }
        // HOSTNAME is optional: a first word ending in ':' or '[' is the TAG.
        var hostname: String?
        if let space = rest.firstIndex(of: " ") {
            let word = rest[..<space]
            if !word.hasSuffix(":"), !word.contains("[") {
                hostname = String(word)
                rest = rest[rest.index(after: space)...]
            }
        }
        var appName: String?
        var procID: String?
        if let colon = rest.firstIndex(of: ":"), rest[..<colon].count <= 48, !rest[..<colon].contains(" ") {
            let tag = rest[..<colon]
            if let open = tag.firstIndex(of: "["), tag.hasSuffix("]") {
                appName = String(tag[..<open])
                procID = String(tag[tag.index(after: open)..<tag.index(before: tag.endIndex)])
            } else {
                appName = String(tag)
            }
            rest = rest[rest.index(after: colon)...]
            if rest.hasPrefix(" ") { rest = rest.dropFirst() }
        }
        return SyslogMessage(facility: pri / 8, severity: pri % 8, timestampMillis: timestamp, hostname: hostname, appName: appName,
                             procID: procID, message: String(rest))
    }
}
